#!/bin/sh
# Runs the engine benchmark against a private wharfd (its own data root
# and socket), beside `runc run` on the same busybox root file system.
# Usage: bench/run.sh [runs]   (from the repository root, as root)
set -eu
cd "$(dirname "$0")/.."
runs=${1:-20}
. bench/lib.sh
trap stop_wharfd EXIT
start_wharfd bench
go build -o "$tmp/engine" ./bench/engine
mkdir "$tmp/rootfs" && tar -C "$tmp/rootfs" -xf "$tmp/busybox.tar"
# runc runs the engine's own spec: copy it from a running container's bundle.
ref=$(w run -d busybox sleep 3600)
cp "$exec_root/containers/$ref/config.json" "$tmp/config.json"
"$tmp/engine" -host "unix://$sock" -rootfs "$tmp/rootfs" -config "$tmp/config.json" -runs "$runs" -cli bin/wharf
w rm -f "$ref" >/dev/null
