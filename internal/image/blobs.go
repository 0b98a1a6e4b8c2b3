package image

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/opencontainers/go-digest"

	"github.com/wharf/wharf/internal/errs"
)

func (s *Service) blobPath(d digest.Digest) string {
	return filepath.Join(s.root, "blobs", "sha256", d.Encoded())
}

// putBlob copies r into the blob store and returns its digest and size.
// When want is set, content with another digest is rejected and nothing is
// stored. The blob appears under its final name only once complete and
// synced, so readers never see a partial blob.
func (s *Service) putBlob(ctx context.Context, r io.Reader, want digest.Digest) (digest.Digest, int64, error) {
	if want != "" {
		if err := want.Validate(); err != nil || want.Algorithm() != digest.SHA256 {
			return "", 0, errs.Invalid("invalid digest %q", want)
		}
	}
	f, err := os.CreateTemp(filepath.Join(s.root, "tmp"), "blob-*")
	if err != nil {
		return "", 0, err
	}
	defer os.Remove(f.Name()) // no-op after the rename
	defer f.Close()
	dg := digest.SHA256.Digester()
	n, err := io.Copy(io.MultiWriter(f, dg.Hash()), ctxReader{ctx, r})
	if err != nil {
		return "", 0, err
	}
	got := dg.Digest()
	if want != "" && got != want {
		return "", 0, errs.Invalid("digest mismatch: expected %s, got %s", want, got)
	}
	if _, err := os.Stat(s.blobPath(got)); err == nil {
		return got, n, nil // already stored; content-addressed, so identical
	}
	if err := f.Sync(); err != nil {
		return "", 0, err
	}
	if err := f.Close(); err != nil {
		return "", 0, err
	}
	if err := os.Rename(f.Name(), s.blobPath(got)); err != nil {
		return "", 0, err
	}
	return got, n, syncDir(filepath.Dir(s.blobPath(got)))
}

// putBlobBytes stores b and returns its digest.
func (s *Service) putBlobBytes(ctx context.Context, b []byte) (digest.Digest, error) {
	d, _, err := s.putBlob(ctx, bytes.NewReader(b), "")
	return d, err
}

// openBlob opens a stored blob for reading.
func (s *Service) openBlob(d digest.Digest) (*os.File, error) {
	f, err := os.Open(s.blobPath(d))
	if err != nil {
		return nil, fmt.Errorf("blob %s: %w", d, err)
	}
	return f, nil
}

// ctxReader stops a long copy when ctx is cancelled (client went away).
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// blobSize is the stored size of blob d, 0 if it is missing.
func (s *Service) blobSize(d digest.Digest) int64 {
	fi, err := os.Stat(s.blobPath(d))
	if err != nil {
		return 0
	}
	return fi.Size()
}
