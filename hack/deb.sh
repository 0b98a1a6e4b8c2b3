#!/bin/sh
# Builds dist/wharf_<version>_<arch>.deb with dpkg-deb from the binaries
# in $BIN: the files of `make install` under /usr (units in
# /lib/systemd/system), /etc/wharf/daemon.json as a conffile, and
# maintainer scripts that make the wharf group, start the service under
# systemd and, on upgrade, restart it without stopping the containers
# (KillMode=process). Purge removes /etc/wharf; the data in /var/lib/wharf
# stays (as docker's package leaves /var/lib/docker).
set -eu
out=${1:-dist}
: "${BIN:=bin}" "${VERSION:=0.1.0-dev}"
here=$(cd "$(dirname "$0")/.." && pwd)
arch=$(dpkg --print-architecture)
# Debian versions start with a digit and have no "-dirty" hyphen trouble.
debversion=$(echo "$VERSION" | sed 's/^v//; s/-/~/g')
stage=$(mktemp -d)
chmod 755 "$stage"
trap 'rm -rf "$stage"' EXIT
BIN=$BIN PREFIX=/usr DESTDIR=$stage SYSTEMDUNITDIR=/lib/systemd/system "$here/hack/install.sh" install >/dev/null
mkdir -p "$stage/DEBIAN"
cat >"$stage/DEBIAN/control" <<CONTROL
Package: wharf
Version: $debversion
Architecture: $arch
Maintainer: Wharf developers <wharf@localhost>
Depends: runc | crun, conmon, iptables, libseccomp2
Recommends: tini
Conflicts: docker-compose-plugin
Section: admin
Priority: optional
Installed-Size: $(du -sk "$stage" | cut -f1)
Description: Docker-compatible container engine
 wharfd serves the Docker Engine API; wharf is docker's command line.
 Containers outlive the daemon (each has its own conmon monitor).
CONTROL
echo /etc/wharf/daemon.json >"$stage/DEBIAN/conffiles"
cat >"$stage/DEBIAN/postinst" <<'SCRIPT'
#!/bin/sh
set -e
if [ "$1" = configure ]; then
	getent group wharf >/dev/null || addgroup --system wharf
	if [ -d /run/systemd/system ]; then
		systemctl daemon-reload
		systemctl enable wharfd.socket wharfd.service >/dev/null
		# On upgrade the old wharfd was stopped alone (KillMode=process):
		# the new one takes the running containers over.
		systemctl restart wharfd.socket wharfd.service || true
	fi
fi
SCRIPT
cat >"$stage/DEBIAN/prerm" <<'SCRIPT'
#!/bin/sh
set -e
# On upgrade too: only wharfd stops, its containers keep running.
if [ -d /run/systemd/system ]; then
	systemctl stop wharfd.service wharfd.socket || true
	if [ "$1" = remove ]; then systemctl disable wharfd.socket wharfd.service >/dev/null || true; fi
fi
SCRIPT
cat >"$stage/DEBIAN/postrm" <<'SCRIPT'
#!/bin/sh
set -e
if [ "$1" = purge ]; then
	rm -rf /etc/wharf
	echo "wharf: left /var/lib/wharf (images, containers, volumes); remove it by hand if you want it gone"
fi
if [ -d /run/systemd/system ]; then systemctl daemon-reload || true; fi
SCRIPT
chmod 755 "$stage/DEBIAN/postinst" "$stage/DEBIAN/prerm" "$stage/DEBIAN/postrm"
mkdir -p "$out"
deb="$out/wharf_${debversion}_$arch.deb"
dpkg-deb --root-owner-group -Zgzip --build "$stage" "$deb" >/dev/null
echo "$deb"
