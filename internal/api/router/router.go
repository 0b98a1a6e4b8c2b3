// Package router is what a group of API routes looks like to the server.
// Each subpackage is the router of one resource: a backend.go of the small
// interfaces it needs (implemented by a service, wired in internal/daemon)
// and the handlers.
package router

import (
	"net/http"

	"github.com/wharf/wharf/internal/api/httputil"
)

// Router is a group of routes over one backend.
type Router interface {
	Routes() []Route
}

// Route is one endpoint: a method, a path in http.ServeMux's pattern
// syntax ("/containers/{id}/json") and its handler.
type Route struct {
	Method  string
	Path    string
	Handler httputil.APIFunc
}

// Get is a GET route.
func Get(path string, h httputil.APIFunc) Route { return Route{http.MethodGet, path, h} }

// Head is a HEAD route.
func Head(path string, h httputil.APIFunc) Route { return Route{http.MethodHead, path, h} }

// Post is a POST route.
func Post(path string, h httputil.APIFunc) Route { return Route{http.MethodPost, path, h} }

// Put is a PUT route.
func Put(path string, h httputil.APIFunc) Route { return Route{http.MethodPut, path, h} }

// Delete is a DELETE route.
func Delete(path string, h httputil.APIFunc) Route { return Route{http.MethodDelete, path, h} }
