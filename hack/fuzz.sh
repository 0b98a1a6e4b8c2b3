#!/bin/sh
# Runs every fuzz target of the repository for a bounded time each and
# prints its executions, new inputs and result (issue 16, must-hold 5).
# `go test` (CI) runs each target's seeds and its kept corpus under
# testdata/fuzz; this is the longer campaign.
# Usage: hack/fuzz.sh [time per target (30s)] [target regexp (.)]
# KEEP=n copies up to n of each target's new inputs into its testdata/fuzz
# corpus. Minimisation is off (-fuzzminimizetime 0): on slow targets it
# stalls a run for its whole time.
set -eu
cd "$(dirname "$0")/.."
fuzztime=${1:-30s}
only=${2:-.}
keep=${KEEP:-0}
cache=$(go env GOCACHE)/fuzz
status=0
printf '%-40s %-20s %10s %8s %s\n' package target execs new result
for pkg in $(grep -rl --include='*_test.go' '^func Fuzz' . | xargs -n1 dirname | sort -u); do
	for target in $(grep -h '^func Fuzz' "$pkg"/*_test.go | sed 's/^func \(Fuzz[A-Za-z0-9_]*\).*/\1/' | sort -u); do
		echo "$target" | grep -Eq "$only" || continue
		log=$(mktemp)
		if go test -run '^$' -fuzz "^$target\$" -fuzztime "$fuzztime" -fuzzminimizetime 0 -parallel 2 "$pkg" >"$log" 2>&1; then
			result=ok
		else
			result=FAIL
			status=1
		fi
		last=$(grep 'execs:' "$log" | tail -1)
		execs=$(echo "$last" | sed -n 's/.*execs: \([0-9]*\).*/\1/p')
		new=$(echo "$last" | sed -n 's/.*new interesting: \([0-9]*\).*/\1/p')
		printf '%-40s %-20s %10s %8s %s\n' "$pkg" "$target" "${execs:-0}" "${new:-0}" "$result"
		[ "$result" = ok ] || sed -n '/--- FAIL/,$p' "$log" | head -40
		rm -f "$log"
		if [ "$keep" -gt 0 ] && [ -d "$cache/github.com/wharf/wharf/${pkg#./}/$target" ]; then
			mkdir -p "$pkg/testdata/fuzz/$target"
			ls -t "$cache/github.com/wharf/wharf/${pkg#./}/$target" | head -n "$keep" |
				while read -r f; do cp "$cache/github.com/wharf/wharf/${pkg#./}/$target/$f" "$pkg/testdata/fuzz/$target/"; done
		fi
	done
done
exit $status
