package image

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/containerd/errdefs"
	imagetypes "github.com/moby/moby/api/types/image"

	"github.com/wharf/wharf/internal/filters"
)

// buildChain makes what a classic build of three steps on base makes:
// two intermediate images and the tagged result, each the parent of the
// next; it returns their IDs, oldest first.
func buildChain(t *testing.T, s *Service, base, tag string) []string {
	t.Helper()
	ctx := context.Background()
	img, err := s.Get(ctx, base)
	if err != nil {
		t.Fatal(err)
	}
	ids := []string{}
	parent := img.ID
	for i, step := range []string{"RUN a", "ENV X=1", "RUN b"} {
		var layer *bytes.Reader
		if strings.HasPrefix(step, "RUN") {
			layer = bytes.NewReader(makeTar(t, tarEntry{name: step[4:] + tag, body: step}))
		}
		cfg := img.Config.Config
		cfg.Env = append(slices.Clone(cfg.Env), "STEP="+step+tag)
		var id string
		if layer != nil {
			id, err = s.Derive(ctx, parent, layer, cfg, step)
		} else {
			id, err = s.Derive(ctx, parent, nil, cfg, step)
		}
		if err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		ids = append(ids, id)
		parent = id
	}
	if err := s.Tag(ctx, parent, tag, "latest"); err != nil {
		t.Fatal(err)
	}
	return ids
}

func listIDs(t *testing.T, list func(context.Context, filters.Args) ([]imagetypes.Summary, error), f filters.Args) []string {
	t.Helper()
	out, err := list(context.Background(), f)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, s := range out {
		ids = append(ids, s.ID)
	}
	slices.Sort(ids)
	return ids
}

func sorted(ids ...string) []string {
	slices.Sort(ids)
	return ids
}

// TestBuildParents holds the image store to dockerd's model of a
// classic build's images: the steps are intermediate images (hidden from
// the list, kept by prune, the build cache), removed with the result.
func TestBuildParents(t *testing.T) {
	ctx := context.Background()
	s, _ := newTestService(t)
	base := importTar(t, s, simpleRootfs(t), "base", "")
	steps := buildChain(t, s, "base", "app")
	top := steps[2]

	if got := s.ParentOf(ctx, top); got != steps[1] {
		t.Fatalf("parent of the result = %q, want %q", got, steps[1])
	}
	if got := s.ParentOf(ctx, steps[0]); got != base {
		t.Fatalf("parent of the first step = %q, want the base %q", got, base)
	}
	if got, want := listIDs(t, s.List, filters.Args{}), sorted(base, top); !slices.Equal(got, want) {
		t.Fatalf("images = %v, want only the tagged ones %v", got, want)
	}
	if got, want := listIDs(t, s.ListAll, filters.Args{}), sorted(base, steps[0], steps[1], top); !slices.Equal(got, want) {
		t.Fatalf("images -a = %v, want %v", got, want)
	}
	dangling := filters.Args{"dangling": {"true": true}}
	if got := listIDs(t, s.ListAll, dangling); len(got) != 0 {
		t.Fatalf("dangling images = %v, want none (the steps have children)", got)
	}

	// The steps' rows of the history carry their images' IDs.
	hist, err := s.History(ctx, "app")
	if err != nil {
		t.Fatal(err)
	}
	wantRows := []string{top, steps[1], steps[0], base}
	for i, id := range wantRows {
		if hist[i].ID != id {
			t.Fatalf("history row %d = %s, want %s (rows %+v)", i, hist[i].ID, id, hist)
		}
	}
	if !slices.Equal(hist[3].Tags, []string{"base:latest"}) {
		t.Fatalf("base row tags = %v", hist[3].Tags)
	}

	// Prune keeps the build's steps: they are its cache.
	rep, err := s.Prune(ctx, filters.Args{})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.ImagesDeleted) != 0 {
		t.Fatalf("prune removed %+v", rep.ImagesDeleted)
	}

	// A step cannot go while the result stands on it, even forced.
	_, err = s.Delete(ctx, steps[1], true, false)
	if !errdefs.IsConflict(err) || !strings.Contains(err.Error(), "image has dependent child images") {
		t.Fatalf("rmi -f of a step: %v", err)
	}
	// Untagging the base leaves it as an intermediate image.
	if _, err := s.Delete(ctx, "base", false, false); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(ctx, base); err != nil {
		t.Fatalf("the base went with its tag: %v", err)
	}

	// rmi of the result takes its untagged parents, the base included.
	recs, err := s.Delete(ctx, "app", false, false)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range append(steps, base) {
		if _, err := s.Get(ctx, id); !errdefs.IsNotFound(err) {
			t.Fatalf("image %s left after rmi of the result: %v (records %+v)", id, err, recs)
		}
	}
	if got := listIDs(t, s.ListAll, filters.Args{}); len(got) != 0 {
		t.Fatalf("images left: %v", got)
	}
}

// TestPruneTakesParents: pruning a dangling result (its tag moved to a
// newer build) removes its untagged steps with it, but not the steps a
// tagged image still stands on.
func TestPruneTakesParents(t *testing.T) {
	ctx := context.Background()
	s, _ := newTestService(t)
	base := importTar(t, s, simpleRootfs(t), "base", "")
	old := buildChain(t, s, "base", "app")
	// A second build on the old result's first step, tagged elsewhere.
	img, err := s.Get(ctx, old[0])
	if err != nil {
		t.Fatal(err)
	}
	other, err := s.Derive(ctx, old[0], nil, img.Config.Config, "LABEL other")
	if err != nil {
		t.Fatal(err)
	}
	// The tag moves to it: the old result is dangling.
	if err := s.Tag(ctx, other, "app", "latest"); err != nil {
		t.Fatal(err)
	}
	dangling := filters.Args{"dangling": {"true": true}}
	if got := listIDs(t, s.List, dangling); !slices.Equal(got, []string{old[2]}) {
		t.Fatalf("dangling = %v, want the old result %s only", got, old[2])
	}
	rep, err := s.Prune(ctx, filters.Args{})
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{old[2], old[1]} {
		if _, err := s.Get(ctx, id); !errdefs.IsNotFound(err) {
			t.Fatalf("%s not pruned: %v (report %+v)", id, err, rep)
		}
	}
	for _, id := range []string{old[0], other, base} {
		if _, err := s.Get(ctx, id); err != nil {
			t.Fatalf("%s pruned, though app:latest stands on it: %v", id, err)
		}
	}
	if rep.SpaceReclaimed == 0 {
		t.Fatalf("no space reclaimed for a removed layer: %+v", rep)
	}
}

// TestParentsSurviveRestart: the parent is part of the image's record.
func TestParentsSurviveRestart(t *testing.T) {
	ctx := context.Background()
	s, root := newTestService(t)
	importTar(t, s, simpleRootfs(t), "base", "")
	steps := buildChain(t, s, "base", "app")
	s2 := openService(t, root)
	if got := s2.ParentOf(ctx, steps[2]); got != steps[1] {
		t.Fatalf("after reopening, parent = %q, want %q", got, steps[1])
	}
	if got := listIDs(t, s2.List, filters.Args{}); len(got) != 2 {
		t.Fatalf("after reopening, images = %v, want base and app", got)
	}
}
