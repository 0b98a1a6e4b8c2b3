#!/bin/sh
# CLI start-up and the commands users type most, against a private wharfd
# with 50 running containers: `--version`, `ps`, `inspect`, `exec c true`
# and `create` through bin/wharf (the C router: it runs bin/wharf-front,
# which answers --version, ps, inspect and exec itself, and bin/wharf-cli
# for create), through bin/wharf-cli (docker's whole command tree alone:
# wharf as it was before the front), through the official docker CLI
# (/usr/local/bin/docker, DOCKER_HOST pointed at the same wharfd), and
# through three programs that do nothing, the floors: hello (a Go
# program, built as the CLI is: any Go binary's start), noop (a static C
# program) and router+noop (bin/wharf beside a noop named wharf-cli: noop
# plus the router's exec hop, the cost the router adds to every command it
# hands on). Each round runs every command through every client in turn.
# The cpu columns are the CPU time of the process (an exec'd binary's
# included), the steadier figure on a loaded machine.
# Usage: bench/cli.sh [runs]   (from the repository root, as root)
# WHARF_BASE=/path/to/wharf adds another build of wharf (a before/after).
set -eu
cd "$(dirname "$0")/.."
runs=${1:-20}
. bench/lib.sh
trap stop_wharfd EXIT
start_wharfd cli
go build -o "$tmp/cli" ./bench/cli
printf 'package main\n\nfunc main() {}\n' >"$tmp/hello.go"
CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$tmp/hello" "$tmp/hello.go"
mkdir "$tmp/hop"
printf 'int main(void) { return 0; }\n' >"$tmp/noop.c"
cc -Os -static -s -o "$tmp/hop/wharf-cli" "$tmp/noop.c"
cp bin/wharf "$tmp/hop/wharf"
for i in $(seq 50); do w run -d --name "c$i" busybox sleep 3600 >/dev/null; done
set -- -cli wharf=bin/wharf -cli wharf-cli=bin/wharf-cli
[ -n "${WHARF_BASE:-}" ] && set -- "$@" -cli "base=$WHARF_BASE"
"$tmp/cli" -host "unix://$sock" -runs "$runs" -inspect c1 -exec c2 -ps-label "ps (50 running)" \
	"$@" -cli docker=/usr/local/bin/docker -cli "hello=$tmp/hello" \
	-cli "noop=$tmp/hop/wharf-cli" -cli "router+noop=$tmp/hop/wharf"
w container prune -f >/dev/null
