#!/bin/sh
# Image prune over many images (issue 22 point 4): n dangling images, each
# with a layer of its own, removed by one `image prune -f` while a client
# inspects another image in a loop. Prints, per build, prune's wall time,
# wharfd's CPU time during it, and the slowest inspect answered meanwhile
# (the store's lock held across the layers' deletion showed there): medians
# [min-max] over the runs, each run on a fresh daemon.
# Usage: bench/images.sh [images] [runs]   (from the repository root, as root)
# WHARFD_BASE=/path/to/old/wharfd times that build too, interleaved in the
# same rounds (a before/after).
set -eu
cd "$(dirname "$0")/.."
n=${1:-500}
runs=${2:-3}
. bench/lib.sh
trap stop_wharfd EXIT
results=$(mktemp -d /tmp/wharf-images-results-XXXXXX)
tick=$(getconf CLK_TCK)

# cpu_ms is wharfd's user+system CPU time so far, in ms.
cpu_ms() { awk -v t="$tick" '{print int(($14 + $15) * 1000 / t)}' "/proc/$wharfd_pid/stat"; }

# one_run times one prune of n images on a fresh daemon built as $1.
one_run() {
	label=$1
	start_wharfd images
	mkdir "$tmp/tars"
	for i in $(seq "$n"); do
		mkdir -p "$tmp/src$i" && echo "$i" >"$tmp/src$i/file$i"
		tar -C "$tmp/src$i" -cf "$tmp/tars/$i.tar" . && rm -r "$tmp/src$i"
	done
	ls "$tmp/tars" | xargs -P 4 -I{} bin/wharf -H "unix://$sock" import "$tmp/tars/{}" >/dev/null
	count=$(w images -q --filter dangling=true | wc -l)
	[ "$count" -eq "$n" ] || { echo "made $count dangling images, not $n" >&2; exit 1; }
	: >"$tmp/inspect"
	(
		while [ ! -e "$tmp/pruned" ]; do
			curl -s -o /dev/null -w '%{time_total}\n' --unix-socket "$sock" http://wharf/images/busybox/json >>"$tmp/inspect"
		done
	) &
	inspector=$!
	sleep 0.2
	c0=$(cpu_ms)
	t0=$(date +%s%N)
	w image prune -f >/dev/null
	t1=$(date +%s%N)
	c1=$(cpu_ms)
	touch "$tmp/pruned"
	wait "$inspector"
	left=$(w images -qa | wc -l)
	[ "$left" -eq 1 ] || { echo "$left images left after the prune" >&2; exit 1; }
	echo "$(((t1 - t0) / 1000000))" >>"$results/$label.wall"
	echo "$((c1 - c0))" >>"$results/$label.cpu"
	sort -n "$tmp/inspect" | tail -1 | awk '{print int($1 * 1000)}' >>"$results/$label.inspect"
	stop_wharfd
	wharfd_pid=
}

# summary prints the median [min-max] of the numbers in file $1.
summary() { sort -n "$1" | awk '{a[NR] = $1} END {printf "%d [%d-%d]", a[int((NR + 1) / 2)], a[1], a[NR]}'; }

for r in $(seq "$runs"); do
	if [ -n "${WHARFD_BASE:-}" ]; then
		WHARFD=$WHARFD_BASE
		one_run base
		WHARFD=
	fi
	one_run new
done
echo "image prune of $n dangling images, $runs runs: median [min-max]"
for label in base new; do
	[ -e "$results/$label.wall" ] || continue
	echo "$label: prune $(summary "$results/$label.wall") ms, wharfd CPU $(summary "$results/$label.cpu") ms, slowest inspect meanwhile $(summary "$results/$label.inspect") ms"
done
rm -rf "$results"
