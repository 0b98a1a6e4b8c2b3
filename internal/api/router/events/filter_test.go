package events

import (
	"testing"

	"github.com/moby/moby/api/types/events"

	"github.com/wharf/wharf/internal/filters"
)

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
		if got := match(f, tt.m); got != tt.want {
			t.Errorf("match(%s, %s) = %v, want %v", tt.filter, tt.m.Action, got, tt.want)
		}
	}
}
