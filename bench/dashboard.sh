#!/bin/sh
# The web dashboard: its bundle (raw and gzipped, as wharfd serves it),
# then in Debian's headless Chromium against a private wharfd with n
# created containers (real ones, 500 by default): the first load from loopback with an empty cache
# until the container list shows, a warm reload, a view switch back to the
# list, and a burst of rename events (100 by default) until the page lists
# every new name.
# Usage: bench/dashboard.sh [runs, default 10] [containers, default 500] [renamed in the burst, default 100]
# (from the repository root, as root); TRACE=file.json also writes a Chromium trace of a first load.
set -eu
cd "$(dirname "$0")/.."
runs=${1:-10}
n=${2:-500}
command -v chromium >/dev/null || { echo "needs Debian's chromium (apt-get install chromium)" >&2; exit 1; }
. bench/lib.sh
trap stop_wharfd EXIT
WHARFD_FLAGS="-dashboard 127.0.0.1:0" start_wharfd dashboard

dist=internal/dashboard/assets/dist
echo "bundle ($dist): file, bytes, gzip -9 bytes"
total=0; gz_total=0; first=0
for f in $(cd $dist && find . -type f | sort); do
	size=$(wc -c <"$dist/$f"); gz=$(gzip -9 -c "$dist/$f" | wc -c)
	printf '  %-40s %8d %8d\n' "$f" "$size" "$gz"
	total=$((total + size)); gz_total=$((gz_total + gz))
done
# What the first page fetches: index.html and the entry's script and styles
# (the terminal and the charts load when first shown).
for f in $(grep -o 'assets/[^"]*' $dist/index.html) index.html; do
	first=$((first + $(gzip -9 -c "$dist/$f" | wc -c)))
done
printf '  %-40s %8d %8d\n' "all" "$total" "$gz_total"
printf '  %-40s %8s %8d\n' "first page (index.html + entry js/css)" "" "$first"

go build -o "$tmp/bench-dashboard" ./bench/dashboard
for i in $(seq "$n"); do w create --name "c$i" busybox true >/dev/null; done
"$tmp/bench-dashboard" -host "unix://$sock" -runs "$runs" -burst "${3:-100}" ${TRACE:+-trace "$TRACE"}
