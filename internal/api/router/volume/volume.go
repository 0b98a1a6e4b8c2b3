// Package volume is the router of /volumes/....
package volume

import (
	"github.com/wharf/wharf/internal/api/httputil"
	"github.com/wharf/wharf/internal/api/router"
)

// Router serves the volume routes over a Backend.
type Router struct {
	backend Backend
}

// NewRouter returns the volume router over b.
func NewRouter(b Backend) *Router {
	return &Router{backend: b}
}

// Routes implements router.Router.
func (s *Router) Routes() []router.Route {
	return []router.Route{
		router.Get("/volumes", httputil.FiltersHandler(s.backend.List)),
		router.Post("/volumes/create", s.postVolumesCreate),
		router.Post("/volumes/prune", s.postVolumesPrune),
		router.Get("/volumes/{name}", s.getVolume),
		router.Delete("/volumes/{name}", s.deleteVolume),
	}
}
