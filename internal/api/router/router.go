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
// syntax ("/containers/{id}/json"), its handler and the most body it reads.
type Route struct {
	Method  string
	Path    string
	Handler httputil.APIFunc
	// MaxBody caps the request body in bytes: 0 is DefaultMaxBody,
	// Unbounded leaves the body to the handler.
	MaxBody int64
}

// Body caps. dockerd has none; without them one request with a huge JSON
// body (a 300 MB Env) takes the daemon's memory and lands in
// container.json. The caps are far above what docker's clients send.
const (
	// DefaultMaxBody bounds the small JSON bodies: network, volume and
	// exec options, auth, connect.
	DefaultMaxBody = 1 << 20
	// ConfigMaxBody bounds a container configuration (create, update,
	// commit, exec create): more environment and arguments than the
	// kernel lets a process start with (ARG_MAX is 2 MiB with the usual
	// 8 MiB stack).
	ConfigMaxBody = 4 << 20
	// Unbounded is for streamed uploads (load, import, build context,
	// archive PUT): their readers bound what they keep.
	Unbounded = -1
)

// WithMaxBody returns the route with its body capped at n bytes (or
// Unbounded).
func (r Route) WithMaxBody(n int64) Route {
	r.MaxBody = n
	return r
}

// Get is a GET route.
func Get(path string, h httputil.APIFunc) Route {
	return Route{Method: http.MethodGet, Path: path, Handler: h}
}

// Head is a HEAD route.
func Head(path string, h httputil.APIFunc) Route {
	return Route{Method: http.MethodHead, Path: path, Handler: h}
}

// Post is a POST route.
func Post(path string, h httputil.APIFunc) Route {
	return Route{Method: http.MethodPost, Path: path, Handler: h}
}

// Put is a PUT route.
func Put(path string, h httputil.APIFunc) Route {
	return Route{Method: http.MethodPut, Path: path, Handler: h}
}

// Delete is a DELETE route.
func Delete(path string, h httputil.APIFunc) Route {
	return Route{Method: http.MethodDelete, Path: path, Handler: h}
}
