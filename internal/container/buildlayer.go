package container

import (
	"context"
	"io"
)

// LayerTar is the container's writable layer as an uncompressed tar, with
// overlay whiteouts as ".wh." entries and the mount points the engine made
// left out: the layer a Dockerfile RUN step commits.
func (s *Service) LayerTar(ctx context.Context, ref string) (io.ReadCloser, error) {
	c, err := s.get(ref)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return s.layerDiff(ctx, c)
}
