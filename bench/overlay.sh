#!/bin/sh
# Overlay benchmark: two wharfd in two network namespaces joined by a veth
# (the "physical" link here), one swarm of both, and between a task on
# node a and a task on node b over an overlay network: TCP throughput
# (256 MiB over HTTP, busybox nc) and HTTP requests per second (wrk -t2
# -c32, 1 KiB page, keep-alive), beside the same traffic over the plain
# veth link between the two namespaces. Prints medians [min-max], with
# the CPU time per request (wrk's and node b's containers'). All traffic
# stays inside the namespaces this script makes.
# Usage: bench/overlay.sh [runs]   (from the repository root, as root)
set -eu
cd "$(dirname "$0")/.."
runs=${1:-3}
command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
make -s build >/dev/null
tmp=$(mktemp -d /tmp/wharf-obench-XXXXXX)
A=10.232.0.1 B=10.232.0.2
id=ob
. bench/twonodes.sh
w a network create -d overlay ob >/dev/null
w a service create -d --name sink --network ob --constraint node.hostname==ob-b --stop-grace-period 1s \
	--mount type=bind,src="$tmp/httpd",dst=/httpd busybox \
	sh -c 'mkdir -p /www && dd if=/dev/zero of=/www/big bs=1M count=256 2>/dev/null && (httpd -p 8080 -h /www &) && exec /httpd' >/dev/null
w a service create -d --name src --network ob --constraint node.hostname==ob-a --stop-grace-period 1s busybox sleep 100000 >/dev/null
task() { w "$1" ps -q --filter "label=com.docker.swarm.service.name=$2" | head -1; }
for i in $(seq 600); do [ -n "$(task b sink)" ] && [ -n "$(task a src)" ] && break; sleep 0.1; done
src=$(task a src) sink=$(task b sink)
srcpid=$(w a inspect -f '{{.State.Pid}}' "$src")
sinkip=""
for i in $(seq 100); do
	sinkip=$(w b exec "$sink" ip -4 -o addr show | awk '{print $4}' | grep '^10\.' | cut -d/ -f1 || true)
	[ -n "$sinkip" ] && break; sleep 0.1
done
# The plain link: the same servers in node b's namespace itself, run as
# a container there (--network host) so that they are scheduled as the
# task's are. Servers outside any container compete as single threads
# against the container's whole cgroup: on a loaded machine (this one
# shares 2 cores with load averages past 20) that alone halved the
# containerised server's request rate, and the overlay looked at 40-67%
# of the link when its network path was at ~80%.
w b run -d --name linksink --network host --mount type=bind,src="$tmp/httpd",dst=/httpd busybox \
	sh -c 'mkdir -p /www && dd if=/dev/zero of=/www/big bs=1M count=256 2>/dev/null && (httpd -p 8080 -h /www &) && exec /httpd' >/dev/null
for i in $(seq 100); do nsenter --net=/run/netns/wob-a busybox nc -w 1 $B 80 </dev/null && break; sleep 0.1; done
for i in $(seq 100); do nsenter --net=/proc/$srcpid/ns/net busybox nc -w 1 "$sinkip" 80 </dev/null && break; sleep 0.1; done

median() { tr ' ' '\n' | grep . | sort -n | awk '{a[NR]=$1} END {m=int((NR+1)/2); printf "%.1f [%.1f-%.1f]", a[m], a[1], a[NR]}'; }
mbps() { # netns host: MiB/s for 256 MiB over HTTP
	s=$(date +%s.%N)
	nsenter --net="$1" sh -c "printf 'GET /big HTTP/1.0\r\n\r\n' | busybox nc $2 8080 | wc -c" >/dev/null
	e=$(date +%s.%N)
	echo "256 / ($e - $s)" | bc -l
}
ov_t="" ln_t="" ov_r="" ln_r=""
for i in $(seq "$runs"); do
	ov_t="$ov_t $(mbps /proc/$srcpid/ns/net "$sinkip")"
	ln_t="$ln_t $(mbps /run/netns/wob-a $B)"
	ov_r="$ov_r $(rps /proc/$srcpid/ns/net "http://$sinkip:80/")"
	ln_r="$ln_r $(rps /run/netns/wob-a "http://$B:80/")"
done
pct() { echo "$(summary 1 "$1" | cut -d' ' -f1) $(summary 1 "$2" | cut -d' ' -f1)" | awk '{printf "%.0f%%", 100 * $1 / $2}'; }
echo "| path (median [min-max] of $runs) | TCP MiB/s (256 MiB over HTTP) | requests/s (wrk -t2 -c32) | of the link | CPU us/request |"
echo "|---|---|---|---|---|"
echo "| overlay, task on ob-a -> task on ob-b | $(echo "$ov_t" | median) | $(summary 1 "$ov_r") | $(pct "$ov_r" "$ln_r") | $(summary 2 "$ov_r") |"
echo "| plain veth, namespace ob-a -> ob-b | $(echo "$ln_t" | median) | $(summary 1 "$ln_r") | 100% | $(summary 2 "$ln_r") |"
