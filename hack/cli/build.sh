#!/bin/sh
# Builds wharf-cli (docker's command tree, cmd/wharf-cli, which the
# wharf front runs) with github.com/santhosh-tekuri/jsonschema/v6 patched by hack/cli/jsonschema-lazy-drafts.patch: that library compiles
# the JSON Schema drafts' metaschemas in its init, and docker/cli links it
# (docker stack deploy validates compose files with it), so every wharf
# command paid for it before main: ~15-20% of `wharf --version`'s CPU and
# ~350 of its ~2,100 page faults. Patched, the drafts are compiled on the
# first Compile, which only `wharf stack deploy` reaches. The library's
# own tests pass on the patched copy (go test -race, in it).
#
# The patched copy is the module of go.mod's version, put beside a go.work
# that uses this repository and replaces the module with it (go.mod stays
# as it is: `go build ./cmd/wharf-cli` builds it unpatched, only slower
# to start). If the patch no longer applies (a new version), the CLI is
# built unpatched and this says so.
#
# Usage: hack/cli/build.sh <output> [ldflags]   (make build runs it)
set -eu
out=$1
ldflags=${2:-}
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
mod=github.com/santhosh-tekuri/jsonschema/v6
cd "$repo"
work=$(mktemp -d /tmp/wharf-cli-build-XXXXXX)
trap 'rm -rf "$work"' EXIT
src=$(go list -m -f '{{.Dir}}' "$mod")
cp -r "$src/." "$work/jsonschema" && chmod -R u+w "$work/jsonschema" && rm -f "$work"/jsonschema/go.work*
build() {
	CGO_ENABLED=0 go build -trimpath -ldflags "-s -w $ldflags" -o "$out" ./cmd/wharf-cli
}
if ! patch -s -p1 -d "$work/jsonschema" <"$here/jsonschema-lazy-drafts.patch" >"$work/patch.log" 2>&1; then
	echo "hack/cli/build.sh: the patch does not apply to $mod $(go list -m -f '{{.Version}}' "$mod"): building wharf without it" >&2
	build
	exit
fi
printf 'go %s\n\nuse %s\n\nreplace %s => %s\n' "$(go list -m -f '{{.GoVersion}}')" "$repo" "$mod" "$work/jsonschema" >"$work/go.work"
# A workspace may need a go.mod or two more from the module proxy; offline
# without them, wharf is built as go.mod says.
if ! GOWORK="$work/go.work" build; then
	echo "hack/cli/build.sh: building wharf with the patched $mod failed (above): building it without" >&2
	build
fi
