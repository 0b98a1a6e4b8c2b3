# Sourced by the two-node benchmarks (overlay.sh, mesh.sh), from the
# repository root, with id (a two-letter tag), A and B (the nodes'
# addresses) and tmp (a scratch directory) set: makes two network
# namespaces w$id-a and w$id-b joined by a veth (the "physical" link),
# a wharfd in each (hostnames $id-a and $id-b) with a busybox image and
# $tmp/httpd (bench/httpd), and one swarm of both, a the manager.
# w <node> <args> runs wharf against a node. The EXIT trap removes all of
# it; all traffic stays inside these namespaces.
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
		bin/wharfd -config-file /nonexistent -data-root "$tmp/$n" -exec-root "/run/wharf-${id}bench-$n" \
		-H "unix:///run/wharf-${id}bench-$n/wharf.sock" -cgroup-parent "wharf-${id}bench-$n" >"$tmp/wharfd-$n.log" 2>&1 &
	pids="$pids $!"
done
for n in a b; do
	for i in $(seq 100); do [ -S "/run/wharf-${id}bench-$n/wharf.sock" ] && break; sleep 0.1; done
	w $n import -c 'CMD ["sh"]' "$tmp/busybox.tar" busybox:latest >/dev/null
done
w a swarm init --advertise-addr "$A" >/dev/null
w b swarm join --token "$(w a swarm join-token -q worker)" "$A:2377" >/dev/null
