#!/bin/sh
# Builds the wharf CLI's two binaries into <bindir>, each with one library
# patched so that it does its work when first used instead of in its
# package init, which Go runs on every start of every command:
#
#   wharf-cli (docker's command tree, cmd/wharf-cli) with
#   github.com/santhosh-tekuri/jsonschema/v6 patched by
#   jsonschema-lazy-drafts.patch: that library compiles the JSON Schema
#   drafts' metaschemas in its init, and docker/cli links it (docker stack
#   deploy validates compose files with it): ~15-20% of `wharf --version`'s
#   CPU and ~350 of its ~2,100 page faults. Patched, the drafts are
#   compiled on the first Compile, which only `wharf stack deploy` reaches.
#
#   wharf (the front, cmd/wharf) with github.com/distribution/reference
#   patched by reference-lazy-regexps.patch: its ten regular expressions
#   are compiled on first use, not in its init (3-8 ms of the front's
#   `ps`, which parses a reference only for an image named by digest). The
#   patch changes the type of the package's exported regexp variables,
#   which nothing the front links uses but docker/cli's tree does: it is
#   for the front only.
#
# The libraries' own tests pass on the patched copies (go test -race, in
# them). A patched copy is the module of go.mod's version, put beside a
# go.work that uses this repository and replaces the module with it
# (go.mod stays as it is: `go build ./cmd/wharf ./cmd/wharf-cli` builds
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

# build_patched <binary> <module> <patch>: builds ./cmd/<binary> into
# $bindir with <module> patched by hack/cli/<patch>.
build_patched() {
	name=$1 mod=$2
	build() {
		CGO_ENABLED=0 go build -trimpath -ldflags "-s -w $ldflags" -o "$bindir/$name" "./cmd/$name"
	}
	copy=$work/$name/module
	mkdir -p "$work/$name"
	cp -r "$(go list -m -f '{{.Dir}}' "$mod")/." "$copy" && chmod -R u+w "$copy" && rm -f "$copy"/go.work*
	if ! patch -s -p1 -d "$copy" <"$here/$3" >"$work/$name/patch.log" 2>&1; then
		echo "hack/cli/build.sh: $3 does not apply to $mod $(go list -m -f '{{.Version}}' "$mod"): building $name without it" >&2
		build
		return
	fi
	printf 'go %s\n\nuse %s\n\nreplace %s => %s\n' "$(go list -m -f '{{.GoVersion}}')" "$repo" "$mod" "$copy" >"$work/$name/go.work"
	# A workspace may need a go.mod or two more from the module proxy;
	# offline without them, the binary is built as go.mod says.
	if ! GOWORK="$work/$name/go.work" build; then
		echo "hack/cli/build.sh: building $name with the patched $mod failed (above): building it without" >&2
		build
	fi
}

build_patched wharf-cli github.com/santhosh-tekuri/jsonschema/v6 jsonschema-lazy-drafts.patch
build_patched wharf github.com/distribution/reference reference-lazy-regexps.patch
