package events

import (
	"github.com/moby/moby/api/types/events"
)

// legacyMessage is an event as dockerd sent it before API 1.52: container
// and image events also carry the deprecated status, id and from fields.
// Wharf sends them at every version, beyond dockerd 29: docker-compose
// 1.29 reads them, and it negotiates the newest version the daemon has
// (its event thread dies on KeyError: 'id' without them, and logs -f then
// never ends). Newer clients ignore the extra fields.
type legacyMessage struct {
	Status string `json:"status,omitempty"`
	ID     string `json:"id,omitempty"`
	From   string `json:"from,omitempty"`
	events.Message
}

// withLegacyFields is m with the deprecated fields filled as dockerd
// filled them.
func withLegacyFields(m events.Message) legacyMessage {
	l := legacyMessage{Message: m}
	switch m.Type {
	case events.ContainerEventType:
		l.ID, l.Status, l.From = m.Actor.ID, string(m.Action), m.Actor.Attributes["image"]
	case events.ImageEventType:
		l.ID, l.Status = m.Actor.ID, string(m.Action)
	}
	return l
}
