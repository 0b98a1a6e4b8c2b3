// Package events is the daemon's event bus: services publish docker's
// event messages, API clients subscribe to them, and the last messages
// are kept in a ring buffer for replay (GET /events?since=).
package events

import (
	"sync"
	"time"

	"github.com/moby/moby/api/types/events"
)

// bufferSize is how many past messages are kept for replay.
const bufferSize = 1024

// Logger is what a service publishes its events through: the Bus, or a
// test's recorder. It is a leaf of the daemon's lock order: Log never
// calls into a service.
type Logger interface {
	Log(typ events.Type, action events.Action, id string, attrs map[string]string)
}

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
