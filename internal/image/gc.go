package image

import (
	"context"

	"github.com/containerd/errdefs"
	"github.com/opencontainers/go-digest"

	"github.com/wharf/wharf/internal/store/content"
)

// Garbage: what a crash or a failed import, load, pull or commit leaves
// is blobs and extracted layers that no image names. Startup removes all
// of it (recover: cleanBlobs, cleanLayers). While the daemon runs, a
// failed addImage removes the layers it extracted itself; its blobs stay
// until the next start (a concurrent load may be about to name them) and
// are counted by LayersSize meanwhile.

// cleanLayers removes every extracted layer no image names. A layer a
// container's writable layer stands on (its image was removed with
// --force) is refused by the layer store and kept.
func (s *Service) cleanLayers(ctx context.Context) error {
	chains, err := s.layers.Chains(ctx)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	n, err := s.removeUnusedLayersLocked(ctx, chains)
	if n > 0 {
		s.log.Info("removed layers no image uses", "count", n)
	}
	return err
}

// removeUnusedLayersLocked removes those of chains no image names and no
// add has pinned, and returns how many it removed. Caller holds s.mu, so no image that names
// one of them is recorded meanwhile.
func (s *Service) removeUnusedLayersLocked(ctx context.Context, chains []digest.Digest) (int, error) {
	used := map[digest.Digest]bool{}
	for _, e := range s.images {
		for _, c := range chainIDs(e.config.RootFS.DiffIDs) {
			used[c] = true
		}
	}
	removed := 0
	for _, c := range chains {
		if used[c] || s.pins[layerFile(c)] > 0 {
			continue
		}
		err := s.layers.Remove(ctx, c)
		if errdefs.IsConflict(err) {
			s.log.Debug("keeping a layer a container stands on", "chain", c)
			continue
		}
		if err != nil {
			return removed, err
		}
		removed++
	}
	return removed, nil
}

// dropLayersOf undoes the extraction of chains after a failed addImage,
// keeping those an image names by now or an add has pinned. As a removal
// does (removal.go), it chooses under s.mu and deletes with s.mu
// released. A concurrent addImage that found one of them extracted and
// records its image afterwards loses nothing: Layers extracts a missing
// layer again from its blob.
func (s *Service) dropLayersOf(ctx context.Context, chains []digest.Digest) {
	if len(chains) == 0 {
		return
	}
	b := removals{done: make(chan struct{})}
	var drop []digest.Digest
	s.mu.Lock()
	used := map[digest.Digest]bool{}
	for _, e := range s.images {
		for _, c := range e.chains {
			used[c] = true
		}
	}
	for _, c := range chains {
		f := layerFile(c)
		if !used[c] && s.pins[f] == 0 && s.doomed[f] == nil {
			s.doomed[f] = b.done
			drop = append(drop, c)
		}
	}
	s.mu.Unlock()
	defer s.release(&b)
	for _, c := range drop {
		err := s.layers.Remove(context.WithoutCancel(ctx), c)
		if err != nil && !errdefs.IsConflict(err) {
			s.log.Warn("removing the layers of a failed image", "err", err)
		}
	}
}

// LayersSize is the size of every layer tar stored, each counted once,
// those no image names yet (or any more) included: docker's LayersSize
// in system df.
func (s *Service) LayersSize(ctx context.Context) (int64, error) {
	s.mu.RLock()
	configs := make(map[digest.Digest]bool, len(s.images))
	for id := range s.images {
		configs[id] = true
	}
	s.mu.RUnlock()
	var total int64
	err := s.blobs.Walk(ctx, func(i content.Info) error {
		if !configs[i.Digest] {
			total += i.Size
		}
		return nil
	})
	return total, err
}
