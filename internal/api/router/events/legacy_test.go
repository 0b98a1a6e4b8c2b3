package events

import (
	"encoding/json"
	"testing"

	"github.com/moby/moby/api/types/events"
)

func TestVersionedEvent(t *testing.T) {
	m := events.Message{Type: events.ContainerEventType, Action: events.ActionDie, Actor: events.Actor{ID: "abc", Attributes: map[string]string{"image": "busybox"}}}
	old, _ := json.Marshal(withLegacyFields(m))
	var got map[string]any
	json.Unmarshal(old, &got)
	if got["id"] != "abc" || got["status"] != "die" || got["from"] != "busybox" || got["Action"] != "die" {
		t.Fatalf("1.41: %s", old)
	}
	// docker-compose 1.29 negotiates the newest version and still reads id.
	cur, _ := json.Marshal(withLegacyFields(m))
	got = nil
	json.Unmarshal(cur, &got)
	if got["id"] != "abc" {
		t.Fatalf("1.56: %s", cur)
	}
}
