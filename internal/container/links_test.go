package container

import (
	"slices"
	"testing"
)

func TestInspectLinks(t *testing.T) {
	got := inspectLinks("/c3", []string{"w2:foo", "/db", "web:/x/y"})
	want := []string{"/w2:/c3/foo", "/db:/c3/db", "/web:/c3/y"}
	if !slices.Equal(got, want) {
		t.Fatalf("%q, want %q", got, want)
	}
}
