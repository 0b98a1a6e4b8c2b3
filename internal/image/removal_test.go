package image

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/containerd/errdefs"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	"github.com/opencontainers/go-digest"

	"github.com/wharf/wharf/internal/filters"
	"github.com/wharf/wharf/internal/store/content"
	"github.com/wharf/wharf/internal/store/layer"
)

// gatedLayers is a layer store whose Remove waits, once entered, until
// the test opens the gate: a slow disk.
type gatedLayers struct {
	layer.Store
	entered chan struct{} // closed when the first Remove starts
	gate    chan struct{} // closed by the test to let it go on
	once    sync.Once
}

func gateLayers(s *Service) *gatedLayers {
	g := &gatedLayers{Store: s.layers, entered: make(chan struct{}), gate: make(chan struct{})}
	s.layers = g
	return g
}

func (g *gatedLayers) Remove(ctx context.Context, chain digest.Digest) error {
	g.once.Do(func() { close(g.entered) })
	<-g.gate
	return g.Store.Remove(ctx, chain)
}

// hookedBlobs is a content store that runs hook (once) on the first
// Info of a blob after it is armed.
type hookedBlobs struct {
	content.Store
	mu   sync.Mutex
	hook func()
}

func hookBlobs(s *Service) *hookedBlobs {
	h := &hookedBlobs{Store: s.blobs}
	s.blobs = h
	return h
}

func (h *hookedBlobs) arm(f func()) {
	h.mu.Lock()
	h.hook = f
	h.mu.Unlock()
}

func (h *hookedBlobs) Info(ctx context.Context, d digest.Digest) (content.Info, error) {
	h.mu.Lock()
	f := h.hook
	h.hook = nil
	h.mu.Unlock()
	if f != nil {
		f()
	}
	return h.Store.Info(ctx, d)
}

// within runs f and fails the test if it does not return in time.
func within(t *testing.T, what string, f func() error) {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- f() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("%s: %v", what, err)
		}
	case <-time.After(5 * time.Second):
		t.Errorf("%s blocked while an rmi deletes a layer", what)
	}
}

// TestRemovalLeavesReadersFree: while an rmi deletes an image's layer
// files (here held up as by a slow disk), the store answers its readers
// and takes other writes; the rmi then finishes with dockerd's rows.
func TestRemovalLeavesReadersFree(t *testing.T) {
	ctx := context.Background()
	s, root := newTestService(t)
	a := importTar(t, s, simpleRootfs(t), "a", "")
	importTar(t, s, makeTar(t, tarEntry{name: "b", body: "b"}), "b", "")
	g := gateLayers(s)
	type result struct {
		rows int
		err  error
	}
	rmi := make(chan result, 1)
	go func() {
		recs, err := s.Delete(ctx, "a", false, false)
		rmi <- result{len(recs), err}
	}()
	<-g.entered

	within(t, "inspect", func() error { _, err := s.Inspect(ctx, "b"); return err })
	within(t, "list", func() error { _, err := s.List(ctx, filters.Args{}); return err })
	within(t, "history", func() error { _, err := s.History(ctx, "b"); return err })
	within(t, "tag", func() error { return s.Tag(ctx, "b", "c", "1") })
	within(t, "get", func() error {
		if _, err := s.Get(ctx, a); !errdefs.IsNotFound(err) {
			return fmt.Errorf("the image being removed is still served: %v", err)
		}
		return nil
	})
	close(g.gate)
	r := <-rmi
	// Untagged, the image, its layer.
	if r.err != nil || r.rows != 3 {
		t.Fatalf("rmi: %d rows, %v", r.rows, r.err)
	}
	checkOnDisk(t, root, 1)
}

// checkOnDisk fails unless root holds the files of n images of one layer
// each, none shared: n records, layers and links, 2n blobs.
func checkOnDisk(t *testing.T, root string, n int) {
	t.Helper()
	for d, want := range map[string]int{"images": n, "layers": n, "l": n, "blobs/sha256": 2 * n} {
		if des, _ := os.ReadDir(filepath.Join(root, d)); len(des) != want {
			t.Errorf("%s holds %d entries, want %d", d, len(des), want)
		}
	}
}

