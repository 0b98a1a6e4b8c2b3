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
runs=${2:-15}
. bench/lib.sh
trap stop_wharfd EXIT
start_wharfd many
go build -o "$tmp/table" ./bench/table
echo "starting $n containers"
seq "$((n - 1))" | xargs -P 4 -I{} bin/wharf -H "unix://$sock" run -d busybox sleep 86400 >/dev/null
w run -d --name bench busybox sleep 86400 >/dev/null
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
