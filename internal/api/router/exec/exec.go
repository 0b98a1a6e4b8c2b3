// Package exec is the router of POST /containers/{id}/exec and /exec/....
package exec

import "github.com/wharf/wharf/internal/api/router"

// Router serves the exec routes over a Backend.
type Router struct {
	backend Backend
}

// NewRouter returns the exec router over b.
func NewRouter(b Backend) *Router {
	return &Router{backend: b}
}

// Routes implements router.Router.
func (s *Router) Routes() []router.Route {
	return []router.Route{
		router.Post("/containers/{id}/exec", s.postContainerExec).WithMaxBody(router.ConfigMaxBody),
		router.Post("/exec/{id}/start", s.postExecStart),
		router.Post("/exec/{id}/resize", s.postExecResize),
		router.Get("/exec/{id}/json", s.getExecJSON),
	}
}
