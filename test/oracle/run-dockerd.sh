#!/bin/sh
# Runs Debian's dockerd 20.10 (apt-get install docker.io) as an oracle:
# in a network namespace of its own (it makes docker0 and sets FORWARD to
# DROP, which must never touch the host's network), on a private data
# root, with a busybox image; runs "$@" with DOCKER_SOCK set to its
# socket (and ORACLE, for the few known bugs of 20.10 the checks allow),
# then stops it and removes what it made.
#   test/oracle/run-dockerd.sh test/oracle/api_versions.py
set -eu
here=$(cd "$(dirname "$0")" && pwd)
dir=$(mktemp -d /tmp/wharf-oracle-XXXXXX)
sock=$dir/docker.sock
cleanup() {
	if [ -f "$dir/dockerd.pid" ]; then
		pid=$(cat "$dir/dockerd.pid")
		kill "$pid" 2>/dev/null || true
		i=0
		while kill -0 "$pid" 2>/dev/null && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
	fi
	grep -o " $dir[^ ]*" /proc/self/mounts | sort -r | while read -r m; do umount -l "$m" 2>/dev/null || true; done
	rm -rf "$dir"
	for cg in /sys/fs/cgroup/wharf-oracle /sys/fs/cgroup/*/wharf-oracle; do [ -d "$cg" ] && find "$cg" -depth -type d -exec rmdir {} \; 2>/dev/null || true; done
}
trap cleanup EXIT
unshare --net --fork sh -c "ip link set lo up && exec dockerd --data-root $dir/root --exec-root $dir/exec \
	--pidfile $dir/dockerd.pid -H unix://$sock --cgroup-parent wharf-oracle" >"$dir/dockerd.log" 2>&1 &
i=0
until curl -sf --unix-socket "$sock" http://d/_ping >/dev/null 2>&1; do
	i=$((i + 1))
	if [ $i -gt 300 ]; then echo "dockerd did not come up:"; tail -30 "$dir/dockerd.log"; exit 1; fi
	sleep 0.1
done
"$here/../../hack/busybox-image.sh" "$dir/busybox.tar"
DOCKER_HOST=unix://$sock docker import -c 'CMD ["sh"]' "$dir/busybox.tar" busybox:latest >/dev/null
DOCKER_SOCK=$sock ORACLE=dockerd-20.10 "$@"
