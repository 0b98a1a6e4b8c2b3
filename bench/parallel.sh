#!/bin/sh
# Times N concurrent `run -d` (create+start through the API) on the
# default bridge against one alone, against a private wharfd.
# Usage: bench/parallel.sh [rounds] [containers]   (from the repository root, as root)
# WHARFD=/path/to/wharfd times another build of the daemon (a before/after).
set -eu
cd "$(dirname "$0")/.."
rounds=${1:-7}
n=${2:-20}
. bench/lib.sh
trap stop_wharfd EXIT
start_wharfd parallel
go build -o "$tmp/engine" ./bench/engine
"$tmp/engine" -host "unix://$sock" -runs "$rounds" -parallel "$n"
