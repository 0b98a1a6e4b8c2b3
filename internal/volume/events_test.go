package volume

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/api/types/volume"

	wevents "github.com/wharf/wharf/internal/events"
)

func TestEvents(t *testing.T) {
	bus := wevents.New()
	s, err := New(Config{Root: t.TempDir(), Events: bus})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for range 2 {
		if _, err := s.Create(ctx, volume.CreateRequest{Name: "data"}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.CreateFor(ctx, "c1", "data", nil, nil); err != nil { // exists: no event
		t.Fatal(err)
	}
	anon, err := s.CreateFor(ctx, "c1", "", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Mount(ctx, anon); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Create(ctx, volume.CreateRequest{Name: "other"}); err != nil {
		t.Fatal(err)
	}
	if err := s.Remove(ctx, "other", false); err != nil {
		t.Fatal(err)
	}
	if err := s.Remove(ctx, "data", false); err == nil { // in use: no event
		t.Fatal("removed a volume in use")
	}

	past, _, cancel := bus.Subscribe(time.Unix(0, 1))
	cancel()
	var got []string
	for _, m := range past {
		if m.Type != "volume" || m.Actor.Attributes["driver"] != "local" {
			t.Errorf("event %+v", m)
		}
		got = append(got, string(m.Action)+" "+m.Actor.ID)
	}
	want := "create data|create data|create " + anon + "|mount " + anon + "|create other|destroy other"
	if strings.Join(got, "|") != want {
		t.Errorf("events %q\nwant %q", strings.Join(got, "|"), want)
	}
}
