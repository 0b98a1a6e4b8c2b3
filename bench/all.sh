#!/bin/sh
# Issue 22's whole table in one command: run --rm, exec, ps (with 50
# running), inspect and rm -f (of a running container) through raw API
# calls, wharf and the official docker CLI, beside runc run and runc exec
# on the same spec and root file system (Debian's runc and wharf-runc),
# and the floor (unshare + chroot,
# with and without an overlay mount). Medians with min and max.
# Usage: bench/all.sh [runs]   (from the repository root, as root)
# WHARFD_BASE=/path/to/old/wharfd times that build too, in the same rounds
# (a before/after; put it outside bin/ so it runs the runc it ran before).
# SECTIONS=rm,ps (say) times only those figures.
# With crun installed it also times crun: `crun run`/`crun exec` alone on
# the same spec and root file system (through wharf-crun, as wharfd runs
# it), and the API's and wharf's run --rm and exec with --runtime crun
# (NO_CRUN=1 leaves it out).
# CPU columns: each daemon runs in a cpuacct cgroup of its own, so the CPU
# its monitors, runtimes and containers use is counted whatever else the
# machine runs (wall times are not, on a shared machine).
set -eu
cd "$(dirname "$0")/.."
runs=${1:-15}
. bench/lib.sh
cpuacct=/sys/fs/cgroup/cpuacct
# own_cgroup puts the daemon just started in a cpuacct cgroup of its own
# (its monitors and runtimes follow it) and prints that cgroup and the
# one its containers go to.
own_cgroup() {
	mkdir -p "$cpuacct/wharf-bench-daemon-$bench_name"
	echo "$wharfd_pid" >"$cpuacct/wharf-bench-daemon-$bench_name/cgroup.procs"
	mkdir -p "$cpuacct/wharf-$bench_name"
	echo "$cpuacct/wharf-bench-daemon-$bench_name,$cpuacct/wharf-$bench_name"
}
start_wharfd all
set -- -host "unix://$sock" -cgroups "$(own_cgroup)"
main="$tmp $wharfd_pid"
base=""
cleanup() {
	for d in "$main" "$base"; do
		[ -n "$d" ] || continue
		tmp=${d% *} wharfd_pid=${d#* }
		bench_name=$(cat "$tmp/name") exec_root=/run/wharf-$(cat "$tmp/name") sock=/run/wharf-$(cat "$tmp/name")/wharf.sock
		stop_wharfd
		for i in $(seq 20); do rmdir "$cpuacct/wharf-bench-daemon-$bench_name" 2>/dev/null && break; sleep 0.2; done
	done
	for root in /run/wharf-bench-runc/*; do
		[ -d "$root" ] || continue
		rt=runc
		[ "${root##*/}" = crun ] && rt=crun
		for c in $(WHARF_CRUN=${crun:-crun} $rt --root "$root" list -q 2>/dev/null); do $rt --root "$root" delete -f "$c"; done
	done
	rm -rf /run/wharf-bench-runc
	rmdir /sys/fs/cgroup/*/wharf-bench /sys/fs/cgroup/unified/wharf-bench 2>/dev/null || true
}
trap cleanup EXIT
echo all >"$tmp/name"
go build -o "$tmp/table" ./bench/table
mkdir "$tmp/rootfs" && tar -C "$tmp/rootfs" -xf "$tmp/busybox.tar"
for i in $(seq 49); do w run -d busybox sleep 3600 >/dev/null; done
w run -d --name bench busybox sleep 3600 >/dev/null
crun=$(command -v crun || true)
[ -n "${NO_CRUN:-}" ] && crun=""
if [ -n "$crun" ]; then
	w run -d --name bench-crun --runtime crun busybox sleep 3600 >/dev/null
	export WHARF_CRUN=$crun
	set -- "$@" -runtime crun -runc crun=bin/wharf-crun
fi
cp "$exec_root/containers/$(w inspect -f '{{.Id}}' bench)/config.json" "$tmp/config.json"
table=$tmp/table rootfs=$tmp/rootfs config=$tmp/config.json
if [ -n "${WHARFD_BASE:-}" ]; then
	WHARFD=$WHARFD_BASE start_wharfd allbase
	echo allbase >"$tmp/name"
	base="$tmp $wharfd_pid"
	set -- "$@" -base-cgroups "$(own_cgroup)"
	for i in $(seq 49); do w run -d busybox sleep 3600 >/dev/null; done
	w run -d --name bench busybox sleep 3600 >/dev/null
	set -- "$@" -base "unix://$sock"
fi
[ -x bin/wharf-runc ] && set -- "$@" -runc wharf-runc=bin/wharf-runc
"$table" "$@" -runc "runc=$(command -v runc)" -rootfs "$rootfs" -config "$config" -container bench -runs "$runs" \
	-sections "${SECTIONS:-run,exec,ps,inspect,rm}"
