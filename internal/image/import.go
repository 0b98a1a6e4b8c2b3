package image

import (
	"context"
	"encoding/json"
	"io"
	"runtime"
	"time"

	"github.com/distribution/reference"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	"github.com/moby/go-archive/compression"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/wharf/wharf/internal/errs"
)

// importImage answers "docker import": src is a rootfs tarball (plain, gzip,
// bzip2, xz or zstd) that becomes a one-layer image, tagged repo:tag when
// repo is set. changes are Dockerfile instructions applied to the config.
// It returns the image ID.
func (s *Service) importImage(ctx context.Context, src io.Reader, repo, tag, msg string, changes []string) (string, error) {
	var tags []reference.NamedTagged
	if repo != "" {
		named, err := repoTag(repo, tag)
		if err != nil {
			return "", errs.Invalid("%v", err)
		}
		tags = append(tags, named)
	}
	// Validate the changes before reading a possibly large body.
	var cfg dockerspec.DockerOCIImageConfig
	if err := applyChanges(&cfg, changes); err != nil {
		return "", err
	}

	rc, err := compression.DecompressStream(src)
	if err != nil {
		return "", errs.Invalid("reading import source: %v", err)
	}
	defer rc.Close()
	tar, err := s.blobs.Put(ctx, rc, "")
	if err != nil {
		return "", err
	}
	diffID := tar.Digest

	if msg == "" {
		msg = "Imported from -"
	}
	created := time.Now().UTC()
	img := dockerspec.DockerOCIImage{
		Image: ocispec.Image{
			Created:  &created,
			Platform: ocispec.Platform{Architecture: runtime.GOARCH, OS: "linux"},
			RootFS:   ocispec.RootFS{Type: "layers", DiffIDs: []digest.Digest{diffID}},
			History:  []ocispec.History{{Created: &created, Comment: msg}},
		},
		Config: cfg,
	}
	raw, err := json.Marshal(img)
	if err != nil {
		return "", err
	}
	id, _, err := s.addImage(ctx, raw, tags)
	if err != nil {
		return "", err
	}
	s.log.Info("imported image", "id", id, "tags", len(tags))
	return id.String(), nil
}
