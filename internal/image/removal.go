package image

import (
	"context"
	"errors"
	"os"
	"path/filepath"

	"github.com/containerd/errdefs"
	imagetypes "github.com/moby/moby/api/types/image"
	"github.com/opencontainers/go-digest"

	"github.com/wharf/wharf/internal/fsutil"
)

// Removing an image is two steps, so that a slow disk never holds up the
// store's readers:
//
//  1. under s.mu, deleteLocked takes the image out: its references, its
//     record file and its index entry. From then on it is gone, also
//     after a kill -9. planLocked then chooses, once for the whole rmi or
//     prune, the layers and blobs no remaining image names, and marks
//     them doomed;
//  2. with s.mu released, finish deletes them and lets the doomed go.
//
// A kill -9 between the two leaves layers and blobs no image names, which
// start-up removes (recover: cleanBlobs, cleanLayers). An add that would
// use a doomed layer or blob waits until it is gone (pin), and a removal
// leaves alone what an add has pinned, so an image is never recorded over
// files that are being deleted.

// file names an image's layer or blob: the two are told apart, the
// bottom layer's chain ID being its tar's digest.
type file struct {
	layer bool
	d     digest.Digest
}

func layerFile(chain digest.Digest) file { return file{layer: true, d: chain} }
func blobFile(d digest.Digest) file      { return file{d: d} }

// files is every file e names: its config, its layer tars and layers.
func (e *entry) files() []file {
	fs := []file{blobFile(e.id)}
	for i, d := range e.config.RootFS.DiffIDs {
		fs = append(fs, blobFile(d), layerFile(e.chains[i]))
	}
	return fs
}

// removal is an image taken out of the index whose files are still to go.
type removal struct {
	e    *entry
	at   int  // where, in the response, its layers' "Deleted" rows go
	keep bool // stopped containers still use it: keep its layers
	// chains and blobs are what planLocked chose to delete: indexes into
	// e.chains, and digests (its config, its layer tars).
	chains []int
	blobs  []digest.Digest
}

// removals is one rmi's or prune's images to remove.
type removals struct {
	list []*removal
	done chan struct{} // closed when their files are gone
}

func (b *removals) add(e *entry, at int, keep bool) {
	b.list = append(b.list, &removal{e: e, at: at, keep: keep})
}

// planLocked chooses the layers and blobs of b's images that no image
// still in the index names and no add has pinned, each for the last of
// b's images that names it (a child goes before its parent, and the
// parent's layers are reported with the parent, as dockerd does), and
// marks them doomed. Caller holds s.mu.
func (s *Service) planLocked(b *removals) {
	if len(b.list) == 0 {
		return
	}
	used := map[file]bool{}
	for _, o := range s.images {
		for _, f := range o.files() {
			used[f] = true
		}
	}
	last := map[file]int{}
	for i, r := range b.list {
		for _, f := range r.e.files() {
			last[f] = i
		}
	}
	free := func(f file, i int) bool {
		return !used[f] && s.pins[f] == 0 && last[f] == i && s.doomed[f] == nil
	}
	b.done = make(chan struct{})
	for i, r := range b.list {
		if !r.keep {
			for j, c := range r.e.chains {
				if free(layerFile(c), i) {
					r.chains = append(r.chains, j)
					s.doomed[layerFile(c)] = b.done
				}
			}
		}
		for _, d := range append([]digest.Digest{r.e.id}, r.e.config.RootFS.DiffIDs...) {
			if free(blobFile(d), i) {
				r.blobs = append(r.blobs, d)
				s.doomed[blobFile(d)] = b.done
			}
		}
	}
}

// finish deletes the files planLocked chose, with s.mu released, and
// returns records with each image's removed layers after its own row,
// and the bytes freed. Once taken out of the index an image's files go
// even if the client has left.
func (s *Service) finish(ctx context.Context, b *removals, records []imagetypes.DeleteResponse) ([]imagetypes.DeleteResponse, int64, error) {
	if len(b.list) == 0 {
		return records, 0, nil
	}
	defer s.release(b)
	ctx = context.WithoutCancel(ctx)
	// The records' removal is on disk before the files they name go.
	err := fsutil.SyncDir(filepath.Join(s.root, "images"))
	if err != nil {
		return records, 0, err
	}
	// The layers' sizes, read before their tars go.
	sizes := map[digest.Digest]int64{}
	for _, r := range b.list {
		for _, j := range r.chains {
			sizes[r.e.chains[j]] = s.blobSize(ctx, r.e.config.RootFS.DiffIDs[j])
		}
	}
	out := make([]imagetypes.DeleteResponse, 0, len(records))
	prev := 0
	var freed int64
	var errsOut []error
	for _, r := range b.list {
		out = append(out, records[prev:r.at]...)
		prev = r.at
		for _, j := range r.chains {
			c := r.e.chains[j]
			err := s.layers.Remove(ctx, c)
			if errdefs.IsConflict(err) {
				// A container's writable layer is over it (the image was
				// removed from under a stopped container): keep it.
				s.log.Warn("keeping a layer in use", "chain", c, "err", err)
				continue
			}
			if err != nil {
				errsOut = append(errsOut, err)
				continue
			}
			out = append(out, imagetypes.DeleteResponse{Deleted: c.String()})
			freed += sizes[c]
		}
		for _, d := range r.blobs {
			if err := s.deleteBlob(ctx, d); err != nil {
				errsOut = append(errsOut, err)
			}
		}
	}
	out = append(out, records[prev:]...)
	return out, freed, errors.Join(errsOut...)
}

// release lets go of b's doomed layers and blobs, and wakes the adds
// waiting for them.
func (s *Service) release(b *removals) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for f, ch := range s.doomed {
		if ch == b.done {
			delete(s.doomed, f)
		}
	}
	close(b.done)
}

// pin keeps fs (an image's config, layer tars and layers) from removal
// until the returned function is called, first waiting for any removal
// deleting one of them to finish.
func (s *Service) pin(ctx context.Context, fs []file) (unpin func(), err error) {
	for {
		s.mu.Lock()
		var wait chan struct{}
		for _, f := range fs {
			if ch := s.doomed[f]; ch != nil {
				wait = ch
				break
			}
		}
		if wait == nil {
			for _, f := range fs {
				s.pins[f]++
			}
			s.mu.Unlock()
			return func() {
				s.mu.Lock()
				defer s.mu.Unlock()
				for _, f := range fs {
					if s.pins[f]--; s.pins[f] <= 0 {
						delete(s.pins, f)
					}
				}
			}, nil
		}
		s.mu.Unlock()
		select {
		case <-wait:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// removeRecord deletes e's record file: from then on e is gone.
func (s *Service) removeRecord(e *entry) error {
	if err := os.Remove(s.recordPath(e.id)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}
