#!/bin/sh
# CLI start-up and the commands users type most, against a private wharfd
# with 50 running containers: `--version`, `ps`, `inspect` and `create`
# through bin/wharf (the front, which answers --version, ps and inspect
# itself and runs bin/wharf-cli for create), through bin/wharf-cli (docker's
# whole command tree alone: wharf as it was before the front) and through
# the official docker CLI (/usr/local/bin/docker, DOCKER_HOST pointed at the
# same wharfd), and through a Go program that does nothing (hello: the
# floor of any Go binary's start, built as wharf is), in turn. The cpu
# columns are the CPU time of the process (an exec'd binary's included).
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
for i in $(seq 50); do w run -d --name "c$i" busybox sleep 3600 >/dev/null; done
set -- -cli wharf=bin/wharf -cli wharf-cli=bin/wharf-cli
[ -n "${WHARF_BASE:-}" ] && set -- "$@" -cli "base=$WHARF_BASE"
"$tmp/cli" -host "unix://$sock" -runs "$runs" -inspect c1 -ps-label "ps (50 running)" \
	"$@" -cli docker=/usr/local/bin/docker -cli "hello=$tmp/hello"
w container prune -f >/dev/null
