package image

import (
	"context"
	"encoding/json"
	"io"
	"slices"
	"time"

	"github.com/distribution/reference"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/wharf/wharf/internal/errs"
)

// CommitOptions describe the image "docker commit" makes.
type CommitOptions struct {
	Repo, Tag string
	Comment   string
	Author    string
	CreatedBy string // the history entry's CREATED BY: the container's command
	// Config is the container's configuration; Changes (Dockerfile
	// instructions, as for import) are applied over it.
	Config  dockerspec.DockerOCIImageConfig
	Changes []string
}

// Commit makes an image of parentID with one more layer, the
// uncompressed tar layer, and returns its ID.
func (s *Service) Commit(ctx context.Context, parentID string, layer io.Reader, o CommitOptions) (string, error) {
	var tags []reference.NamedTagged
	if o.Repo != "" {
		named, err := repoTag(o.Repo, o.Tag)
		if err != nil {
			return "", errs.Invalid("%v", err)
		}
		tags = append(tags, named)
	}
	cfg := o.Config
	if err := applyChanges(&cfg, o.Changes); err != nil {
		return "", err
	}
	parent, err := s.Get(ctx, parentID)
	if err != nil {
		return "", err
	}
	tar, err := s.blobs.Put(ctx, layer, "")
	if err != nil {
		return "", err
	}
	diffID := tar.Digest
	created := time.Now().UTC()
	img := parent.Config
	img.Created = &created
	img.Author = o.Author
	img.Config = cfg
	img.RootFS.DiffIDs = append(slices.Clone(img.RootFS.DiffIDs), diffID)
	img.History = append(slices.Clone(img.History), ocispec.History{
		Created:   &created,
		Author:    o.Author,
		CreatedBy: o.CreatedBy,
		Comment:   o.Comment,
	})
	raw, err := json.Marshal(img)
	if err != nil {
		return "", err
	}
	// dockerd records the container's image as the commit's parent.
	id, _, err := s.addImageWith(ctx, raw, tags, true, digest.Digest(parent.ID))
	if err != nil {
		return "", err
	}
	s.log.Info("committed image", "id", id, "parent", parentID)
	return id.String(), nil
}
