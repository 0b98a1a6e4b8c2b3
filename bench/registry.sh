#!/bin/sh
# Image transfer benchmark against a private wharfd and our own registry
# on loopback: push, pull, save and load of a ~300 MB image (half random,
# half text), each timed on the wall clock. Usage: bench/registry.sh
set -eu
cd "$(dirname "$0")/.."
port=${PORT:-15099}
ref=127.0.0.1:$port/bench/big:1
. bench/lib.sh
cleanup() {
	[ -n "${reg:-}" ] && kill "$reg" 2>/dev/null
	stop_wharfd
}
trap cleanup EXIT
start_wharfd regbench
bin/wharf registry serve --addr "127.0.0.1:$port" --root "$tmp/registry" >"$tmp/registry.log" 2>&1 &
reg=$!
sleep 0.5

# The image: 150 MB of random bytes and 150 MB of text in one layer.
mkdir -p "$tmp/rootfs"
head -c 150000000 /dev/urandom >"$tmp/rootfs/random.bin"
yes "the quick brown fox jumps over the lazy dog $(date)" | head -c 150000000 >"$tmp/rootfs/text.txt"
tar -C "$tmp/rootfs" -cf "$tmp/big.tar" .
rm -rf "$tmp/rootfs"
w import "$tmp/big.tar" "$ref" >/dev/null
size=$(stat -c %s "$tmp/big.tar")

timed() { # label command...
	label=$1; shift
	s=$(date +%s.%N); "$@" >/dev/null; e=$(date +%s.%N)
	t=$(echo "$e - $s" | bc)
	echo "| $label | $t s | $(echo "$size / 1000000 / $t" | bc) MB/s |"
}
echo "| step (image of $((size / 1000000)) MB) | time | throughput |"
echo "|---|---|---|"
timed "push to our registry on loopback" w push "$ref"
w rmi "$ref" >/dev/null
timed "pull from it" w pull "$ref"
timed "save to a file" w save -o "$tmp/saved.tar" "$ref"
w rmi "$ref" >/dev/null
timed "load from the file" w load -i "$tmp/saved.tar"
