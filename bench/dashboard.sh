#!/bin/sh
# The web dashboard: its bundle (raw, and gzip and brotli as wharfd serves it), then
# in Debian's headless Chromium against a private wharfd with 5, then 500
# created containers (real ones): a cold visit (a new browser context of a
# running browser: empty cache and storage) and a new profile's first
# load, each from a login link until the container list shows, a warm
# reload, a view switch back to the list, and a burst of rename events
# (100 by default) until the page lists every new name (bench/dashboard).
# Usage: bench/dashboard.sh [runs, default 10] [container counts, default "5 500"] [renamed in the burst, default 100]
# (from the repository root, as root). TRACE=file.json also writes a
# Chromium trace of a cold visit (at the last count); BASE=path/to/wharfd
# runs that build too, interleaved in the same rounds, to compare.
set -eu
cd "$(dirname "$0")/.."
runs=${1:-10}
counts=${2:-5 500}
command -v chromium >/dev/null || { echo "needs Debian's chromium (apt-get install chromium)" >&2; exit 1; }
. bench/lib.sh

# With BASE, a second daemon on its own roots: lib.sh keeps one daemon's
# names in its variables, so each daemon's are saved and swapped back.
base_sock=
stop_all() {
	stop_wharfd
	if [ -n "$base_sock" ]; then
		tmp=$base_tmp exec_root=$base_exec_root sock=$base_sock wharfd_pid=$base_pid bench_name=dashboard-base
		stop_wharfd
	fi
}
trap stop_all EXIT
if [ -n "${BASE:-}" ]; then
	WHARFD=$BASE WHARFD_FLAGS="-dashboard 127.0.0.1:0" start_wharfd dashboard-base
	base_tmp=$tmp base_exec_root=$exec_root base_sock=$sock base_pid=$wharfd_pid
fi
WHARFD_FLAGS="-dashboard 127.0.0.1:0" start_wharfd dashboard

dist=internal/dashboard/assets/dist
# Each file raw and as wharfd serves it: gzip and brotli, as the build
# compressed it (web/vite.config.ts), or gzip -9 where it did not.
packed() { if [ -f "$1.$2" ]; then wc -c <"$1.$2"; elif [ "$2" = gz ]; then gzip -9 -c "$1" | wc -c; else wc -c <"$1"; fi; }
echo "bundle ($dist): file, bytes, gzip, brotli"
total=0; gz_total=0; br_total=0; first=0; first_gz=0; first_br=0
for f in $(cd $dist && find . -type f ! -name '*.gz' ! -name '*.br' | sort); do
	size=$(wc -c <"$dist/$f"); gz=$(packed "$dist/$f" gz); br=$(packed "$dist/$f" br)
	printf '  %-40s %8d %8d %8d\n' "$f" "$size" "$gz" "$br"
	total=$((total + size)); gz_total=$((gz_total + gz)); br_total=$((br_total + br))
done
# What the first page fetches: index.html and what it links (the other
# views, the terminal and the charts load after the list shows).
for f in $(grep -o '/assets/[^"]*' $dist/index.html | sort -u) index.html; do
	first=$((first + $(wc -c <"$dist/$f"))); first_gz=$((first_gz + $(packed "$dist/$f" gz))); first_br=$((first_br + $(packed "$dist/$f" br)))
done
printf '  %-40s %8d %8d %8d\n' "all" "$total" "$gz_total" "$br_total"
printf '  %-40s %8d %8d %8d\n' "first page (index.html + what it links)" "$first" "$first_gz" "$first_br"

go build -o "$tmp/bench-dashboard" ./bench/dashboard
hosts="-host new=unix://$sock"
[ -n "$base_sock" ] && hosts="-host base=unix://$base_sock $hosts"
have=0
for n in $counts; do
	for i in $(seq $((have + 1)) "$n"); do
		w create --name "c$i" busybox true >/dev/null
		[ -z "$base_sock" ] || bin/wharf -H "unix://$base_sock" create --name "c$i" busybox true >/dev/null
	done
	have=$n
	"$tmp/bench-dashboard" $hosts -runs "$runs" -burst "${3:-100}" ${TRACE:+-trace "$TRACE"}
done
