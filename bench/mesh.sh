#!/bin/sh
# Routing mesh benchmark: two wharfd in two network namespaces joined by
# a veth, one swarm of both, a one-task service published through the
# mesh (-p 8080:80, the task on node b). HTTP requests per second (wrk
# -t2 -c32, 1 KiB page, keep-alive) to the task directly (its address on
# node b's bridge, from node b), through the mesh on the task's own node
# (node b's address:8080, from node b) and through the mesh from the
# other node (node b's address:8080 from node a), and with a new
# connection for each request (-H 'Connection: close'), where the mesh's
# NAT set-up counts. Medians [min-max], with the CPU time per request
# (wrk's and the task's); the target is mesh >= 80% of direct. All
# traffic stays inside the namespaces this script makes.
# Usage: bench/mesh.sh [runs]   (from the repository root, as root)
set -eu
cd "$(dirname "$0")/.."
runs=${1:-3}
command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
make -s build >/dev/null
tmp=$(mktemp -d /tmp/wharf-mbench-XXXXXX)
A=10.233.0.1 B=10.233.0.2
id=mb
. bench/twonodes.sh
w a service create -d --name web -p 8080:80 --constraint node.hostname==mb-b --stop-grace-period 1s \
	--mount type=bind,src="$tmp/httpd",dst=/httpd busybox \
	/httpd >/dev/null
task() { w "$1" ps -q --filter "label=com.docker.swarm.service.name=$2" | head -1; }
for i in $(seq 600); do [ -n "$(task b web)" ] && break; sleep 0.1; done
web=$(task b web)
webip=$(w b inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' "$web")
up() { nsenter --net="$1" curl -s -m 2 -o /dev/null "http://$2/"; }
for i in $(seq 300); do up /run/netns/wmb-a $B:8080 && up /run/netns/wmb-b $B:8080 && break; sleep 0.1; done

d="" m="" x="" dc="" mc=""
for i in $(seq "$runs"); do
	d="$d $(rps /run/netns/wmb-b "http://$webip:80/")"
	m="$m $(rps /run/netns/wmb-b "http://$B:8080/")"
	x="$x $(rps /run/netns/wmb-a "http://$B:8080/")"
	dc="$dc $(rps /run/netns/wmb-b "http://$webip:80/" 'Connection: close')"
	mc="$mc $(rps /run/netns/wmb-b "http://$B:8080/" 'Connection: close')"
done
med() { summary 1 "$1" | cut -d' ' -f1; }
pct() { echo "$(med "$1") $(med "$2")" | awk '{printf "%.0f%%", 100 * $1 / $2}'; }
echo "| path (median [min-max] of $runs, wrk -t2 -c32) | keep-alive req/s | of direct | CPU us/req | new connection per request req/s | of direct | CPU us/req |"
echo "|---|---|---|---|---|---|---|"
echo "| direct to the task (its bridge address, from node b) | $(summary 1 "$d") | 100% | $(summary 2 "$d") | $(summary 1 "$dc") | 100% | $(summary 2 "$dc") |"
echo "| routing mesh, node b's :8080 from node b | $(summary 1 "$m") | $(pct "$m" "$d") | $(summary 2 "$m") | $(summary 1 "$mc") | $(pct "$mc" "$dc") | $(summary 2 "$mc") |"
echo "| routing mesh, node b's :8080 from node a | $(summary 1 "$x") | $(pct "$x" "$d") | $(summary 2 "$x") | | | |"
