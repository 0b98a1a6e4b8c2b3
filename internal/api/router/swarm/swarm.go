// Package swarm is the router of Swarm mode's routes: /swarm, /services,
// /tasks, /nodes, /secrets and /configs (moby's router/swarm).
package swarm

import (
	"github.com/wharf/wharf/internal/api/router"
)

// Router serves the swarm routes over a Backend.
type Router struct {
	backend Backend
}

// NewRouter returns the swarm router over b.
func NewRouter(b Backend) *Router {
	return &Router{backend: b}
}

// Routes implements router.Router.
func (s *Router) Routes() []router.Route {
	return []router.Route{
		router.Post("/swarm/init", s.initSwarm),
		router.Post("/swarm/join", s.joinSwarm),
		router.Post("/swarm/leave", s.leaveSwarm),
		router.Get("/swarm", s.inspectSwarm),
		router.Get("/swarm/unlockkey", s.getUnlockKey),
		router.Post("/swarm/update", s.updateSwarm),
		router.Post("/swarm/unlock", s.unlockSwarm),

		router.Get("/services", s.getServices),
		router.Get("/services/{id}", s.getService),
		router.Post("/services/create", s.createService),
		router.Post("/services/{id}/update", s.updateService),
		router.Delete("/services/{id}", s.removeService),
		router.Get("/services/{id}/logs", s.logsHandler(false)),

		router.Get("/nodes", s.getNodes),
		router.Get("/nodes/{id}", s.getNode),
		router.Delete("/nodes/{id}", s.removeNode),
		router.Post("/nodes/{id}/update", s.updateNode),

		router.Get("/tasks", s.getTasks),
		router.Get("/tasks/{id}", s.getTask),
		router.Get("/tasks/{id}/logs", s.logsHandler(true)),

		router.Get("/secrets", s.getSecrets),
		router.Post("/secrets/create", s.createSecret),
		router.Get("/secrets/{id}", s.getSecret),
		router.Delete("/secrets/{id}", s.removeSecret),
		router.Post("/secrets/{id}/update", s.updateSecret),

		router.Get("/configs", s.getConfigs),
		router.Post("/configs/create", s.createConfig),
		router.Get("/configs/{id}", s.getConfig),
		router.Delete("/configs/{id}", s.removeConfig),
		router.Post("/configs/{id}/update", s.updateConfig),
	}
}
