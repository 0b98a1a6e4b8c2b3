#!/bin/sh
# Runs critest (cri-tools' CRI validation suite) against a private wharfd:
# its own roots, a CNI bridge of its own, wharf's own registry on
# loopback holding the stand-in images (images.sh), and registry mirrors
# for registry.k8s.io and gcr.io pointing at it. Specs that cannot pass
# offline (the digest-pinned image) or do not apply (Windows) are skipped.
# Usage: hack/critest/run.sh [critest flags, e.g. --ginkgo.focus=PodSandbox]
# (from the repository root, as root; builds bin/ and critest)
set -eu
cd "$(dirname "$0")/../.."
critest=${CRITEST:-$(hack/tools/crictl/build.sh critest)}
make -s build >/dev/null
tmp=$(mktemp -d /tmp/wharf-critest-XXXXXX)
# The user namespace specs' containers reach their root file systems
# under the data root as an unprivileged id: searchable, as /var/lib is.
chmod 711 "$tmp"
exec_root=/run/wharf-critest
port=5055
mkdir -p "$tmp/net.d"
cat >"$tmp/net.d/10-critest.conflist" <<JSON
{"cniVersion":"1.0.0","name":"wharf-critest","plugins":[
 {"type":"bridge","bridge":"wcritest0","isGateway":true,"ipMasq":false,
  "ipam":{"type":"host-local","ranges":[[{"subnet":"10.231.251.0/24"}]],"dataDir":"$tmp/ipam"}},
 {"type":"portmap","capabilities":{"portMappings":true}},
 {"type":"loopback"}]}
JSON
cat >"$tmp/daemon.json" <<JSON
{"cri":{"cni-conf-dir":"$tmp/net.d"},
 "registry-host-mirrors":{"registry.k8s.io":["http://127.0.0.1:$port"],"gcr.io":["http://127.0.0.1:$port"]}}
JSON
bin/wharfd -config-file "$tmp/daemon.json" -data-root "$tmp/root" -exec-root "$exec_root" \
	-H "unix://$exec_root/wharf.sock" -cgroup-parent wharf-critest >"$tmp/wharfd.log" 2>&1 &
wharfd_pid=$!
bin/wharf registry serve --addr "127.0.0.1:$port" --root "$tmp/registry" >"$tmp/registry.log" 2>&1 &
registry_pid=$!
export DOCKER_HOST=unix://$exec_root/wharf.sock
cleanup() {
	set +e
	bin/wharf ps -aq --filter namespace=k8s.io | xargs -r bin/wharf rm -f >/dev/null 2>&1
	bin/wharf ps -aq | xargs -r bin/wharf rm -f >/dev/null 2>&1
	kill "$registry_pid" "$wharfd_pid" 2>/dev/null
	wait "$wharfd_pid" 2>/dev/null
	for f in "$exec_root"/cri/ns/*/*; do [ -e "$f" ] && umount "$f"; done
	umount -R "$tmp/root" 2>/dev/null
	ip link del wcritest0 2>/dev/null
	for d in /sys/fs/cgroup/wharf-critest /sys/fs/cgroup/*/wharf-critest; do [ -d "$d" ] && rmdir "$d" 2>/dev/null; done
	[ -n "${KEEP:-}" ] && cp "$tmp/wharfd.log" "$KEEP"
	rm -rf "$tmp" "$exec_root"
}
trap cleanup EXIT
for i in $(seq 100); do [ -S "$exec_root/cri.sock" ] && break; sleep 0.1; done
WHARF=bin/wharf hack/critest/images.sh "127.0.0.1:$port"
"$critest" --runtime-endpoint "unix://$exec_root/cri.sock" --image-endpoint "unix://$exec_root/cri.sock" \
	--ginkgo.skip 'digest|Windows|windows' "$@"
