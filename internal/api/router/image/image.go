// Package image is the router of /images/... and of POST /auth (the
// registry routes, over the same backend).
package image

import (
	"log/slog"

	"github.com/wharf/wharf/internal/api/httputil"
	"github.com/wharf/wharf/internal/api/router"
)

// Router serves the image routes over a Backend.
type Router struct {
	backend Backend
	log     *slog.Logger
}

// NewRouter returns the image router over b.
func NewRouter(b Backend, log *slog.Logger) *Router {
	return &Router{backend: b, log: log}
}

// Routes implements router.Router. Image names contain slashes
// ("localhost:5000/team/app:1.2"), which a ServeMux wildcard cannot match
// in the middle of a path, so everything under /images/ that is not a
// fixed route goes to one handler per method that splits off the action
// suffix.
func (s *Router) Routes() []router.Route {
	return []router.Route{
		router.Get("/images/json", s.imageList),
		router.Get("/images/get", s.imageSaveMany),
		router.Get("/images/search", notImplemented("searching registries is not implemented yet")),
		router.Post("/images/create", s.imageCreate).WithMaxBody(router.Unbounded), // import streams
		router.Post("/images/load", s.imageLoad).WithMaxBody(router.Unbounded),
		router.Post("/images/prune", httputil.FiltersHandler(s.backend.Prune)),
		router.Get("/images/{rest...}", s.imageGet),
		router.Post("/images/{rest...}", s.imagePost),
		router.Delete("/images/{rest...}", s.imageDelete),
		router.Post("/auth", s.auth),
	}
}
