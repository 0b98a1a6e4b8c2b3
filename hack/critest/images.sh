#!/bin/sh
# Builds the stand-ins of critest's test images from busybox and pushes
# them to the registry at $1 (host:port) under their paths, so a runtime
# with registry mirrors for registry.k8s.io and gcr.io pulls them under
# their real names, offline. Each is a distinct image (its own marker
# file), as critest compares image ids and tag lists; the user images
# carry the users cri-tools' images/build script gives them.
# Usage: hack/critest/images.sh HOST:PORT   (wharf on $PATH or $WHARF,
# pointed at a daemon by DOCKER_HOST)
set -eu
reg=$1
wharf=${WHARF:-wharf}
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$here/../busybox-image.sh" "$tmp/busybox.tar"
# The base: busybox with its applets as hard links, as in the e2e busybox
# image (a masked /bin/ls must not mask busybox itself), plus scripts for
# the applets Debian's busybox lacks (pgrep, ipcs) and an nginx stand-in:
# busybox httpd under a process named nginx whose command line says
# "master process", with nginx's pid file, as critest looks for them.
mkdir -p "$tmp/root"
tar -xf "$tmp/busybox.tar" -C "$tmp/root"
# Its busybox is Debian's dynamic one (package busybox), not the static
# one: the static build runs applets inside its shell
# (FEATURE_SH_STANDALONE), so `sh -c ls` would never execute a masked
# /bin/ls, while the e2e image's busybox (upstream's default
# configuration) does, as critest's MaskedPaths spec expects. The two
# packages conflict, so the .deb is unpacked, not installed; it is
# cached beside the other test tools.
tools=${WHARF_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/wharf-tools}
dynbb=$tools/busybox-dynamic
if [ ! -x "$dynbb/bin/busybox" ]; then
	mkdir -p "$tmp/deb" "$tools"
	(cd "$tmp/deb" && apt-get download busybox >/dev/null 2>&1) ||
		{ echo "images.sh: apt-get download busybox failed" >&2; exit 1; }
	rm -rf "$dynbb.new" && dpkg-deb -x "$tmp"/deb/busybox_*.deb "$dynbb.new"
	rm -rf "$dynbb" && mv "$dynbb.new" "$dynbb"
fi
cp "$dynbb/bin/busybox" "$tmp/root/bin/busybox"
for lib in $(ldd "$dynbb/bin/busybox" | awk '$2 == "=>" { print $3 } $1 ~ /^\// { print $1 }'); do
	mkdir -p "$tmp/root$(dirname "$lib")"
	cp -L "$lib" "$tmp/root$lib"
done
find "$tmp/root/bin" -type l -delete
for a in $("$dynbb/bin/busybox" --list); do
	[ "$a" = busybox ] || ln "$tmp/root/bin/busybox" "$tmp/root/bin/$a"
done
rm -f "$tmp/root/bin/pgrep" "$tmp/root/bin/ipcs" # never write through a link to busybox
cat >"$tmp/root/bin/pgrep" <<'S'
#!/bin/sh
# pgrep NAME: the pids whose process name is NAME (stand-in).
found=1
for d in /proc/[0-9]*; do
	[ "$(cat "$d/comm" 2>/dev/null)" = "$1" ] && echo "${d#/proc/}" && found=0
done
exit $found
S
cat >"$tmp/root/bin/ipcs" <<'S'
#!/bin/sh
# ipcs -m: the System V shared memory segments (stand-in).
cat /proc/sysvipc/shm
S
mkdir -p "$tmp/root/usr/sbin"
cat >"$tmp/root/usr/sbin/nginx" <<'S'
#!/bin/sh
# nginx stand-in: nginx master process [PORT]
mkdir -p /www /var/run && echo ok >/www/index.html && echo $$ >/var/run/nginx.pid
echo "nginx (httpd stand-in) serving on :${2:-80}"
httpd -f -p "${2:-80}" -h /www &
trap 'kill $!; exit 0' TERM INT
wait
S
chmod 755 "$tmp/root/bin/pgrep" "$tmp/root/bin/ipcs" "$tmp/root/usr/sbin/nginx"
tar --numeric-owner --owner=0 --group=0 -C "$tmp/root" -cf "$tmp/base.tar" .
mkdir -p "$tmp/etc"
tar -xf "$tmp/base.tar" -C "$tmp" ./etc/passwd ./etc/group
cat >>"$tmp/etc/passwd" <<'P'
www-data:x:33:33:www-data:/var/www:/bin/false
default-user:x:1000:1000:Linux User,,,:/home/default-user:/bin/sh
P
cat >>"$tmp/etc/group" <<'G'
www-data:x:33:
default-user:x:1000:
group-defined-in-image:x:50000:default-user
G

