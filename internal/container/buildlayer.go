package container

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/moby/go-archive"
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
	upper := filepath.Join(s.dir(c.ID), "upper")
	if err := os.MkdirAll(upper, 0o755); err != nil {
		return nil, err
	}
	lowers, err := s.imageLayers(ctx, c)
	if err != nil {
		return nil, err
	}
	var exclude []string
	for p := range madeMountpoints(upper, lowers) {
		exclude = append(exclude, strings.TrimPrefix(p, "/"))
	}
	return archive.TarWithOptions(upper, &archive.TarOptions{WhiteoutFormat: archive.OverlayWhiteoutFormat, ExcludePatterns: exclude})
}
