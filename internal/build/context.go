package build

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/moby/go-archive/compression"

	"github.com/wharf/wharf/internal/errs"
)

// MaxContextSize bounds the uncompressed size of a build context.
const MaxContextSize = 8 << 30

// extractContext unpacks the context tarball (possibly compressed) into
// dir. Entries that would land outside dir are refused; only regular
// files, directories and symbolic links are kept.
func extractContext(ctx context.Context, r io.Reader, dir string) error {
	rc, err := compression.DecompressStream(r)
	if err != nil {
		return errs.Invalid("reading build context: %v", err)
	}
	defer rc.Close()
	tr := tar.NewReader(rc)
	var total int64
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return errs.Invalid("reading build context: %v", err)
		}
		name, ok := cleanRel(h.Name)
		if !ok {
			return errs.Invalid("build context: invalid path %q", h.Name)
		}
		if name == "." {
			continue
		}
		dst := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		mode := os.FileMode(h.Mode).Perm()
		switch h.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(dst, 0o755); err != nil {
				return err
			}
			if err := os.Chmod(dst, mode|0o700); err != nil {
				return err
			}
		case tar.TypeReg:
			total += h.Size
			if total > MaxContextSize {
				return errs.Invalid("build context is larger than %d bytes", int64(MaxContextSize))
			}
			f, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, mode|0o600)
			if err != nil {
				return err
			}
			_, err = io.Copy(f, tr)
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				return fmt.Errorf("build context: %w", err)
			}
			_ = os.Chtimes(dst, h.ModTime, h.ModTime)
		case tar.TypeSymlink:
			_ = os.Remove(dst)
			if err := os.Symlink(h.Linkname, dst); err != nil {
				return err
			}
		}
	}
}

// cleanRel cleans a slash-separated relative path and reports whether it
// stays inside its root.
func cleanRel(p string) (string, bool) {
	p = filepath.Clean("/" + filepath.FromSlash(p))
	rel := strings.TrimPrefix(p, "/")
	if rel == "" {
		return ".", true
	}
	return rel, !strings.HasPrefix(rel, "..")
}
