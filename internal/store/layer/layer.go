// Package layer stores the file systems containers run on: image layers,
// each extracted once in overlay format and shared read-only, keyed by
// chain ID; and read-write layers, each a writable directory over a list
// of image layers, keyed by a name the caller chooses (a container ID),
// mounted as an overlay where the caller says.
//
// Overlay, the implementation on overlayfs, lays out its two roots as
//
//	<Root>/layers/<chain-hex>/diff       an image layer, extracted in overlay format
//	<Root>/layers/<chain-hex>/committed  marker written last (holds the diff ID): extraction finished
//	<Root>/l/<short>                     short symlink to layers/<chain-hex>/diff, because
//	                                     overlay's mount data must fit one page
//	<RWRoot>/<key>/upper, work           a read-write layer: overlay's upperdir and workdir
//	<RWRoot>/<key>/empty                 the lowerdir of a read-write layer with no parents
//	<RWRoot>/<key>/rwlayer.json          its parents, written by Prepare
//
// These are the paths the image and container services used before the
// store existed, so a data root from then is served as it is: a container's
// writable layer without rwlayer.json gets one at its next Prepare. An
// image layer directory without its marker is a crashed extraction or
// removal, and opening the store removes it.
//
// Lock order: a chain's or key's lock (keylock), then Overlay.mu. mu guards
// the index of read-write layers and is held only for index work and the
// single file operations that must agree with it (checking a parent's
// marker in Prepare, dropping it in Remove), never across extraction or a
// mount. Nothing in the store calls out of it.
package layer

import (
	"archive/tar"
	"context"
	"io"

	"github.com/opencontainers/go-digest"

	"github.com/wharf/wharf/internal/errs"
)

// Store holds image layers and read-write layers.
type Store interface {
	// Exists reports whether layer chain has been created.
	Exists(ctx context.Context, chain digest.Digest) bool
	// Create extracts t as layer chain, once: a layer that exists is left
	// as it is, and concurrent Creates of one chain extract it once. A tar
	// holding device nodes is refused (errs.Invalid) before anything is
	// written; a failed or cancelled Create leaves no layer.
	Create(ctx context.Context, chain digest.Digest, t Tar) error
	// Remove deletes layer chain. While a read-write layer is prepared
	// over it, it is refused (errs.Conflict). A missing layer is fine.
	Remove(ctx context.Context, chain digest.Digest) error
	// Dir is the directory holding layer chain's files, or that will hold
	// them once it is created.
	Dir(chain digest.Digest) string
	// Chains lists every layer created, in no particular order: what a
	// garbage collection compares with the layers images name.
	Chains(ctx context.Context) ([]digest.Digest, error)

	// Prepare makes read-write layer key over parents (lowest first, each
	// created; errs.NotFound otherwise). Preparing it again over the same
	// parents returns it as it is; over others is refused (errs.Conflict).
	Prepare(ctx context.Context, key string, parents []digest.Digest) (RW, error)
	// Stat describes read-write layer key; errs.NotFound if not prepared.
	Stat(ctx context.Context, key string) (RW, error)
	// Mount mounts read-write layer key as an overlay at target, making
	// target if needed. A target that is already mounted is left so.
	Mount(ctx context.Context, key, target string) error
	// MountIDMapped is Mount for a container in a user namespace of its
	// own: the parents are ID-mapped by that user namespace's mappings
	// and the read-write layer's top belongs to its root (idmap.go).
	MountIDMapped(ctx context.Context, key, target string, m IDMap) error
	// Unmount undoes Mount. A target that is not mounted is fine.
	Unmount(ctx context.Context, target string) error
	// Diff is read-write layer key's changes as a layer tar (overlay's
	// whiteouts become ".wh." entries), leaving out paths matching
	// exclude (archive patterns, relative to the root).
	Diff(ctx context.Context, key string, exclude []string) (io.ReadCloser, error)
	// RemoveRW deletes read-write layer key, which must not be mounted.
	// A missing one is fine.
	RemoveRW(ctx context.Context, key string) error
}

// Tar is a layer's content as images carry it: an uncompressed tar.
type Tar struct {
	// DiffID is the tar's digest, recorded with the layer and named in
	// errors.
	DiffID digest.Digest
	// Data is read twice: its headers first, so that a refused tar writes
	// nothing, then all of it to extract.
	Data *io.SectionReader
	// Progress, if set, wraps the tar as extraction reads it (pull
	// reports "Extracting" through it).
	Progress func(r io.Reader, size int64) io.Reader
}

// RW describes a read-write layer.
type RW struct {
	Key     string
	Parents []digest.Digest // lowest first
	Upper   string          // the layer's own files: overlay's upperdir
	Work    string          // overlay's workdir
	Lowers  []string        // the parents' directories, lowest first
}

// CheckTar refuses a layer holding device nodes: an image has no business
// shipping them (a container's /dev is made at run time), and a block
// device in a layer would be a way at the host's disks. It reads headers
// only (tar skips file bodies by seeking).
func CheckTar(t Tar) error {
	tr := tar.NewReader(io.NewSectionReader(t.Data, 0, t.Data.Size()))
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return errs.Invalid("layer %s is not a valid tar archive: %v", t.DiffID, err)
		}
		if h.Typeflag == tar.TypeChar || h.Typeflag == tar.TypeBlock {
			return errs.Invalid("layer %s holds a device node (%s): refused", t.DiffID, h.Name)
		}
	}
}
