# Sourced by the two-node benchmarks (overlay.sh, mesh.sh), from the
# repository root, with id (a two-letter tag), A and B (the nodes'
# addresses) and tmp (a scratch directory) set: makes two network
# namespaces w$id-a and w$id-b joined by a veth (the "physical" link),
# a wharfd in each (hostnames $id-a and $id-b) with a busybox image and
# $tmp/httpd (bench/httpd), and one swarm of both, a the manager.
# w <node> <args> runs wharf against a node. The EXIT trap removes all of
# it; all traffic stays inside these namespaces. WHARFD names another
# wharfd binary to run (to compare builds).
# rps <netns> <url> [header] prints requests/s (wrk -t2 -c32, 5 s or
# $DURATION) and the CPU time per request in microseconds, wrk's and
# node b's containers' (the server's; on a loaded machine the steadier
# figure), as "rps:cpu"; summary <field> <values> prints their median [min-max].
pids=""
w() { node=$1; shift; bin/wharf -H "unix:///run/wharf-${id}bench-$node/wharf.sock" "$@"; }
cleanup() {
	set +e
	for n in b a; do w $n swarm leave --force >/dev/null 2>&1; done
	for n in a b; do w $n ps -aq 2>/dev/null | xargs -r bin/wharf -H "unix:///run/wharf-${id}bench-$n/wharf.sock" rm -f >/dev/null 2>&1; done
	for p in $pids; do kill "$p" 2>/dev/null; done
	sleep 1
	for n in a b; do
		umount -R "$tmp/$n" 2>/dev/null
		rm -rf "/run/wharf-${id}bench-$n"
		for d in /sys/fs/cgroup/*/"wharf-${id}bench-$n" /sys/fs/cgroup/"wharf-${id}bench-$n"; do [ -d "$d" ] && rmdir "$d" 2>/dev/null; done
		ip netns del "w$id-$n" 2>/dev/null
	done
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

ip netns add "w$id-a"
ip netns add "w$id-b"
ip link add "w${id}va" type veth peer name "w${id}vb"
ip link set "w${id}va" netns "w$id-a"
ip link set "w${id}vb" netns "w$id-b"
ip -n "w$id-a" addr add "$A/24" dev "w${id}va"
ip -n "w$id-b" addr add "$B/24" dev "w${id}vb"
for n in a b; do ip -n "w$id-$n" link set lo up; ip -n "w$id-$n" link set "w${id}v$n" up; done

hack/busybox-image.sh "$tmp/busybox.tar"
CGO_ENABLED=0 go build -o "$tmp/httpd" ./bench/httpd
for n in a b; do
	mkdir -p "$tmp/$n"
	nsenter --net="/run/netns/w$id-$n" unshare --uts sh -c 'hostname "$0" && exec "$@"' "$id-$n" \
		"${WHARFD:-bin/wharfd}" -config-file /nonexistent -data-root "$tmp/$n" -exec-root "/run/wharf-${id}bench-$n" \
		-H "unix:///run/wharf-${id}bench-$n/wharf.sock" -cgroup-parent "wharf-${id}bench-$n" >"$tmp/wharfd-$n.log" 2>&1 &
	pids="$pids $!"
done
for n in a b; do
	for i in $(seq 100); do [ -S "/run/wharf-${id}bench-$n/wharf.sock" ] && break; sleep 0.1; done
	w $n import -c 'CMD ["sh"]' "$tmp/busybox.tar" busybox:latest >/dev/null
done
w a swarm init --advertise-addr "$A" >/dev/null
w b swarm join --token "$(w a swarm join-token -q worker)" "$A:2377" >/dev/null

rps() {
	c0=$(cat "/sys/fs/cgroup/cpuacct/wharf-${id}bench-b/cpuacct.usage")
	out=$(nsenter --net="$1" /usr/bin/time -f 'CPU %U %S' wrk -t2 -c32 -d"${DURATION:-5}s" ${3:+-H "$3"} "$2" 2>&1)
	c1=$(cat "/sys/fs/cgroup/cpuacct/wharf-${id}bench-b/cpuacct.usage")
	echo "$out" | awk -v c="$((c1 - c0))" '/requests in/ {n=$1} /Requests\/sec/ {r=$2} /^CPU/ {u=$2+$3} END {printf "%.0f:%.1f", r, (u*1e6 + c/1000)/n}'
}
# summary <field> <values>: field 1 (requests/s) or 2 (CPU us/request).
summary() { echo "$2" | tr ' ' '\n' | grep : | cut -d: -f"$1" | sort -n | awk '{a[NR]=$1} END {printf "%s [%s-%s]", a[int((NR+1)/2)], a[1], a[NR]}'; }
