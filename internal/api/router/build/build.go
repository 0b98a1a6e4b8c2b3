// Package build is the router of POST /build and /build/prune.
package build

import "github.com/wharf/wharf/internal/api/router"

// Router serves the build routes over a Backend.
type Router struct {
	backend Backend
}

// NewRouter returns the build router over b.
func NewRouter(b Backend) *Router {
	return &Router{backend: b}
}

// Routes implements router.Router.
func (s *Router) Routes() []router.Route {
	return []router.Route{
		router.Post("/build", s.postBuild).WithMaxBody(router.Unbounded), // the context streams
		router.Post("/build/prune", s.postBuildPrune),
	}
}
