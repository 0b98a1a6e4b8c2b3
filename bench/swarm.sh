#!/bin/sh
# Swarm mode benchmark against a private wharfd (one node): `swarm init`,
# `service create -d --replicas 3` until `service ls` shows 3/3, and
# `service scale` 3->10 until 10/10; each run from a fresh swarm. Prints
# medians. The study (../shared/docs/multihost.md) measured Debian's
# dockerd 20.10 on this kind of VM: init 657 ms, 3/3 in 1.9 s, 3->10 in
# 3.6 s.
# Usage: bench/swarm.sh [runs]   (from the repository root, as root)
set -eu
cd "$(dirname "$0")/.."
runs=${1:-3}
. bench/lib.sh
trap 'w swarm leave --force >/dev/null 2>&1 || true; stop_wharfd' EXIT
start_wharfd swarmbench

now() { date +%s.%N; }
median() { sort -n | awk '{a[NR]=$1} END {m=int((NR+1)/2); printf "%.3f", a[m]}'; }
m() { echo "$1" | tr ' ' '\n' | grep . | median; }
# until_replicas svc want: polls `service ls` until it shows want
until_replicas() {
	while [ "$(w service ls --filter "name=$1" --format '{{.Replicas}}')" != "$2" ]; do sleep 0.05; done
}

init=""; create=""; scale=""
for i in $(seq "$runs"); do
	s=$(now); w swarm init --advertise-addr 127.0.0.1 --listen-addr 127.0.0.1:12377 >/dev/null; e=$(now)
	init="$init $(echo "$e - $s" | bc)"
	s=$(now)
	w service create -d --name web --replicas 3 --stop-grace-period 1s busybox sleep 100000 >/dev/null 2>&1
	until_replicas web 3/3
	e=$(now); create="$create $(echo "$e - $s" | bc)"
	s=$(now)
	w service scale -d web=10 >/dev/null 2>&1
	until_replicas web 10/10
	e=$(now); scale="$scale $(echo "$e - $s" | bc)"
	w service rm web >/dev/null
	while [ -n "$(w ps -aq --filter label=com.docker.swarm.task)" ]; do sleep 0.1; done
	w swarm leave --force >/dev/null
done
echo "swarm, one node (median of $runs): init $(m "$init")s, create --replicas 3 -> 3/3 $(m "$create")s, scale 3->10 -> 10/10 $(m "$scale")s"
