#!/bin/sh
# Network benchmark against a private wharfd: HTTP requests per second
# with wrk through a published port on 127.0.0.1 versus straight to the
# container's address, and TCP throughput between two containers on one
# bridge. All traffic stays on this host: loopback and our own bridge.
# Usage: bench/network.sh   (from the repository root, as root)
set -eu
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
. bench/lib.sh
cleanup() {
	w rm -f web sink >/dev/null 2>&1 || true
	w network rm benchnet >/dev/null 2>&1 || true
	stop_wharfd
}
trap cleanup EXIT
start_wharfd netbench

# A 1 KiB page from a small static keep-alive server of ours.
CGO_ENABLED=0 go build -o "$tmp/httpd" ./bench/httpd
w run -d --name web -p 127.0.0.1:18080:80 -v "$tmp/httpd:/httpd:ro" busybox /httpd >/dev/null
ip=$(w inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' web)
sleep 0.5
rps() { wrk -t2 -c32 -d"${DURATION:-5}s" "$1" | awk '/Requests\/sec/ {print $2}'; }
echo "| path | requests/s (wrk -t2 -c32, 1 KiB page) |"
echo "|---|---|"
for round in 1 2 3 4 5; do
	echo "| direct http://$ip:80/ (round $round) | $(rps "http://$ip:80/") |"
	echo "| published http://127.0.0.1:18080/ (round $round) | $(rps http://127.0.0.1:18080/) |"
done

# TCP throughput between two containers on one user-defined bridge:
# httpd in one sends a 256 MiB file, nc in the other reads it (the
# client's own clock, so container start-up is not counted).
w network create benchnet >/dev/null
w run -d --name sink --network benchnet busybox sh -c \
	'mkdir -p /www && dd if=/dev/zero of=/www/big bs=1M count=256 2>/dev/null && exec httpd -f -p 80 -h /www' >/dev/null
sleep 2
echo "container to container, 256 MiB over HTTP (busybox time):"
w run --rm --name src --network benchnet busybox time sh -c \
	"printf 'GET /big HTTP/1.0\r\n\r\n' | nc sink 80 | wc -c"
