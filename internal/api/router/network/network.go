// Package network is the router of /networks/....
package network

import "github.com/wharf/wharf/internal/api/router"

// Router serves the network routes.
type Router struct {
	backend    Backend
	containers ContainerBackend
}

// NewRouter returns the network router over b, connecting and
// disconnecting containers through containers.
func NewRouter(b Backend, containers ContainerBackend) *Router {
	return &Router{backend: b, containers: containers}
}

// Routes implements router.Router.
func (s *Router) Routes() []router.Route {
	return []router.Route{
		router.Get("/networks", s.getNetworks),
		router.Get("/networks/{$}", s.getNetworks), // dockerd lists on the trailing slash too
		router.Post("/networks/create", s.postNetworksCreate),
		router.Post("/networks/prune", s.postNetworksPrune),
		router.Get("/networks/{id}", s.getNetwork),
		router.Delete("/networks/{id}", s.deleteNetwork),
		router.Post("/networks/{id}/connect", s.postNetworkConnect),
		router.Post("/networks/{id}/disconnect", s.postNetworkDisconnect),
	}
}
