#!/bin/sh
# Builds the kubelet from hack/tools/kubelet/go.mod into a cache directory
# and prints its path; with the binary already there it returns at once.
# Cold build: about 7 minutes on 2 cores (longer when they are shared).
# CI: run this once before the integration suite (or set KUBELET to its
# output); TestKubeletStandalone skips without it.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=${WHARF_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/wharf-tools}
sum=$(cat "$here/go.mod" "$here/go.sum" | sha256sum | cut -c1-12)
bin="$out/kubelet-$sum"
if [ ! -x "$bin" ]; then
	mkdir -p "$out"
	version=$(sed -n 's/^require k8s.io\/kubernetes \(v[^ ]*\)$/\1/p' "$here/go.mod")
	# The version kubelet --version and the node status report; without
	# it they say v0.0.0-master.
	ldflags="-s -w -X k8s.io/component-base/version.gitVersion=$version -X k8s.io/component-base/version.gitMajor=1"
	ldflags="$ldflags -X k8s.io/component-base/version.gitMinor=$(echo "$version" | cut -d. -f2)"
	(cd "$here" && go build -trimpath -ldflags "$ldflags" -o "$bin.tmp" k8s.io/kubernetes/cmd/kubelet)
	mv "$bin.tmp" "$bin"
fi
echo "$bin"