// TestRemovalKilledMidway: a kill -9 after an rmi took its image out but
// before its files went leaves nothing that start-up does not remove.
func TestRemovalKilledMidway(t *testing.T) {
	ctx := context.Background()
	s, root := newTestService(t)
	a := importTar(t, s, simpleRootfs(t), "a", "")
	importTar(t, s, makeTar(t, tarEntry{name: "b", body: "b"}), "b", "")
	g := gateLayers(s)
	rmi := make(chan error, 1)
	go func() {
		_, err := s.Delete(ctx, "a", false, false)
		rmi <- err
	}()
	<-g.entered
	// The daemon killed here, started again over the same root.
	s2 := openService(t, root)
	if _, err := s2.Get(ctx, a); !errdefs.IsNotFound(err) {
		t.Errorf("the removed image is back: %v", err)
	}
	if _, err := s2.Get(ctx, "b"); err != nil {
		t.Errorf("the other image: %v", err)
	}
	checkOnDisk(t, root, 1)
	// The first daemon's goroutine, done with what is already gone.
	close(g.gate)
	if err := <-rmi; err != nil {
		t.Fatal(err)
	}
	checkOnDisk(t, root, 1)
}

// TestAddPinsItsFiles: an add that has begun using a layer tar keeps it
// (and its layer) from an rmi of the image that held it, so the image
// it records stands on files that are there.
func TestAddPinsItsFiles(t *testing.T) {
	ctx := context.Background()
	s, _ := newTestService(t)
	rootfs := simpleRootfs(t)
	importTar(t, s, rootfs, "a", "")
	h := hookBlobs(s)
	// The add is held just after it checked its first layer tar: rmi
	// runs then.
	h.arm(func() {
		if _, err := s.Delete(ctx, "a", false, false); err != nil {
			t.Errorf("rmi: %v", err)
		}
	})
	id, err := s.Derive(ctx, "", bytes.NewReader(rootfs), dockerspec.DockerOCIImageConfig{}, "COPY . /")
	if err != nil {
		t.Fatalf("an add racing an rmi of its layer: %v", err)
	}
	img, err := s.Get(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	dirs, err := s.extractedLayerDirs(ctx, img)
	if err != nil {
		t.Fatalf("the new image's layers: %v", err)
	}
	if got := readFile(t, filepath.Join(dirs[0], "hello.txt")); got != "hello\n" {
		t.Fatalf("layer content %q", got)
	}
}

// TestHistoryOneLook: history reads the image and its parents' tags in
// one look at the index, so a tag moved meanwhile is not shown on two
// rows; the layer sizes are read with the lock released (the hook's rmi
// would deadlock otherwise).
func TestHistoryOneLook(t *testing.T) {
	ctx := context.Background()
	s, _ := newTestService(t)
	importTar(t, s, simpleRootfs(t), "base", "")
	steps := buildChain(t, s, "base", "app")
	h := hookBlobs(s)
	h.arm(func() {
		if err := s.Tag(ctx, steps[1], "app", "latest"); err != nil {
			t.Error(err)
		}
	})
	rows, err := s.History(ctx, "app")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, r := range rows {
		if slices.Contains(r.Tags, "app:latest") {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("app:latest on %d rows: %+v", n, rows)
	}
}

// checkChildren holds the children index to a count over every image.
func checkChildren(t *testing.T, s *Service) {
	t.Helper()
	s.mu.RLock()
	defer s.mu.RUnlock()
	want := map[digest.Digest]int{}
	for _, e := range s.images {
		if e.rec.Parent != "" {
			want[e.rec.Parent]++
		}
	}
	if !maps.Equal(s.children, want) {
		t.Fatalf("children index %v, want %v", s.children, want)
	}
}
