package image

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/containerd/errdefs"
	"github.com/distribution/reference"
	imagetypes "github.com/moby/moby/api/types/image"
	"github.com/opencontainers/go-digest"

	"github.com/wharf/wharf/internal/errs"
	"github.com/wharf/wharf/internal/filters"
	"github.com/wharf/wharf/internal/inuse"
)

// deleteImage answers DELETE /images/{name}, following dockerd's ImageDelete:
// a name only untags unless it was the image's last reference; an ID
// removes the image. Containers using the image block removal: running
// ones always ("cannot be forced"), stopped ones unless force; so do
// child images. Unless noprune, the image's untagged parents go with it.
func (s *Service) deleteImage(ctx context.Context, ref string, force, noprune bool) ([]imagetypes.DeleteResponse, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, err := s.lookup(ref)
	if err != nil {
		return nil, err
	}
	users := s.usersOf(e.id)
	refs := s.refs.refsOf(e.id)
	var records []imagetypes.DeleteResponse
	quiet := false

	if !isIDPrefix(e.id, ref) {
		// A name was given: remove that reference first.
		if !force && len(refs) == 1 && len(users) > 0 {
			return nil, errs.Conflict("conflict: unable to remove repository reference %q (must force) - container %s is using its referenced image %s",
				ref, shortID(users[0].ID), shortID(e.id.String()))
		}
		if c, ok := parseCanonical(ref); ok {
			// name@digest: forget that repo digest.
			delete(s.refs.byDigest, c.String())
			if err := s.refs.save(); err != nil {
				return nil, err
			}
			records = append(records, imagetypes.DeleteResponse{Untagged: reference.FamiliarString(c)})
			if len(refs) > 0 || len(s.refs.digestsOf(e.id)) > 0 {
				return records, nil
			}
		} else {
			named, err := parseNamed(ref)
			if err != nil {
				return nil, errs.Invalid("%v", err)
			}
			s.refs.remove(named)
			if err := s.refs.save(); err != nil {
				return nil, err
			}
			records = append(records, imagetypes.DeleteResponse{Untagged: reference.FamiliarString(named)})
			if len(refs) > 1 {
				return records, nil
			}
		}
		quiet = true
	} else if len(refs) == 1 {
		// An ID with a single tag (dockerd's isSingleReference): the one
		// tag does not hold the image; untag, then delete.
		mask := conflictDependentChild | conflictRunning
		if !force {
			mask |= conflictStopped
		}
		if c := s.conflict(e, users, mask); c != nil {
			return nil, c
		}
		if records, err = s.untagAllLocked(e, records); err != nil {
			return nil, err
		}
	}
	_, err = s.deleteLocked(ctx, e, force, !noprune, quiet, &records)
	if err != nil && len(records) == 0 {
		return nil, err
	}
	return records, err
}

// deleteLocked is dockerd's imageDeleteHelper: it removes e unless
// something blocks it (force lifts the soft conflicts), recording each
// untag and deletion, then, if prune is set, e's parent the same way,
// quietly: a parent that is tagged, has other children or is used stays.
// In quiet mode only a conflict over a dangling, unused image is an
// error. It returns the bytes freed. Caller holds s.mu.
func (s *Service) deleteLocked(ctx context.Context, e *entry, force, prune, quiet bool, records *[]imagetypes.DeleteResponse) (int64, error) {
	users := s.usersOf(e.id)
	mask := conflictDependentChild | conflictRunning
	if !force {
		mask |= conflictReferenced | conflictStopped
	}
	if c := s.conflict(e, users, mask); c != nil {
		if quiet && (!s.danglingLocked(e.id) || c.used) {
			return 0, nil
		}
		return 0, c
	}
	var err error
	if *records, err = s.untagAllLocked(e, *records); err != nil {
		return 0, err
	}
	// A forced removal under stopped containers keeps the layers: their
	// overlay mounts still need them.
	e.rec.Deleting = true
	e.rec.KeepLayers = len(users) > 0
	if err := s.writeRecord(e.id, e.rec); err != nil {
		return 0, err
	}
	delete(s.images, e.id)
	*records = append(*records, imagetypes.DeleteResponse{Deleted: e.id.String()})
	// The layers' sizes, read before their tars go.
	diffs := e.config.RootFS.DiffIDs
	sizes := map[digest.Digest]int64{}
	for i, c := range chainIDs(diffs) {
		sizes[c] = s.blobSize(ctx, diffs[i])
	}
	removed, err := s.removeImageDataLocked(ctx, e)
	var freed int64
	for _, c := range removed {
		*records = append(*records, imagetypes.DeleteResponse{Deleted: c.String()})
		freed += sizes[c]
	}
	if err != nil {
		return freed, err
	}
	parent := s.images[e.rec.Parent]
	if !prune || parent == nil {
		return freed, nil
	}
	n, err := s.deleteLocked(ctx, parent, false, true, true, records)
	return freed + n, err
}

