package layer

import (
	"io"
	"os"

	"github.com/moby/go-archive"
	"github.com/moby/go-archive/chrootarchive"
)

// Untar unpacks an uncompressed layer tar into dest.
type Untar func(r io.Reader, dest string, opts *archive.TarOptions) error

// DefaultUntar picks the extractor. As root, chrootarchive unpacks inside
// a chroot at dest, so no entry ("../x", "/abs", a symlink to "/" followed
// by a file through it, a hardlink to /etc/passwd) can reach outside it.
// Without root (unit tests) UnprivilegedUntar is used.
func DefaultUntar() Untar {
	if os.Geteuid() == 0 {
		return chrootarchive.UntarUncompressed
	}
	return UnprivilegedUntar
}

// UnprivilegedUntar resolves every path inside an os.Root and refuses
// breakouts too, but cannot chown or create whiteout devices.
func UnprivilegedUntar(r io.Reader, dest string, opts *archive.TarOptions) error {
	o := *opts
	o.NoLchown = true
	return archive.UntarUncompressed(r, dest, &o)
}
