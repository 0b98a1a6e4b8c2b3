#!/bin/sh
# Installs (or with "uninstall", removes) what `make install` puts on a
# machine, from the binaries in $BIN, under $DESTDIR:
#   $PREFIX/bin/{wharf,wharf-front,wharf-cli,wharfd,wharf-exec-init} and wharf-runc, wharf-crun when make build made them
#   (wharf runs wharf-front or wharf-cli, docker's command tree, from beside itself)
#   $PREFIX/lib/docker/cli-plugins/docker-compose
#   $SYSTEMDUNITDIR/wharfd.{service,socket}
#   bash, zsh and fish completions under $PREFIX/share
#   $SYSCONFDIR/wharf/daemon.json (kept if there is one; removed on
#   uninstall only if unchanged)
# Uninstalling leaves the data (/var/lib/wharf), the bridge and the
# firewall chains, and says so; PURGE=1 also removes the data root.
set -eu
: "${BIN:=bin}" "${PREFIX:=/usr/local}" "${DESTDIR:=}" "${SYSCONFDIR:=/etc}"
: "${SYSTEMDUNITDIR:=/etc/systemd/system}"
here=$(cd "$(dirname "$0")/.." && pwd)
bindir=$DESTDIR$PREFIX/bin
plugindir=$DESTDIR$PREFIX/lib/docker/cli-plugins
unitdir=$DESTDIR$SYSTEMDUNITDIR
bashdir=$DESTDIR$PREFIX/share/bash-completion/completions
# zsh looks in vendor-completions under /usr (Debian), site-functions elsewhere.
zshdir=$DESTDIR$PREFIX/share/zsh/site-functions
[ "$PREFIX" = /usr ] && zshdir=$DESTDIR$PREFIX/share/zsh/vendor-completions
fishdir=$DESTDIR$PREFIX/share/fish/vendor_completions.d
confdir=$DESTDIR$SYSCONFDIR/wharf

files="$bindir/wharf $bindir/wharf-front $bindir/wharf-cli $bindir/wharfd $bindir/wharf-exec-init $bindir/wharf-runc $bindir/wharf-crun $plugindir/docker-compose
$unitdir/wharfd.service $unitdir/wharfd.socket $bashdir/wharf $zshdir/_wharf $fishdir/wharf.fish"

install_all() {
	install -D -m 755 -t "$bindir" "$BIN/wharf" "$BIN/wharf-front" "$BIN/wharf-cli" "$BIN/wharfd" "$BIN/wharf-exec-init"
	# runc with the compiled-seccomp cache; wharfd falls back to runc without it.
	[ -x "$BIN/wharf-runc" ] && install -m 755 "$BIN/wharf-runc" "$bindir/wharf-runc"
	# crun on hybrid cgroup hosts (cmd/wharf-crun).
	[ -x "$BIN/wharf-crun" ] && install -m 755 "$BIN/wharf-crun" "$bindir/wharf-crun"
	install -D -m 755 -t "$plugindir" "$BIN/docker-compose"
	mkdir -p "$unitdir" "$bashdir" "$zshdir" "$fishdir" "$confdir"
	sed "s|@BINDIR@|$PREFIX/bin|g" "$here/contrib/systemd/wharfd.service" >"$unitdir/wharfd.service"
	install -m 644 "$here/contrib/systemd/wharfd.socket" "$unitdir/wharfd.socket"
	chmod 644 "$unitdir/wharfd.service"
	"$BIN/wharf" completion bash >"$bashdir/wharf"
	"$BIN/wharf" completion zsh >"$zshdir/_wharf"
	"$BIN/wharf" completion fish >"$fishdir/wharf.fish"
	if [ ! -e "$confdir/daemon.json" ]; then
		install -m 644 "$here/contrib/config/daemon.json" "$confdir/daemon.json"
	else
		echo "kept $confdir/daemon.json"
	fi
	# The socket unit gives the API socket to the wharf group, as docker's
	# to "docker": its members may use wharf without sudo (root's powers).
	if [ -z "$DESTDIR" ] && ! getent group wharf >/dev/null; then
		groupadd --system wharf && echo "made the wharf group (members may use wharf without sudo)"
	fi
	if [ -z "$DESTDIR" ] && [ -d /run/systemd/system ]; then
		systemctl daemon-reload
		echo "start it with: systemctl enable --now wharfd.socket wharfd.service"
	fi
}

uninstall_all() {
	if [ -z "$DESTDIR" ] && [ -d /run/systemd/system ]; then
		systemctl disable --now wharfd.socket wharfd.service 2>/dev/null || true
	fi
	for f in $files; do rm -f "$f"; done
	if [ -e "$confdir/daemon.json" ]; then
		if cmp -s "$confdir/daemon.json" "$here/contrib/config/daemon.json"; then
			rm -f "$confdir/daemon.json"
		else
			echo "left $confdir/daemon.json (changed since installed)"
		fi
	fi
	rmdir "$confdir" "$plugindir" 2>/dev/null || true
	if [ -z "$DESTDIR" ] && [ -d /run/systemd/system ]; then systemctl daemon-reload; fi
	root=$DESTDIR/var/lib/wharf
	if [ "${PURGE:-}" = 1 ]; then
		if [ -e /run/wharf/wharfd.pid ] && kill -0 "$(cat /run/wharf/wharfd.pid)" 2>/dev/null; then
			echo "wharfd is running: stop it (and its containers) before PURGE=1" >&2
			exit 1
		fi
		grep -o " $root[^ ]*" /proc/mounts | sort -r | while read -r m; do umount "$m"; done
		rm -rf "$root"
		echo "removed $root"
	else
		echo "left: $root (images, containers, volumes; PURGE=1 removes it), the wharf0 bridge and the WHARF iptables chains (gone at reboot, or: ip link del wharf0)"
	fi
}

case "${1:-install}" in
install) install_all ;;
uninstall) uninstall_all ;;
*) echo "usage: $0 [install|uninstall]" >&2; exit 2 ;;
esac
