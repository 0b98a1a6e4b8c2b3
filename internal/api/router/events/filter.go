package events

import (
	"github.com/moby/moby/api/types/events"

	"github.com/wharf/wharf/internal/filters"
)

// validateFilters checks that f holds only the terms GET /events accepts.
func validateFilters(f filters.Args) error {
	return f.Validate("type", "event", "container", "image", "label", "network", "volume", "scope", "daemon", "plugin", "node", "service", "secret", "config")
}

// match reports whether m passes the filters f, as dockerd's do: every term
// given must have a value that matches.
func match(f filters.Args, m events.Message) bool {
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
