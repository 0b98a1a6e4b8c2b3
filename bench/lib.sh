# Sourced by the benchmarks (from the repository root, as root): builds
# bin/ (make build) and runs a private wharfd named after the benchmark, with
# its own data root, exec root, socket and cgroup parent, and a busybox
# image; stop_wharfd undoes all of it. `w` is the wharf CLI against it.
# WHARFD names another wharfd binary to run (to compare builds);
# WHARFD_FLAGS adds flags to it.
# WHARFD_CONFIG its daemon.json.
# BENCH_PREFIX=<word> prefixes the daemon's names (exec root, cgroups), so
# that two runs of one benchmark on a machine keep apart; a name in use
# stops the benchmark before it touches anything.

start_wharfd() {
	if [ -e "/run/wharf-${BENCH_PREFIX:-}$1" ]; then
		echo "/run/wharf-${BENCH_PREFIX:-}$1 exists: another run of this benchmark is going (BENCH_PREFIX=<word> sets this one apart)" >&2
		exit 1
	fi
	bench_name=${BENCH_PREFIX:-}$1
	tmp=$(mktemp -d "/tmp/wharf-$bench_name-XXXXXX")
	exec_root=/run/wharf-$bench_name
	sock=$exec_root/wharf.sock
	make -s build >/dev/null
	run_wharfd
	for i in $(seq 100); do [ -S "$sock" ] && break; sleep 0.1; done
	hack/busybox-image.sh "$tmp/busybox.tar"
	w import -c 'CMD ["sh"]' "$tmp/busybox.tar" busybox:latest >/dev/null
}

# run_wharfd starts the daemon on the benchmark's roots (again, after
# stop_daemon: a restart).
run_wharfd() {
	"${WHARFD:-bin/wharfd}" -config-file "${WHARFD_CONFIG:-/nonexistent}" -data-root "$tmp/root" -exec-root "$exec_root" \
		-H "unix://$sock" -cgroup-parent "wharf-$bench_name" ${WHARFD_FLAGS:-} >>"$tmp/wharfd.log" 2>&1 &
	wharfd_pid=$!
}

# stop_daemon stops the daemon with signal $1 (TERM, KILL) and waits until
# it has gone; its containers keep running.
stop_daemon() {
	kill -"$1" "$wharfd_pid"
	wait "$wharfd_pid" 2>/dev/null || true
}

w() { bin/wharf -H "unix://$sock" "$@"; }

stop_wharfd() {
	[ -n "${tmp:-}" ] || return 0
	w ps -aq 2>/dev/null | xargs -r bin/wharf -H "unix://$sock" rm -f >/dev/null 2>&1 || true
	[ -n "${wharfd_pid:-}" ] && kill "$wharfd_pid" 2>/dev/null && sleep 0.5
	umount -R "$tmp/root" 2>/dev/null || true
	for d in /sys/fs/cgroup/*/"wharf-$bench_name" /sys/fs/cgroup/unified/"wharf-$bench_name"; do
		[ -d "$d" ] && rmdir "$d" 2>/dev/null
	done
	rm -rf "$tmp" "$exec_root"
}