# image NAME [import -c changes...]: busybox plus a marker file (and the
# ./usr of directory $extra when set), pushed to $reg/NAME.
extra=
image() {
	name=$1
	shift
	mkdir -p "$tmp/m"
	echo "$name" >"$tmp/m/stand-in"
	cp "$tmp/base.tar" "$tmp/img.tar"
	tar --delete -f "$tmp/img.tar" ./etc/passwd ./etc/group
	tar -rf "$tmp/img.tar" -C "$tmp" ./etc/passwd ./etc/group
	tar -rf "$tmp/img.tar" -C "$tmp/m" ./stand-in
	[ -z "$extra" ] || tar --numeric-owner --owner=0 --group=0 -rf "$tmp/img.tar" -C "$extra" ./usr
	set -- -c 'CMD ["sh"]' "$@"
	"$wharf" import "$@" "$tmp/img.tar" "$reg/$name" >/dev/null
	"$wharf" push -q "$reg/$name" >/dev/null
	"$wharf" rmi "$reg/$name" >/dev/null
}

# tags REPO TAG...: one image under several tags of REPO.
tags() {
	repo=$1
	shift
	image "$repo:$1"
	first=$1
	shift
	"$wharf" pull -q "$reg/$repo:$first" >/dev/null
	for t in "$@"; do
		"$wharf" tag "$reg/$repo:$first" "$reg/$repo:$t"
		"$wharf" push -q "$reg/$repo:$t" >/dev/null
	done
	"$wharf" rmi -f "$("$wharf" images -q "$reg/$repo:$first")" >/dev/null
}

e2e=e2e-test-images
cri=k8s-staging-cri-tools
image "$e2e/busybox:1.29-2"
# Web servers: the nginx stand-in (an httpd one says httpd in its log).
web() { echo '["/usr/sbin/nginx","master process","'$1'"]'; }
image "$e2e/nginx:1.14-2" -c "CMD $(web 80)"
image "$e2e/httpd:2.4.39-4" -c 'CMD ["sh","-c","echo httpd stand-in; exec /usr/sbin/nginx \"master process\" 80"]'
image "$cri/hostnet-nginx-$(go env GOARCH 2>/dev/null || echo amd64)" -c "CMD $(web 12003)"
# nonewprivs: a setuid-root program printing its effective uid.
mkdir -p "$tmp/nnp/usr/local/bin"
CGO_ENABLED=0 go build -trimpath -o "$tmp/nnp/usr/local/bin/nnp" "$here/nonewprivs"
chmod 4755 "$tmp/nnp/usr/local/bin/nnp"
extra=$tmp/nnp
image "$e2e/nonewprivs:1.3" -c 'CMD ["/usr/local/bin/nnp"]'
extra=

image "$cri/test-image-latest:latest"
image "$cri/test-image-tag:test"
image "$cri/test-image-tag:all"
tags "$cri/test-image-tags" 1 2 3
for i in 1 2 3; do image "$cri/test-image-$i:latest"; done
image "$cri/test-image-user-uid" -c 'USER 1002'
image "$cri/test-image-user-username" -c 'USER www-data'
image "$cri/test-image-user-uid-group" -c 'USER 1003:1004'
image "$cri/test-image-user-username-group" -c 'USER www-data:1004'
image "$cri/test-image-predefined-group" -c 'USER 1000'
