#!/bin/sh
# Compose benchmark against a private wharfd: `wharf compose up -d` of a
# five-service project (one network, one named volume) from nothing, an
# `up -d` with nothing to change, and `down -v`. Prints medians.
# Usage: bench/compose.sh [runs]   (from the repository root, as root)
set -eu
cd "$(dirname "$0")/.."
runs=${1:-5}
. bench/lib.sh
trap stop_wharfd EXIT
start_wharfd composebench

proj=$tmp/proj
mkdir -p "$proj"
{
	echo "services:"
	for s in web api worker cache db; do
		printf '  %s:\n    image: busybox\n    command: sleep 3600\n    volumes: [data:/data]\n' "$s"
	done
	echo "volumes:"
	echo "  data: {}"
} >"$proj/compose.yaml"

# secs cmd...: wall seconds of one command
secs() {
	s=$(date +%s.%N)
	"$@" >/dev/null 2>&1
	e=$(date +%s.%N)
	echo "$e - $s" | bc
}
median() { sort -n | awk '{a[NR]=$1} END {m=int((NR+1)/2); printf "%.3f", a[m]}'; }
c() { bin/wharf -H "unix://$sock" compose --project-directory "$proj" -p bench "$@"; }

up=""; noop=""; down=""
for i in $(seq "$runs"); do
	up="$up $(secs c up -d)"
	noop="$noop $(secs c up -d)"
	down="$down $(secs c down -v -t 1)"
done
m() { echo "$1" | tr ' ' '\n' | grep . | median; }
echo "compose, 5 services (median of $runs): up -d $(m "$up")s, up -d unchanged $(m "$noop")s, down -v $(m "$down")s"
