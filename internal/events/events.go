// Package events is the daemon's event bus: services publish docker's
// event messages, API clients subscribe to them, and the last messages
// are kept in a ring buffer for replay (GET /events?since=).
package events

import (
	"sync"
	"time"

	"github.com/moby/moby/api/types/events"

	"github.com/wharf/wharf/internal/filters"
)

// bufferSize is how many past messages are kept for replay.
const bufferSize = 1024

// Bus is an in-memory publish/subscribe hub. Its zero value is not
// usable; call New.
type Bus struct {
	mu   sync.Mutex
	ring []events.Message // the newest last, at most bufferSize
	subs map[chan events.Message]struct{}
}

// New returns an empty bus.
func New() *Bus {
	return &Bus{subs: map[chan events.Message]struct{}{}}
}

// Log publishes a message of type typ with the local scope and the current time.
func (b *Bus) Log(typ events.Type, action events.Action, id string, attrs map[string]string) {
	now := time.Now()
	b.Publish(events.Message{
		Type:     typ,
		Action:   action,
		Actor:    events.Actor{ID: id, Attributes: attrs},
		Scope:    "local",
		Time:     now.Unix(),
		TimeNano: now.UnixNano(),
	})
}

// Publish records m and hands it to every subscriber. A subscriber that
// does not keep up loses messages rather than blocking the daemon.
func (b *Bus) Publish(m events.Message) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.ring) >= bufferSize {
		b.ring = append(b.ring[:0], b.ring[1:]...)
	}
	b.ring = append(b.ring, m)
	for ch := range b.subs {
		select {
		case ch <- m:
		default:
		}
	}
}

// Subscribe returns the buffered messages at or after since (none when
// since is zero), a channel of the messages published from now on, and a
// function that ends the subscription.
func (b *Bus) Subscribe(since time.Time) ([]events.Message, <-chan events.Message, func()) {
	ch := make(chan events.Message, 256)
	b.mu.Lock()
	defer b.mu.Unlock()
	var past []events.Message
	if !since.IsZero() {
		for _, m := range b.ring {
			if m.TimeNano >= since.UnixNano() {
				past = append(past, m)
			}
		}
	}
	b.subs[ch] = struct{}{}
	cancel := func() {
		b.mu.Lock()
		delete(b.subs, ch)
		b.mu.Unlock()
	}
	return past, ch, cancel
}

// Filters are the terms GET /events accepts.
var Filters = []string{"type", "event", "container", "image", "label", "network", "volume", "scope", "daemon", "plugin", "node", "service", "secret", "config"}

// Match reports whether m passes the filters f, as dockerd's do: every term
// given must have a value that matches.
func Match(f filters.Args, m events.Message) bool {
	attrs := m.Actor.Attributes
	if !f.Exact("type", string(m.Type)) || !f.Exact("scope", m.Scope) {
		return false
	}
	if f.Has("event") && !f.Exact("event", string(m.Action)) && !f.Exact("event", actionPrefix(m.Action)) {
		return false
	}
	if !f.Labels("label", attrs) {
		return false
	}
	// A term naming an object filters on that type's id or name.
	byType := map[string]events.Type{
		"container": events.ContainerEventType,
		"network":   events.NetworkEventType,
		"volume":    events.VolumeEventType,
	}
	for term, typ := range byType {
		if f.Has(term) && (m.Type != typ || !matchIDOrName(f, term, m.Actor.ID, attrs["name"])) {
			return false
		}
	}
	if f.Has("image") {
		switch m.Type {
		case events.ContainerEventType:
			if !matchImage(f, attrs["image"]) {
				return false
			}
		case events.ImageEventType:
			if !matchImage(f, m.Actor.ID) && !matchImage(f, attrs["name"]) {
				return false
			}
		default:
			return false
		}
	}
	return true
}

// actionPrefix is "exec_start" for "exec_start: sh", "health_status" for
// "health_status: healthy": filters match either form.
func actionPrefix(a events.Action) string {
	for i := 0; i < len(a); i++ {
		if a[i] == ':' {
			return string(a[:i])
		}
	}
	return string(a)
}

func matchIDOrName(f filters.Args, term, id, name string) bool {
	for _, v := range f.Get(term) {
		if v == name || (v != "" && len(v) <= len(id) && id[:len(v)] == v) {
			return true
		}
	}
	return false
}

// matchImage accepts the image as given or without its ":latest" tag.
func matchImage(f filters.Args, image string) bool {
	for _, v := range f.Get("image") {
		if v == image || v+":latest" == image || v == image+":latest" {
			return true
		}
	}
	return false
}
