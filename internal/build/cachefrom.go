package build

import (
	"context"
	"reflect"
	"sync"

	digest "github.com/opencontainers/go-digest"

	"github.com/wharf/wharf/internal/image"
)

// cacheSources are the images a build names with --cache-from (the
// cachefrom parameter). As in dockerd's classic builder (moby's
// image/cache), a step may then be taken from them: from a source whose
// history and layers begin with the step's parent's and whose next
// history entry was made by the same command. The local cache still
// answers, but only with images some source descends from, so a build
// asked to reuse given images reuses nothing else.
type cacheSources struct {
	refs []string
	once sync.Once
	imgs []*image.Image
}

// load looks the sources up once; one that is missing is skipped, as
// dockerd skips it.
func (c *cacheSources) load(ctx context.Context, images Images) []*image.Image {
	c.once.Do(func() {
		for _, ref := range c.refs {
			if img, err := images.Get(ctx, ref); err == nil {
				c.imgs = append(c.imgs, img)
			}
		}
	})
	return c.imgs
}

// allows reports whether the local cache may answer with img: always
// without sources, else only when img begins some source.
func (c *cacheSources) allows(ctx context.Context, images Images, img *image.Image) bool {
	if c == nil || len(c.refs) == 0 {
		return true
	}
	for _, src := range c.load(ctx, images) {
		if img.ID == src.ID || extends(src, img) {
			return true
		}
	}
	return false
}

// fromSources is a step taken from a cache source: the source itself
// when the step is its last, else an image made from the parent with the
// source's history entry and layer for the step. made says it is new.
func (r *run) fromSources(ctx context.Context, st *stageState, createdBy string) (id string, made bool, ok bool) {
	if r.cacheFrom == nil || len(r.cacheFrom.refs) == 0 {
		return "", false, false
	}
	var parent *image.Image
	if st.imageID != "" {
		p, err := r.b.images.Get(ctx, st.imageID)
		if err != nil {
			return "", false, false
		}
		parent = p
	}
	n := 0
	if parent != nil {
		n = len(parent.Config.History)
	}
	for _, src := range r.cacheFrom.load(ctx, r.b.images) {
		if parent != nil && !extends(src, parent) || parent == nil && len(src.Config.History) == 0 {
			continue
		}
		if n >= len(src.Config.History) || src.Config.History[n].CreatedBy != createdBy {
			continue
		}
		if n == len(src.Config.History)-1 {
			return src.ID, false, true
		}
		diffID, ok := layerOfStep(src, n)
		if !ok {
			continue
		}
		id, err := r.b.images.DeriveCached(ctx, st.imageID, diffID, src.Config.History[n], st.cfg)
		if err != nil {
			r.b.log.Warn("build: restoring a step from a cache source", "source", src.ID, "err", err)
			continue
		}
		return id, true, true
	}
	return "", false, false
}

// extends reports whether img's history and layers begin with all of
// parent's, and go further.
func extends(img, parent *image.Image) bool {
	h, ph := img.Config.History, parent.Config.History
	d, pd := img.Config.RootFS.DiffIDs, parent.Config.RootFS.DiffIDs
	if len(ph) >= len(h) || len(pd) > len(d) {
		return false
	}
	for i := range ph {
		if !reflect.DeepEqual(ph[i], h[i]) {
			return false
		}
	}
	for i := range pd {
		if pd[i] != d[i] {
			return false
		}
	}
	return true
}

// layerOfStep is the layer the history entry at index made ("" for an
// empty layer); ok is false when the image's layers do not add up.
func layerOfStep(img *image.Image, index int) (diffID digest.Digest, ok bool) {
	if img.Config.History[index].EmptyLayer {
		return "", true
	}
	n := 0
	for _, h := range img.Config.History[:index] {
		if !h.EmptyLayer {
			n++
		}
	}
	if n >= len(img.Config.RootFS.DiffIDs) {
		return "", false
	}
	return img.Config.RootFS.DiffIDs[n], true
}
