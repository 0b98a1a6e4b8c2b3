package build

import (
	"slices"
	"strings"
	"testing"
)

// TestHeldImages: a failed build removes only the images it made that no
// other running build stands on, and none is taken from the cache while
// it is being removed.
func TestHeldImages(t *testing.T) {
	var h heldImages
	// Build A made x and y; build B took y from the cache.
	for _, id := range []string{"x", "y", "y"} {
		if !h.hold(id) {
			t.Fatalf("hold %s refused", id)
		}
	}
	orphans := h.release([]string{"x", "y"}, []string{"x", "y"})
	if !slices.Equal(orphans, []string{"x"}) {
		t.Errorf("A failing removes %q, want x only", orphans)
	}
	if h.hold("x") {
		t.Error("an image being removed was taken from the cache")
	}
	h.done(orphans)
	if !h.hold("x") {
		t.Error("hold refused once the removal is done")
	}
	if orphans := h.release([]string{"x", "y"}, nil); len(orphans) > 0 || len(h.holders) > 0 {
		t.Errorf("B succeeding: removes %q, holders left %v", orphans, h.holders)
	}
}

// TestBuildFailureKeepsCacheHits: a build failing after steps it took
// from the cache removes only what it made itself.
func TestBuildFailureKeepsCacheHits(t *testing.T) {
	images := newFakeImages()
	b := newFakeBuilder(t, images)
	df := "FROM scratch\nLABEL a=1\nLABEL b=2\n"
	if _, _, err := runBuild(t, b, Options{}, tent{name: "Dockerfile", body: df}); err != nil {
		t.Fatal(err)
	}
	kept := images.ids()
	_, out, err := runBuild(t, b, Options{}, tent{name: "Dockerfile", body: df + "LABEL c=3\nENV X=${X:?unset}\n"})
	if err == nil || !strings.Contains(out, "Using cache") {
		t.Fatalf("error %v\n%s", err, out)
	}
	if got := images.ids(); !slices.Equal(got, kept) {
		t.Errorf("images after the failure: %q, want %q", got, kept)
	}
}
