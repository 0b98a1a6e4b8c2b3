package image

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	wevents "github.com/wharf/wharf/internal/events"
)

// published is what bus holds: "type action id name", oldest first.
func published(bus *wevents.Bus) []string {
	past, _, cancel := bus.Subscribe(time.Unix(0, 1))
	cancel()
	var out []string
	for _, m := range past {
		out = append(out, string(m.Type)+" "+string(m.Action)+" "+m.Actor.ID+" "+m.Actor.Attributes["name"])
	}
	return out
}

func TestEvents(t *testing.T) {
	bus := wevents.New()
	s, err := New(Config{Root: filepath.Join(t.TempDir(), "image"), Events: bus})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	id := importTar(t, s, simpleRootfs(t), "app", "")
	if err := s.Tag(ctx, "app", "other", "1"); err != nil {
		t.Fatal(err)
	}
	var saved bytes.Buffer
	if err := s.Save(ctx, []string{"other:1"}, &saved); err != nil {
		t.Fatal(err)
	}
	for _, ref := range []string{"other:1", "app"} {
		if _, err := s.Delete(ctx, ref, false, false); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Load(ctx, &saved, func(string) {}); err != nil {
		t.Fatal(err)
	}
	if err := s.Tag(ctx, "nope", "x", ""); err == nil {
		t.Fatal("tagged a missing image")
	}
	want := []string{
		"image import " + id + " app:latest",
		"image tag " + id + " other:1",
		"image save " + id + " other:1",
		"image untag " + id + " other:1",
		"image untag " + id + " app:latest",
		"image delete " + id + " " + id,
		"image load " + id + " other:1",
	}
	// In this order; the layers' "Deleted" lines get delete events too.
	got := published(bus)
	i := 0
	for _, g := range got {
		if i < len(want) && g == want[i] {
			i++
		}
	}
	if i < len(want) {
		t.Fatalf("no %q in order in:\n%s", want[i], strings.Join(got, "\n"))
	}
}
