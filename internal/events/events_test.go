package events

import (
	"testing"
	"time"

	"github.com/moby/moby/api/types/events"

	"github.com/wharf/wharf/internal/filters"
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

func TestMatch(t *testing.T) {
	die := events.Message{Type: events.ContainerEventType, Action: events.ActionDie, Scope: "local",
		Actor: events.Actor{ID: "0123456789abcdef", Attributes: map[string]string{"name": "web", "image": "busybox:latest", "app": "x", "exitCode": "0"}}}
	execStart := events.Message{Type: events.ContainerEventType, Action: "exec_start: sh -c true", Scope: "local",
		Actor: events.Actor{ID: "0123456789abcdef", Attributes: map[string]string{"name": "web"}}}
	vol := events.Message{Type: events.VolumeEventType, Action: events.ActionCreate, Scope: "local", Actor: events.Actor{ID: "data"}}
	tests := []struct {
		filter string
		m      events.Message
		want   bool
	}{
		{`{}`, die, true},
		{`{"type":{"container":true}}`, die, true},
		{`{"type":{"image":true}}`, die, false},
		{`{"event":{"die":true}}`, die, true},
		{`{"event":{"start":true}}`, die, false},
		{`{"event":{"exec_start":true}}`, execStart, true},
		{`{"container":{"web":true}}`, die, true},
		{`{"container":{"0123":true}}`, die, true},
		{`{"container":{"db":true}}`, die, false},
		{`{"container":{"web":true}}`, vol, false},
		{`{"image":{"busybox":true}}`, die, true},
		{`{"image":{"alpine":true}}`, die, false},
		{`{"label":{"app=x":true}}`, die, true},
		{`{"label":{"app=y":true}}`, die, false},
		{`{"volume":{"data":true}}`, vol, true},
		{`{"event":{"die":true,"start":true},"type":{"container":true}}`, die, true},
	}
	for _, tt := range tests {
		f, err := filters.Parse(tt.filter)
		if err != nil {
			t.Fatal(err)
		}
		if got := Match(f, tt.m); got != tt.want {
			t.Errorf("Match(%s, %s) = %v, want %v", tt.filter, tt.m.Action, got, tt.want)
		}
	}
}