// untagAllLocked removes every tag and digest of e, recording each.
func (s *Service) untagAllLocked(e *entry, records []imagetypes.DeleteResponse) ([]imagetypes.DeleteResponse, error) {
	refs, digests := s.refs.refsOf(e.id), s.refs.digestsOf(e.id)
	if len(refs) == 0 && len(digests) == 0 {
		return records, nil
	}
	for _, r := range refs {
		s.refs.remove(r)
		records = append(records, imagetypes.DeleteResponse{Untagged: reference.FamiliarString(r)})
	}
	for _, d := range digests {
		records = append(records, imagetypes.DeleteResponse{Untagged: d})
	}
	s.refs.removeDigests(e.id)
	return records, s.refs.save()
}

// hasChildrenLocked reports whether an image was built or committed on id.
func (s *Service) hasChildrenLocked(id digest.Digest) bool {
	for _, o := range s.images {
		if o.rec.Parent == id {
			return true
		}
	}
	return false
}

// childCountsLocked counts each image's children, for a whole list.
func (s *Service) childCountsLocked() map[digest.Digest]int {
	n := map[digest.Digest]int{}
	for _, o := range s.images {
		if o.rec.Parent != "" {
			n[o.rec.Parent]++
		}
	}
	return n
}

// danglingLocked is dockerd's imageIsDangling: no reference, no child.
func (s *Service) danglingLocked(id digest.Digest) bool {
	return len(s.refs.refsOf(id)) == 0 && len(s.refs.digestsOf(id)) == 0 && !s.hasChildrenLocked(id)
}

type conflictMask int

const (
	conflictDependentChild conflictMask = 1 << iota
	conflictRunning
	conflictReferenced
	conflictStopped
)

type deleteConflict struct {
	id      digest.Digest
	hard    bool
	used    bool
	message string
}

func (c *deleteConflict) Error() string {
	force := "must be forced"
	if c.hard {
		force = "cannot be forced"
	}
	return fmt.Sprintf("conflict: unable to delete %s (%s) - %s", shortID(c.id.String()), force, c.message)
}

// Unwrap classifies the conflict for the API (HTTP 409).
func (c *deleteConflict) Unwrap() error { return errdefs.ErrConflict }

// conflict checks, in dockerd's order, what blocks removing e.
func (s *Service) conflict(e *entry, users []inuse.User, mask conflictMask) *deleteConflict {
	if mask&conflictDependentChild != 0 && s.hasChildrenLocked(e.id) {
		return &deleteConflict{id: e.id, hard: true, message: "image has dependent child images"}
	}
	if mask&conflictRunning != 0 {
		for _, u := range users {
			if u.Running {
				return &deleteConflict{id: e.id, hard: true, used: true, message: "image is being used by running container " + shortID(u.ID)}
			}
		}
	}
	if mask&conflictReferenced != 0 && len(s.refs.refsOf(e.id)) > 0 {
		return &deleteConflict{id: e.id, message: "image is referenced in multiple repositories"}
	}
	if mask&conflictStopped != 0 {
		for _, u := range users {
			if !u.Running {
				return &deleteConflict{id: e.id, used: true, message: "image is being used by stopped container " + shortID(u.ID)}
			}
		}
	}
	return nil
}

