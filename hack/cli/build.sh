#!/bin/sh
# Builds the wharf CLI's three binaries into <bindir>: wharf (cmd/wharf,
# a small static C program that execs one of the other two) and the two
# Go programs it runs,
# each with libraries patched so that they do their work when first used
# instead of in their package init, which Go runs on every start of every
# command:
#
#   wharf-cli (docker's command tree, cmd/wharf-cli) with
#   github.com/santhosh-tekuri/jsonschema/v6 patched by
#   jsonschema-lazy-drafts.patch: that library compiles the JSON Schema
#   drafts' metaschemas in its init, and docker/cli links it (docker stack
#   deploy validates compose files with it): ~15-20% of `wharf --version`'s
#   CPU and ~350 of its ~2,100 page faults. Patched, the drafts are
#   compiled on the first Compile, which only `wharf stack deploy` reaches.
#
#   wharf-front (the front, cmd/wharf-front) with github.com/distribution/reference
#   and github.com/opencontainers/go-digest patched by
#   reference-lazy-regexps.patch and go-digest-lazy-regexps.patch: their
#   regular expressions are compiled on first use, not in their init
#   (4-9 ms of the front's `ps`, which parses a reference only to shorten
#   an image named with a digest). The patches change the type of the
#   packages' exported regexp variables, which nothing the front links
#   uses but docker/cli's tree does: they are for the front only.
#
# The libraries' own tests pass on the patched copies (go test -race, in
# them). A patched copy is the module of go.mod's version, put beside a
# go.work that uses this repository and replaces the module with it
# (go.mod stays as it is: `go build ./cmd/wharf-front ./cmd/wharf-cli` builds
# them unpatched, only slower to start). If a patch no longer applies (a
# new version), or the build with it fails, the binary is built unpatched
# and this says so.
#
# Usage: hack/cli/build.sh <bindir> [ldflags]   (make build runs it)
set -eu
bindir=$1
ldflags=${2:-}
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
cd "$repo"
work=$(mktemp -d /tmp/wharf-cli-build-XXXXXX)
trap 'rm -rf "$work"' EXIT

# build_patched <binary> <module> <patch> [<module> <patch>...]: builds
# ./cmd/<binary> into $bindir with each <module> patched by hack/cli/<patch>.
build_patched() {
	name=$1
	shift
	build() {
		CGO_ENABLED=0 go build -trimpath -ldflags "-s -w $ldflags" -o "$bindir/$name" "./cmd/$name"
	}
	dir=$work/$name
	mkdir -p "$dir"
	replaces=
	while [ $# -ge 2 ]; do
		mod=$1 patch=$2
		shift 2
		copy=$dir/$(echo "$mod" | tr / _)
		cp -r "$(go list -m -f '{{.Dir}}' "$mod")/." "$copy" && chmod -R u+w "$copy" && rm -f "$copy"/go.work*
		if ! patch -s -p1 -d "$copy" <"$here/$patch" >"$dir/patch.log" 2>&1; then
			echo "hack/cli/build.sh: $patch does not apply to $mod $(go list -m -f '{{.Version}}' "$mod"): building $name without it" >&2
			build
			return
		fi
		replaces="$replaces
replace $mod => $copy"
	done
	printf 'go %s\n\nuse %s\n%s\n' "$(go list -m -f '{{.GoVersion}}')" "$repo" "$replaces" >"$dir/go.work"
	# A workspace may need a go.mod or two more from the module proxy;
	# offline without them, the binary is built as go.mod says.
	if ! GOWORK="$dir/go.work" build; then
		echo "hack/cli/build.sh: building $name with the patched modules failed (above): building it without" >&2
		build
	fi
}

build_patched wharf-cli github.com/santhosh-tekuri/jsonschema/v6 jsonschema-lazy-drafts.patch
build_patched wharf-front github.com/distribution/reference reference-lazy-regexps.patch \
	github.com/opencontainers/go-digest go-digest-lazy-regexps.patch
# The router, static and stripped: no dynamic loader at each start. Its
# start is paid again by every command, and a static glibc's start touches
# ~20 pages more than musl's (~1 ms more CPU per command on a small VM,
# bench/cli.sh's router+noop): musl-gcc when installed (Debian's
# musl-tools), else the system's cc; $CC chooses another.
cc=${CC:-$(command -v musl-gcc || echo cc)}
$cc -std=c11 -Os -static -s -Wall -Wextra -Werror -o "$bindir/wharf" cmd/wharf/wharf.c
