// Package events is the router of GET /events.
package events

import "github.com/wharf/wharf/internal/api/router"

// Router serves GET /events over a Backend.
type Router struct {
	backend Backend
}

// NewRouter returns the events router over b.
func NewRouter(b Backend) *Router {
	return &Router{backend: b}
}

// Routes implements router.Router.
func (s *Router) Routes() []router.Route {
	return []router.Route{router.Get("/events", s.getEvents)}
}
