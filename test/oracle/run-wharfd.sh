#!/bin/sh
# Runs wharfd as run-dockerd.sh runs dockerd: built from this tree, in a
# network namespace of its own (so it never touches the host's bridges
# or firewall and needs no integration lock), on a private data root,
# with a busybox image; runs "$@" with DOCKER_SOCK set, then stops it and
# removes what it made. The same checks thus run against both daemons:
#   test/oracle/run-wharfd.sh python3 test/oracle/sdk_checks.py
#   test/oracle/run-dockerd.sh python3 test/oracle/sdk_checks.py
set -eu
here=$(cd "$(dirname "$0")" && pwd)
dir=$(mktemp -d /tmp/wharf-oracle-XXXXXX)
sock=$dir/wharf.sock
cleanup() {
	if [ -f "$dir/wharfd.pid" ]; then
		pid=$(cat "$dir/wharfd.pid")
		kill "$pid" 2>/dev/null || true
		i=0
		while kill -0 "$pid" 2>/dev/null && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
	fi
	grep -o " $dir[^ ]*" /proc/self/mounts | sort -r | while read -r m; do umount -l "$m" 2>/dev/null || true; done
	rm -rf "$dir"
	for cg in /sys/fs/cgroup/wharf-oracle-$$ /sys/fs/cgroup/*/wharf-oracle-$$; do
		[ -d "$cg" ] && find "$cg" -depth -type d -exec rmdir {} \; 2>/dev/null || true
	done
}
trap cleanup EXIT
make -s -C "$here/../.." build BIN="$dir/bin" >/dev/null
unshare --net --fork sh -c "ip link set lo up && echo \$\$ > $dir/wharfd.pid && exec $dir/bin/wharfd -config-file /nonexistent \
	-data-root $dir/root -exec-root $dir/exec -H unix://$sock -cgroup-parent wharf-oracle-$$" >"$dir/wharfd.log" 2>&1 &
i=0
until curl -sf --unix-socket "$sock" http://d/_ping >/dev/null 2>&1; do
	i=$((i + 1))
	if [ $i -gt 300 ]; then echo "wharfd did not come up:"; tail -30 "$dir/wharfd.log"; exit 1; fi
	sleep 0.1
done
"$here/../../hack/busybox-image.sh" "$dir/busybox.tar"
DOCKER_HOST=unix://$sock docker import -c 'CMD ["sh"]' "$dir/busybox.tar" busybox:latest >/dev/null
DOCKER_SOCK=$sock "$@"
