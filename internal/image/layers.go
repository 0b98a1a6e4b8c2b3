package image

import (
	"context"
	"io"
	"slices"

	"github.com/opencontainers/go-digest"
	"github.com/opencontainers/image-spec/identity"

	"github.com/wharf/wharf/internal/store/layer"
)

// The images' layers are in the layer store, created there from the layer
// tars in the content store.

// chainIDs is diffIDs' chain IDs (identity.ChainIDs writes into its
// argument, so it gets a copy).
func chainIDs(diffIDs []digest.Digest) []digest.Digest {
	return identity.ChainIDs(slices.Clone(diffIDs))
}

// createLayer extracts layer chain from the tar diffID unless it exists.
// progress, if set, wraps the tar as it is extracted.
func (s *Service) createLayer(ctx context.Context, chain, diffID digest.Digest, progress func(io.Reader, int64) io.Reader) error {
	if s.layers.Exists(ctx, chain) {
		return nil
	}
	tar, err := s.openBlob(ctx, diffID)
	if err != nil {
		return err
	}
	defer tar.Close()
	return s.layers.Create(ctx, chain, layer.Tar{DiffID: diffID, Data: tar.SectionReader, Progress: progress})
}

// checkLayer refuses the layer tar diffID as Create would (device nodes),
// without extracting it.
func (s *Service) checkLayer(ctx context.Context, diffID digest.Digest) error {
	tar, err := s.openBlob(ctx, diffID)
	if err != nil {
		return err
	}
	defer tar.Close()
	return layer.CheckTar(layer.Tar{DiffID: diffID, Data: tar.SectionReader})
}

// Layers returns the chain IDs of img's layers, lowest first, extracting
// any layer not extracted yet: one Derive left for its first use, or one
// that went missing (extraction is idempotent, so it is redone rather than
// failed).
func (s *Service) Layers(ctx context.Context, img *Image) ([]digest.Digest, error) {
	return s.createLayers(ctx, img.Config.RootFS.DiffIDs)
}

func (s *Service) createLayers(ctx context.Context, diffIDs []digest.Digest) ([]digest.Digest, error) {
	chains := chainIDs(diffIDs)
	for i, chain := range chains {
		if err := s.createLayer(ctx, chain, diffIDs[i], nil); err != nil {
			return nil, err
		}
	}
	return chains, nil
}

// layerDirs is where img's layers are, lowest first, extracted or not.
func (s *Service) layerDirs(img *Image) []string {
	var dirs []string
	for _, chain := range chainIDs(img.Config.RootFS.DiffIDs) {
		dirs = append(dirs, s.layers.Dir(chain))
	}
	return dirs
}

// createNewLayers is createLayers, returning the chains it extracted
// (not those that were there), also when it fails partway.
func (s *Service) createNewLayers(ctx context.Context, diffIDs []digest.Digest) ([]digest.Digest, error) {
	var created []digest.Digest
	for i, chain := range chainIDs(diffIDs) {
		if s.layers.Exists(ctx, chain) {
			continue
		}
		if err := s.createLayer(ctx, chain, diffIDs[i], nil); err != nil {
			return created, err
		}
		created = append(created, chain)
	}
	return created, nil
}
