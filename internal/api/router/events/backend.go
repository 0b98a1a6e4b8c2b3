package events

import (
	"time"

	"github.com/moby/moby/api/types/events"
)

// Backend is the daemon's event bus (internal/events): the messages kept
// since a time, then the live ones until cancel.
type Backend interface {
	Subscribe(since time.Time) (past []events.Message, live <-chan events.Message, cancel func())
}
