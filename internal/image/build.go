package image

import (
	"context"
	"encoding/json"
	"io"
	"runtime"
	"slices"
	"time"

	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	digest "github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Derive makes an image for one Dockerfile step: parentID's image ("" for
// scratch) with cfg as its configuration, one history entry createdBy and,
// when layer is not nil, one more uncompressed tar layer. It returns the
// new image's ID.
func (s *Service) Derive(ctx context.Context, parentID string, layer io.Reader, cfg dockerspec.DockerOCIImageConfig, createdBy string) (string, error) {
	created := time.Now().UTC()
	h := ocispec.History{Created: &created, CreatedBy: createdBy, EmptyLayer: layer == nil}
	var diffID digest.Digest
	if layer != nil {
		tar, err := s.blobs.Put(ctx, layer, "")
		if err != nil {
			return "", err
		}
		// Refused now, though extracted later: a build must fail here.
		if err := s.checkLayer(ctx, tar.Digest); err != nil {
			return "", err
		}
		diffID = tar.Digest
	}
	return s.derive(ctx, parentID, diffID, h, cfg)
}

// DeriveCached makes the image a build step would have made from
// parentID by taking the step from another image (a build's --cache-from
// source, as dockerd's image cache restores it): its history entry h and
// its layer diffID ("" for none), which this store holds.
func (s *Service) DeriveCached(ctx context.Context, parentID string, diffID digest.Digest, h ocispec.History, cfg dockerspec.DockerOCIImageConfig) (string, error) {
	return s.derive(ctx, parentID, diffID, h, cfg)
}

func (s *Service) derive(ctx context.Context, parentID string, diffID digest.Digest, h ocispec.History, cfg dockerspec.DockerOCIImageConfig) (string, error) {
	img := dockerspec.DockerOCIImage{Image: ocispec.Image{
		Platform: ocispec.Platform{Architecture: runtime.GOARCH, OS: "linux"},
		RootFS:   ocispec.RootFS{Type: "layers", DiffIDs: []digest.Digest{}},
	}}
	var parentDigest digest.Digest
	if parentID != "" {
		parent, err := s.Get(ctx, parentID)
		if err != nil {
			return "", err
		}
		parentDigest = digest.Digest(parent.ID)
		img = parent.Config
		img.RootFS.DiffIDs = slices.Clone(img.RootFS.DiffIDs)
		img.History = slices.Clone(img.History)
	}
	if diffID != "" {
		img.RootFS.DiffIDs = append(img.RootFS.DiffIDs, diffID)
	}
	img.Created = h.Created
	img.Config = cfg
	img.History = append(img.History, h)
	raw, err := json.Marshal(img)
	if err != nil {
		return "", err
	}
	// The new layer is extracted when a container first needs it: the
	// next RUN does so anyway, and the last steps' layers (COPY, then
	// metadata) need not be extracted for the build to finish.
	id, _, err := s.addImageWith(ctx, raw, nil, false, parentDigest)
	if err != nil {
		return "", err
	}
	return id.String(), nil
}
