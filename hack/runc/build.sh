#!/bin/sh
# Builds wharf-runc: runc (the version below, from the Go module proxy)
# with hack/runc/seccomp-cache.patch, which compiles a container's seccomp
# profile once and keeps the compiled filter in runc's state directory:
# Debian's runc 1.1.5 compiles docker's default profile with libseccomp in
# every container start and every exec (~25 ms of CPU each). runc 1.4 also
# fixes exec's soft nofile limit (runc#4195), which wharf-exec-init works
# around for older runc.
#
# Usage: hack/runc/build.sh <output>   (make build runs it)
# The binary is cached in ~/.cache/wharf-tools, named after the version and
# the patch, so only the first build downloads and compiles (~1 minute);
# later ones copy it. Needs cgo, libseccomp-dev (make deps installs it) and
# the Go module proxy; without them it says so and exits 0, and wharfd uses
# Debian's runc.
set -eu
version=v1.4.4
out=$1
here=$(cd "$(dirname "$0")" && pwd)
cache=${WHARF_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/wharf-tools}
sum=$( (echo "$version"; cat "$here/seccomp-cache.patch" "$here/build.sh") | sha256sum | cut -c1-12)
bin="$cache/wharf-runc-$sum"
if [ ! -x "$bin" ]; then
	if ! pkg-config --exists libseccomp 2>/dev/null || ! command -v gcc >/dev/null; then
		echo "hack/runc/build.sh: libseccomp-dev (or gcc) missing: not building wharf-runc; wharfd will use Debian's runc (make deps installs it)" >&2
		exit 0
	fi
	src=$(go mod download -json "github.com/opencontainers/runc@$version" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p') || true
	if [ ! -d "$src" ]; then
		echo "hack/runc/build.sh: cannot download runc $version from the Go module proxy: not building wharf-runc; wharfd will use Debian's runc" >&2
		exit 0
	fi
	work=$(mktemp -d /tmp/wharf-runc-build-XXXXXX)
	trap 'rm -rf "$work"' EXIT
	cp -r "$src/." "$work" && chmod -R u+w "$work"
	(cd "$work" && patch -s -p1 <"$here/seccomp-cache.patch")
	mkdir -p "$cache"
	# As runc's Makefile builds it: cgo, the seccomp tag, its version.
	(cd "$work" && CGO_ENABLED=1 GOFLAGS=-mod=mod go build -trimpath -tags seccomp \
		-ldflags "-s -w -X main.version=${version#v}+wharf -X main.gitCommit=" -o "$bin.tmp" .)
	mv "$bin.tmp" "$bin"
fi
cp -p "$bin" "$out.tmp" && mv "$out.tmp" "$out"
