// Package backend holds the request and option types the API's routers
// hand to their backends. The API layer owns them, as moby's
// daemon/server/backend does, so a router's backend interface names no
// service's types and the services take these instead: the services
// depend on the API's vocabulary, never the API on a service.
//
// It is a leaf: it imports only docker's API types and internal/filters.
package backend
