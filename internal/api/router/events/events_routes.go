package events

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/moby/moby/api/types/events"

	"github.com/wharf/wharf/internal/api/compat"
	"github.com/wharf/wharf/internal/api/httputil"
	"github.com/wharf/wharf/internal/errs"
)

// getEvents streams events as JSON lines: first the buffered ones from
// since, then new ones, until the client leaves or until passes.
func (s *Router) getEvents(w http.ResponseWriter, r *http.Request) error {
	since, err := eventTime(r.URL.Query().Get("since"))
	if err != nil {
		return err
	}
	until, err := eventTime(r.URL.Query().Get("until"))
	if err != nil {
		return err
	}
	if !since.IsZero() && !until.IsZero() && until.Before(since) {
		return errs.Invalid("since time (%s) cannot be after until time (%s)", r.URL.Query().Get("since"), r.URL.Query().Get("until"))
	}
	f, err := httputil.FiltersValue(r)
	if err != nil {
		return err
	}
	if err := validateFilters(f); err != nil {
		return errs.Invalid("%v", err)
	}
	// As dockerd: with until alone, replay the whole buffer up to it.
	from := since
	if from.IsZero() && !until.IsZero() {
		from = time.Unix(0, 1)
	}
	past, live, cancel := s.backend.Subscribe(from)
	defer cancel()

	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	flush := func() {
		if fl, ok := w.(http.Flusher); ok {
			fl.Flush()
		}
	}
	flush()
	enc := json.NewEncoder(w)
	// Clients before 1.46 had no image create events.
	oldClient := compat.Before(r.Context(), compat.EventsImageCreate)
	// send writes m if it matches; it reports false once until is passed.
	send := func(m events.Message) bool {
		if !until.IsZero() && m.TimeNano > until.UnixNano() {
			return false
		}
		if oldClient && m.Type == events.ImageEventType && m.Action == events.ActionCreate {
			return true
		}
		if match(f, m) {
			enc.Encode(compat.Shape(r.Context(), compat.Events, m))
			flush()
		}
		return true
	}
	for _, m := range past {
		if !send(m) {
			return nil
		}
	}
	var end <-chan time.Time
	if !until.IsZero() {
		if !until.After(time.Now()) {
			return nil
		}
		t := time.NewTimer(time.Until(until))
		defer t.Stop()
		end = t.C
	}
	for {
		select {
		case m := <-live:
			if !send(m) {
				return nil
			}
		case <-end:
			return nil
		case <-r.Context().Done():
			return nil
		}
	}
}

// eventTime parses the API's "seconds[.nanoseconds]" timestamps; "" is zero.
func eventTime(v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	secStr, nsecStr, _ := strings.Cut(v, ".")
	sec, err := strconv.ParseInt(secStr, 10, 64)
	if err != nil {
		return time.Time{}, errs.Invalid("invalid timestamp %q", v)
	}
	var nsec int64
	if nsecStr != "" {
		if len(nsecStr) > 9 {
			nsecStr = nsecStr[:9]
		}
		nsecStr += strings.Repeat("0", 9-len(nsecStr))
		if nsec, err = strconv.ParseInt(nsecStr, 10, 64); err != nil {
			return time.Time{}, errs.Invalid("invalid timestamp %q", v)
		}
	}
	return time.Unix(sec, nsec), nil
}
