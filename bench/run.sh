#!/bin/sh
# Runs the engine benchmark against a private wharfd (its own data root
# and socket), beside `runc run` on the same busybox root file system.
# Usage: bench/run.sh [runs]   (from the repository root, as root)
set -eu
cd "$(dirname "$0")/.."
runs=${1:-20}
tmp=$(mktemp -d /tmp/wharf-bench-XXXXXX)
exec_root=/run/wharf-bench
sock=$exec_root/wharf.sock
cleanup() {
	[ -n "${pid:-}" ] && kill "$pid" 2>/dev/null && sleep 0.5
	umount -R "$tmp/root" 2>/dev/null || true
	rm -rf "$tmp" "$exec_root"
}
trap cleanup EXIT
go build -o bin/wharf ./cmd/wharf
go build -o bin/wharfd ./cmd/wharfd
go build -o "$tmp/engine" ./bench/engine
bin/wharfd -config-file /nonexistent -data-root "$tmp/root" -exec-root "$exec_root" -H "unix://$sock" >"$tmp/wharfd.log" 2>&1 &
pid=$!
for i in $(seq 100); do [ -S "$sock" ] && break; sleep 0.1; done
hack/busybox-image.sh "$tmp/busybox.tar"
mkdir "$tmp/rootfs" && tar -C "$tmp/rootfs" -xf "$tmp/busybox.tar"
bin/wharf -H "unix://$sock" import -c 'CMD ["sh"]' "$tmp/busybox.tar" busybox:latest >/dev/null
# runc runs the engine's own spec: copy it from a running container's bundle.
ref=$(bin/wharf -H "unix://$sock" run -d busybox sleep 3600)
cp "$exec_root/containers/$ref/config.json" "$tmp/config.json"
"$tmp/engine" -host "unix://$sock" -rootfs "$tmp/rootfs" -config "$tmp/config.json" -runs "$runs" -cli bin/wharf
bin/wharf -H "unix://$sock" rm -f "$ref" >/dev/null