// removeImageData deletes what only e used: layers (unless the record says
// to keep them), layer blobs, the config, and finally e's record. Every
// step is idempotent, so startup can redo it after a crash.
func (s *Service) removeImageData(ctx context.Context, e *entry) error {
	_, err := s.removeImageDataLocked(ctx, e)
	return err
}

func (s *Service) removeImageDataLocked(ctx context.Context, e *entry) ([]digest.Digest, error) {
	usedChains := map[digest.Digest]bool{}
	usedBlobs := map[digest.Digest]bool{}
	for _, o := range s.images {
		usedBlobs[o.id] = true
		for _, c := range chainIDs(o.config.RootFS.DiffIDs) {
			usedChains[c] = true
		}
		for _, d := range o.config.RootFS.DiffIDs {
			usedBlobs[d] = true
		}
	}
	var removed []digest.Digest
	if !e.rec.KeepLayers {
		for _, c := range chainIDs(e.config.RootFS.DiffIDs) {
			if usedChains[c] {
				continue
			}
			err := s.layers.Remove(ctx, c)
			if errdefs.IsConflict(err) {
				// A container's writable layer is over it (the image was
				// removed from under a stopped container): keep it.
				s.log.Warn("keeping a layer in use", "chain", c, "err", err)
				continue
			}
			if err != nil {
				return removed, err
			}
			removed = append(removed, c)
		}
	}
	for _, d := range append([]digest.Digest{e.id}, e.config.RootFS.DiffIDs...) {
		if usedBlobs[d] {
			continue
		}
		if err := s.deleteBlob(ctx, d); err != nil {
			return removed, err
		}
	}
	if err := os.Remove(s.recordPath(e.id)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return removed, err
	}
	return removed, nil
}

// isIDPrefix reports whether ref names the image by (a prefix of) its ID.
func isIDPrefix(id digest.Digest, ref string) bool {
	return strings.HasPrefix(id.String(), ref) || strings.HasPrefix(id.Encoded(), ref)
}

// shortID is docker's 12-character form of an ID.
func shortID(id string) string {
	id = strings.TrimPrefix(id, "sha256:")
	if len(id) > 12 {
		return id[:12]
	}
	return id
}

// Prune answers POST /images/prune, as dockerd's ImagesPrune: it removes
// dangling images (or, with dangling=false, every image) that no container
// uses, each with its untagged parents. Intermediate images (untagged,
// with children: a build's steps, its cache) are left to their children.
func (s *Service) Prune(ctx context.Context, f filters.Args) (imagetypes.PruneReport, error) {
	rep := imagetypes.PruneReport{ImagesDeleted: []imagetypes.DeleteResponse{}}
	if err := f.Validate("dangling", "label", "until"); err != nil {
		return rep, errs.Invalid("%v", err)
	}
	danglingOnly := !(f.Exact("dangling", "false") || f.Exact("dangling", "0")) || !f.Has("dangling")
	until, err := f.Time("until")
	if err != nil {
		return rep, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	children := s.childCountsLocked()
	var tops []*entry
	for _, e := range s.images {
		refs := s.refs.refsOf(e.id)
		if children[e.id] > 0 || (danglingOnly && len(refs) > 0) || len(s.usersOf(e.id)) > 0 || !f.Labels("label", e.config.Config.Labels) {
			continue
		}
		if !until.IsZero() && !e.created().Before(until) {
			continue
		}
		tops = append(tops, e)
	}
	for _, e := range tops {
		if ctx.Err() != nil {
			return rep, ctx.Err()
		}
		if s.images[e.id] != e {
			continue // gone with another's parents
		}
		freed, err := s.deleteLocked(ctx, e, true, true, false, &rep.ImagesDeleted)
		rep.SpaceReclaimed += uint64(freed)
		if err != nil {
			return rep, err
		}
	}
	return rep, nil
}
