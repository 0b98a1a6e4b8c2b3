package container

import (
	"context"
	"log/slog"
	"time"
)

// spans times the steps of one start or exit for the debug log, so that
// where a run's milliseconds go can be read from `wharfd -D` (issue 22).
// A nil *spans records nothing.
type spans struct {
	last  time.Time
	attrs []any
}

// newSpans starts timing at t0, or now if t0 is zero; nil unless the log
// shows debug messages.
func newSpans(log *slog.Logger, t0 time.Time) *spans {
	if log == nil || !log.Enabled(context.Background(), slog.LevelDebug) {
		return nil
	}
	if t0.IsZero() {
		t0 = time.Now()
	}
	return &spans{last: t0}
}

// mark ends the step called name: the time since the previous mark.
func (sp *spans) mark(name string) {
	if sp == nil {
		return
	}
	now := time.Now()
	sp.attrs = append(sp.attrs, slog.Duration(name, now.Sub(sp.last)))
	sp.last = now
}

// log writes the steps as one debug line.
func (sp *spans) log(log *slog.Logger, msg, id string) {
	if sp == nil {
		return
	}
	log.Debug(msg, append([]any{"id", id}, sp.attrs...)...)
}
