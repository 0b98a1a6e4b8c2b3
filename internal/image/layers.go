package image

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/moby/go-archive"
	"github.com/moby/go-archive/chrootarchive"
	"github.com/opencontainers/go-digest"
	"github.com/opencontainers/image-spec/identity"
	"golang.org/x/sys/unix"

	"github.com/wharf/wharf/internal/errs"
)

// untarFunc unpacks an uncompressed layer tar into dest.
type untarFunc func(r io.Reader, dest string, opts *archive.TarOptions) error

// defaultUntar picks the extractor. As root, chrootarchive unpacks inside a
// chroot at dest, so no entry ("../x", "/abs", a symlink to "/" followed by
// a file through it, a hardlink to /etc/passwd) can reach outside it. Without
// root (unit tests) archive.UntarUncompressed is used: it resolves every
// path inside an os.Root and refuses breakouts too, but cannot chown or
// create whiteout devices.
func defaultUntar() untarFunc {
	if os.Geteuid() == 0 {
		return chrootarchive.UntarUncompressed
	}
	return unprivilegedUntar
}

func unprivilegedUntar(r io.Reader, dest string, opts *archive.TarOptions) error {
	o := *opts
	o.NoLchown = true
	return archive.UntarUncompressed(r, dest, &o)
}

// layerDir is where the layer with chain ID chain lives.
func (s *Service) layerDir(chain digest.Digest) string {
	return filepath.Join(s.root, "layers", chain.Encoded())
}

// shortLink is the short path handed to overlay as a lowerdir. 16 hex
// characters of the chain ID keep 100+ layers inside one page of mount data
// while collisions stay practically impossible.
func (s *Service) shortLink(chain digest.Digest) string {
	return filepath.Join(s.root, "l", chain.Encoded()[:16])
}

func (s *Service) layerCommitted(chain digest.Digest) bool {
	_, err := os.Stat(filepath.Join(s.layerDir(chain), "committed"))
	return err == nil
}

// ensureLayers extracts, lowest first, every layer of diffIDs not yet
// extracted. The layer tars must already be in the blob store.
func (s *Service) ensureLayers(ctx context.Context, diffIDs []digest.Digest) error {
	for i, chain := range identity.ChainIDs(append([]digest.Digest(nil), diffIDs...)) {
		if err := s.ensureLayer(ctx, chain, diffIDs[i]); err != nil {
			return err
		}
	}
	return nil
}

// ensureLayer extracts one layer, once: identical layers of different
// images share the directory. The "committed" marker is renamed into place
// last; a directory without it is a crashed extraction and is redone.
func (s *Service) ensureLayer(ctx context.Context, chain, diffID digest.Digest) error {
	return s.ensureLayerWith(ctx, chain, diffID, nil)
}

// ensureLayerWith is ensureLayer; wrap, if set, wraps the layer tar as it
// is read (pull uses it to report extraction progress).
func (s *Service) ensureLayerWith(ctx context.Context, chain, diffID digest.Digest, wrap func(io.ReadCloser, int64) io.ReadCloser) error {
	unlock := s.layerLocks.lock(chain.String())
	defer unlock()
	if s.layerCommitted(chain) {
		return nil
	}
	f, err := s.openBlob(diffID)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := refuseDevices(f, diffID); err != nil {
		return err
	}
	dir := s.layerDir(chain)
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Join(dir, "diff"), 0o755); err != nil {
		return err
	}
	// Overlay format: whiteouts become 0/0 character devices and opaque
	// directories get the trusted.overlay.opaque xattr, so the directory
	// can be used as an overlay lowerdir as is. (ApplyLayer would instead
	// apply whiteouts as deletions; see dependencies.md pitfall 8.)
	var src io.ReadCloser = f
	if wrap != nil {
		fi, err := f.Stat()
		if err != nil {
			return err
		}
		src = wrap(f, fi.Size())
	}
	opts := &archive.TarOptions{WhiteoutFormat: archive.OverlayWhiteoutFormat}
	if err := s.untar(ctxReader{ctx, src}, filepath.Join(dir, "diff"), opts); err != nil {
		return fmt.Errorf("extracting layer %s: %w", diffID, err)
	}
	link := s.shortLink(chain)
	_ = os.Remove(link)
	if err := os.Symlink(filepath.Join("..", "layers", chain.Encoded(), "diff"), link); err != nil {
		return err
	}
	if err := syncTree(filepath.Join(dir, "diff")); err != nil {
		return err
	}
	return atomicWrite(filepath.Join(dir, "committed"), []byte(diffID.String()))
}

// syncTree flushes the extracted files so that the committed marker never
// outlives the data it vouches for. syncfs(2) on the filesystem is the
// cheap way to do it.
func syncTree(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer f.Close()
	return unix.Syncfs(int(f.Fd()))
}

// removeLayer deletes a layer directory and its short link.
func (s *Service) removeLayer(chain digest.Digest) error {
	if err := os.Remove(s.shortLink(chain)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	// Drop the marker first: a crash halfway through RemoveAll leaves an
	// uncommitted directory, which startup removes.
	if err := os.Remove(filepath.Join(s.layerDir(chain), "committed")); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return os.RemoveAll(s.layerDir(chain))
}

// cleanLayers removes layer directories whose extraction never finished.
func (s *Service) cleanLayers() error {
	des, err := os.ReadDir(filepath.Join(s.root, "layers"))
	if err != nil {
		return err
	}
	for _, de := range des {
		chain := digest.NewDigestFromEncoded(digest.SHA256, de.Name())
		if chain.Validate() != nil || !s.layerCommitted(chain) {
			s.log.Info("removing incomplete layer", "dir", de.Name())
			if err := s.removeLayer(chain); err != nil {
				return err
			}
		}
	}
	return nil
}

// LayerDirs returns the image's extracted layer directories, lowest first,
// as short paths suitable for overlay lowerdirs.
func (s *Service) LayerDirs(ctx context.Context, img *Image) ([]string, error) {
	chains := identity.ChainIDs(append([]digest.Digest(nil), img.Config.RootFS.DiffIDs...))
	dirs := make([]string, 0, len(chains))
	for i, chain := range chains {
		if !s.layerCommitted(chain) {
			// Extraction is idempotent; redo it rather than fail if a
			// layer went missing.
			if err := s.ensureLayer(ctx, chain, img.Config.RootFS.DiffIDs[i]); err != nil {
				return nil, err
			}
		}
		dirs = append(dirs, s.shortLink(chain))
	}
	return dirs, nil
}

// layerPaths is LayerDirs without the extraction.
func (s *Service) layerPaths(img *Image) []string {
	var dirs []string
	for _, chain := range identity.ChainIDs(append([]digest.Digest(nil), img.Config.RootFS.DiffIDs...)) {
		dirs = append(dirs, s.shortLink(chain))
	}
	return dirs
}

// refuseDevices rejects a layer holding device nodes: an image has no
// business shipping them (a container's /dev is made at run time), and a
// block device in a layer would be a way at the host's disks. The scan
// reads headers only (tar skips file bodies by seeking), then rewinds.
func refuseDevices(f *os.File, diffID digest.Digest) error {
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return errs.Invalid("layer %s is not a valid tar archive: %v", diffID, err)
		}
		if h.Typeflag == tar.TypeChar || h.Typeflag == tar.TypeBlock {
			return errs.Invalid("layer %s holds a device node (%s): refused", diffID, h.Name)
		}
	}
	_, err := f.Seek(0, io.SeekStart)
	return err
}
