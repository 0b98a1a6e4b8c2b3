#!/bin/sh
# Writes a busybox root file system tarball to $1 (or stdout): Debian's
# static busybox plus its applet links, a minimal /etc/passwd and
# /etc/group. Import it with:
#   wharf import -c 'CMD ["sh"]' busybox.tar busybox:latest
set -eu
out=${1:--}
bb=$(command -v busybox || echo /bin/busybox)
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
chmod 755 "$dir"
mkdir -p "$dir/bin" "$dir/etc" "$dir/tmp" "$dir/root" "$dir/home" "$dir/proc" "$dir/sys" "$dir/dev" "$dir/var"
chmod 1777 "$dir/tmp"
cp "$bb" "$dir/bin/busybox"
for applet in $("$bb" --list); do
	[ "$applet" = busybox ] || ln -s busybox "$dir/bin/$applet"
done
cat > "$dir/etc/passwd" <<'P'
root:x:0:0:root:/root:/bin/sh
daemon:x:1:1:daemon:/usr/sbin:/bin/false
nobody:x:65534:65534:nobody:/home:/bin/false
P
cat > "$dir/etc/group" <<'G'
root:x:0:
daemon:x:1:
tty:x:5:
nogroup:x:65534:
G
tar --numeric-owner --owner=0 --group=0 --mtime=@0 --sort=name -C "$dir" -cf "$out" .
