package build

import (
	"context"
	"slices"
	"sync"

	imagetypes "github.com/moby/moby/api/types/image"
)

// imageRemover is what undoing a failed build needs of the image store.
type imageRemover interface {
	Delete(ctx context.Context, ref string, force, noprune bool) ([]imagetypes.DeleteResponse, error)
}

// heldImages are the step images the running builds stand on: those they
// made and those they took from the cache. A failed build removes the
// images it made, save those another running build holds; while they are
// being removed no build may take them from the cache.
type heldImages struct {
	mu       sync.Mutex
	holders  map[string]int  // image ID -> running builds holding it
	removing map[string]bool // images a failed build is removing
}

// hold records that a build stands on image id; false if the image is
// being removed (the build must not use it).
func (h *heldImages) hold(id string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.removing[id] {
		return false
	}
	if h.holders == nil {
		h.holders = map[string]int{}
	}
	h.holders[id]++
	return true
}

// release ends a build's hold on ids and returns those of made that no
// other build holds, marked as being removed until done is called with
// them.
func (h *heldImages) release(ids, made []string) []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, id := range ids {
		if h.holders[id]--; h.holders[id] <= 0 {
			delete(h.holders, id)
		}
	}
	var orphans []string
	for _, id := range made {
		if h.holders[id] == 0 {
			if h.removing == nil {
				h.removing = map[string]bool{}
			}
			h.removing[id] = true
			orphans = append(orphans, id)
		}
	}
	return orphans
}

// done ends the removal of ids.
func (h *heldImages) done(ids []string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, id := range ids {
		delete(h.removing, id)
	}
}

// buildLedger is what one build stands on and what it made; its stages
// add to it concurrently.
type buildLedger struct {
	mu   sync.Mutex
	held []string
	made []string
}

// add records an image the build holds, and made it if made is set.
func (l *buildLedger) add(id string, made bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.held = append(l.held, id)
	if made {
		l.made = append(l.made, id)
	}
}

// finish releases what the build held and, if it failed, removes the
// images it made that no other build holds, newest first, so that a
// failed build leaves no image, layer or cache entry behind. The removal
// runs even when ctx was cancelled: the client going away is one way to
// fail.
func (r *run) finish(ctx context.Context, failed bool) {
	l := r.ledger
	l.mu.Lock()
	held, made := l.held, l.made
	l.mu.Unlock()
	if !failed {
		made = nil
	}
	orphans := r.b.held.release(held, made)
	if len(orphans) == 0 {
		return
	}
	defer r.b.held.done(orphans)
	ctx = context.WithoutCancel(ctx)
	for _, id := range slices.Backward(orphans) {
		if _, err := r.b.images.Delete(ctx, id, false, true); err != nil {
			r.b.log.Warn("removing an image of a failed build", "image", id, "err", err)
		}
	}
	if err := r.b.cache.drop(orphans); err != nil {
		r.b.log.Warn("build cache", "err", err)
	}
}
