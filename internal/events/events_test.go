package events

import (
	"testing"
	"time"

	"github.com/moby/moby/api/types/events"
)

func TestBusReplayAndStream(t *testing.T) {
	b := New()
	start := time.Now()
	b.Log(events.ContainerEventType, events.ActionCreate, "abc", map[string]string{"name": "web"})
	past, ch, cancel := b.Subscribe(start)
	defer cancel()
	if len(past) != 1 || past[0].Action != events.ActionCreate || past[0].Scope != "local" || past[0].TimeNano == 0 {
		t.Fatalf("replay = %+v", past)
	}
	b.Log(events.ContainerEventType, events.ActionStart, "abc", nil)
	select {
	case m := <-ch:
		if m.Action != events.ActionStart {
			t.Fatalf("got %+v", m)
		}
	case <-time.After(time.Second):
		t.Fatal("no message")
	}
	if past, _, c := b.Subscribe(time.Time{}); len(past) != 0 {
		t.Fatalf("no since: replay = %+v", past)
	} else {
		c()
	}
}

func TestBusRingIsBounded(t *testing.T) {
	b := New()
	for i := 0; i < bufferSize+10; i++ {
		b.Log(events.ImageEventType, events.ActionTag, "x", nil)
	}
	past, _, cancel := b.Subscribe(time.Unix(1, 0))
	cancel()
	if len(past) != bufferSize {
		t.Fatalf("kept %d messages, want %d", len(past), bufferSize)
	}
}
