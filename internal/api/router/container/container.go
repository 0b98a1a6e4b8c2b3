// Package container is the router of /containers/... and /commit.
package container

import (
	"log/slog"

	"github.com/wharf/wharf/internal/api/httputil"
	"github.com/wharf/wharf/internal/api/router"
)

// Router serves the container routes over a Backend.
type Router struct {
	backend Backend
	log     *slog.Logger
}

// NewRouter returns the container router over b.
func NewRouter(b Backend, log *slog.Logger) *Router {
	return &Router{backend: b, log: log}
}

// Routes implements router.Router.
func (s *Router) Routes() []router.Route {
	return []router.Route{
		router.Post("/containers/create", s.postContainersCreate).WithMaxBody(router.ConfigMaxBody),
		router.Get("/containers/json", s.getContainersJSON),
		router.Post("/containers/prune", httputil.FiltersHandler(s.backend.Prune)),
		router.Get("/containers/{id}/json", s.getContainerJSON),
		router.Post("/containers/{id}/start", s.postContainerStart),
		router.Post("/containers/{id}/stop", s.postContainerStop),
		router.Post("/containers/{id}/restart", s.postContainerRestart),
		router.Post("/containers/{id}/kill", s.postContainerKill),
		router.Delete("/containers/{id}", s.deleteContainer),
		// A link's name has a slash: /containers/parent/alias?link=true.
		router.Delete("/containers/{id...}", s.deleteContainer),
		router.Post("/containers/{id}/wait", s.postContainerWait),
		router.Get("/containers/{id}/logs", s.getContainerLogs),
		router.Post("/containers/{id}/attach", s.postContainerAttach),
		router.Get("/containers/{id}/attach/ws", s.getContainerAttachWS),
		router.Post("/containers/{id}/resize", s.postContainerResize),
		router.Post("/containers/{id}/rename", s.postContainerRename),
		router.Get("/containers/{id}/top", s.getContainerTop),
		router.Post("/containers/{id}/pause", s.postContainerPause),
		router.Post("/containers/{id}/unpause", s.postContainerUnpause),
		router.Post("/containers/{id}/update", s.postContainerUpdate).WithMaxBody(router.ConfigMaxBody),
		router.Get("/containers/{id}/stats", s.getContainerStats),
		router.Get("/containers/{id}/changes", s.getContainerChanges),
		router.Get("/containers/{id}/export", s.getContainerExport),
		router.Head("/containers/{id}/archive", s.headContainerArchive),
		router.Get("/containers/{id}/archive", s.getContainerArchive),
		router.Put("/containers/{id}/archive", s.putContainerArchive).WithMaxBody(router.Unbounded), // a tar stream
		router.Post("/commit", s.postCommit).WithMaxBody(router.ConfigMaxBody),
	}
}
