package image

import (
	"context"
	"fmt"
	"io"

	"github.com/containerd/errdefs"
	"github.com/opencontainers/go-digest"

	"github.com/wharf/wharf/internal/store/content"
)

// The images' blobs are in the content store; these are the ways the
// service reads and drops them.

// blobSize is the stored size of blob d, 0 if it is missing.
func (s *Service) blobSize(ctx context.Context, d digest.Digest) int64 {
	info, err := s.blobs.Info(ctx, d)
	if err != nil {
		return 0
	}
	return info.Size
}

// deleteBlob removes blob d; one already gone is fine.
func (s *Service) deleteBlob(ctx context.Context, d digest.Digest) error {
	if err := s.blobs.Delete(ctx, d); err != nil && !errdefs.IsNotFound(err) {
		return err
	}
	return nil
}

// blobReader reads a blob from start to end (a layer tar streamed into an
// archive or to a registry).
type blobReader struct {
	*io.SectionReader
	io.Closer
}

func (s *Service) openBlob(ctx context.Context, d digest.Digest) (blobReader, error) {
	ra, err := s.blobs.ReaderAt(ctx, d)
	if err != nil {
		return blobReader{}, fmt.Errorf("blob %s: %w", d, err)
	}
	return blobReader{io.NewSectionReader(ra, 0, ra.Size()), ra}, nil
}

// hasBlob reports whether blob d is stored.
func (s *Service) hasBlob(ctx context.Context, d digest.Digest) bool {
	return content.Has(ctx, s.blobs, d)
}
