#!/bin/sh
# Times the CRI's pod hot path (bench/cri): a pod with one container
# running, medians over N pods one at a time, then M pods at once, against
# a private wharfd whose pods use a CNI bridge of the benchmark's own.
# Usage: bench/cri.sh [pods] [concurrent]   (from the repository root, as
# root; needs Debian's containernetworking-plugins)
# WHARFD=/path/to/wharfd times another build of the daemon.
# HANDLERS=",crun" times the default runtime and crun's handler in the
# same rounds (the default when crun is installed; HANDLERS="" only the
# default). CPU: the daemon runs in a cpuacct cgroup of its own, with its
# monitors, runtimes and containers. USERNS=1 also times pods in user
# namespaces of their own.
set -eu
cd "$(dirname "$0")/.."
n=${1:-20}
m=${2:-30}
. bench/lib.sh
cni=$(mktemp -d /tmp/wharf-cri-cni-XXXXXX)
mkdir -p "$cni/net.d"
cat >"$cni/net.d/10-bench.conflist" <<JSON
{"cniVersion":"1.0.0","name":"wharf-bench-cri","plugins":[
 {"type":"bridge","bridge":"wcribench0","isGateway":true,"ipMasq":false,
  "ipam":{"type":"host-local","ranges":[[{"subnet":"10.231.250.0/24"}]],"dataDir":"$cni/ipam"}},
 {"type":"loopback"}]}
JSON
echo "{\"cri\":{\"cni-conf-dir\":\"$cni/net.d\"}}" >"$cni/daemon.json"
cpuacct=/sys/fs/cgroup/cpuacct
cleanup() {
	# What a failed run left: the CRI's containers and pod namespaces.
	w ps -aq --filter namespace=k8s.io 2>/dev/null | xargs -r bin/wharf -H "unix://$sock" rm -f >/dev/null 2>&1 || true
	for f in "$exec_root"/cri/ns/*/*; do [ -e "$f" ] && umount "$f" 2>/dev/null; done
	stop_wharfd
	for i in $(seq 20); do rmdir "$cpuacct/wharf-bench-daemon-cri" 2>/dev/null && break; sleep 0.2; done
	ip link del wcribench0 2>/dev/null || true
	rm -rf "$cni"
}
trap cleanup EXIT
WHARFD_CONFIG=$cni/daemon.json start_wharfd cri
mkdir -p "$cpuacct/wharf-bench-daemon-cri" "$cpuacct/wharf-cri"
echo "$wharfd_pid" >"$cpuacct/wharf-bench-daemon-cri/cgroup.procs"
handlers=
command -v crun >/dev/null && handlers=,crun
go build -o "$tmp/cri" ./bench/cri
"$tmp/cri" -endpoint "unix://$exec_root/cri.sock" -runs "$n" -parallel "$m" -handlers "${HANDLERS-$handlers}" \
	-cgroups "$cpuacct/wharf-bench-daemon-cri,$cpuacct/wharf-cri"
# USERNS=1: the same with pods in user namespaces of their own
# (hostUsers: false), whose containers reach the data root as an
# unprivileged id (searchable, as /var/lib is).
if [ -n "${USERNS:-}" ]; then
	chmod 711 "$tmp"
	echo
	echo "pods in user namespaces of their own:"
	"$tmp/cri" -endpoint "unix://$exec_root/cri.sock" -runs "$n" -parallel "$m" -userns 3276800 \
		-cgroups "$cpuacct/wharf-bench-daemon-cri,$cpuacct/wharf-cri"
fi
