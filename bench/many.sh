#!/bin/sh
# Many running containers (issue 22 point 4, issue 16 must-hold 6): with n
# (500) `sleep` containers running, `ps` and `inspect` through raw API
# calls, wharf and the official docker CLI; then the daemon restarted
# (a clean stop, then kill -9) until it lists all n running again, and
# an exec into one of them.
# Usage: bench/many.sh [containers] [runs]   (from the repository root, as root)
# WHARFD=/path/to/wharfd times another build.
set -eu
cd "$(dirname "$0")/.."
n=${1:-500}

# pss_kib sums the proportional set size (shared pages split among their
# users) of the processes given, in KiB.
pss_kib() {
	for p in "$@"; do awk '/^Pss:/ {print $2}' "/proc/$p/smaps_rollup" 2>/dev/null; done | awk '{s += $1} END {print s + 0}'
}

# memory_per_container prints what each running container costs: its
# conmon and its processes (PSS), and wharfd's resident memory over n.
memory_per_container() {
	conmons=$(for p in /proc/[0-9]*; do tr '\0' ' ' 2>/dev/null <"$p/cmdline" | grep -q "conmon .* -b $exec_root/" && basename "$p"; done || true)
	kids=$(for c in $conmons; do cat "/proc/$c/task/$c/children" 2>/dev/null; done || true)
	mon=$(pss_kib $conmons)
	ctr=$(pss_kib $kids)
	d=$(awk '/^VmRSS:/ {print $2}' "/proc/$wharfd_pid/status")
	count=$(echo "$conmons" | wc -w)
	echo "memory with $count running: conmon $((mon / count)) KiB PSS each, container processes $((ctr / count)) KiB PSS each, wharfd $((d / 1024)) MiB RSS ($((d / count)) KiB per container)"
}
runs=${2:-15}
. bench/lib.sh
trap stop_wharfd EXIT
start_wharfd many
go build -o "$tmp/table" ./bench/table
echo "starting $n containers ($(date -u +%T))"
seq "$((n - 1))" | xargs -P 4 -I{} bin/wharf -H "unix://$sock" run -d busybox sleep 86400 >/dev/null
w run -d --name bench busybox sleep 86400 >/dev/null
echo "started ($(date -u +%T))"
memory_per_container
"$tmp/table" -host "unix://$sock" -sections ps,inspect -container bench -runs "$runs"
echo
for sig in TERM KILL TERM KILL TERM KILL; do
	stop_daemon "$sig"
	t0=$(date +%s%N)
	run_wharfd
	printf 'restart after SIG%s: ' "$sig"
	"$tmp/table" -host "unix://$sock" -wait-running "$n"
	echo "  (from starting wharfd: $((($(date +%s%N) - t0) / 1000000)) ms)"
	[ "$(w exec bench echo reachable)" = reachable ] || { echo "exec after the restart failed" >&2; exit 1; }
done
