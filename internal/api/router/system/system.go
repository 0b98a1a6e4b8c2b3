// Package system is the router of /_ping, /version, /info and /system/df.
package system

import "github.com/wharf/wharf/internal/api/router"

// Router serves the system routes.
type Router struct {
	backend Backend
	du      DiskUsage
}

// NewRouter returns the system router: /info and /version from b, disk
// usage from du.
func NewRouter(b Backend, du DiskUsage) *Router {
	return &Router{backend: b, du: du}
}

// Routes implements router.Router.
func (s *Router) Routes() []router.Route {
	return []router.Route{
		router.Get("/_ping", s.ping),
		router.Head("/_ping", s.ping),
		router.Get("/version", s.getVersion),
		router.Get("/info", s.getInfo),
		router.Get("/system/df", s.getSystemDF),
	}
}
