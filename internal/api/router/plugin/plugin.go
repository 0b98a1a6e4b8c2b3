// Package plugin is the router of /plugins: wharfd has no managed
// plugins, so the list is empty and everything else answers dockerd's
// error for a platform without plugins (501), never a bare 404.
package plugin

import (
	"errors"
	"net/http"

	"github.com/containerd/errdefs"

	"github.com/wharf/wharf/internal/api/httputil"
	"github.com/wharf/wharf/internal/api/router"
	"github.com/wharf/wharf/internal/errs"
)

// errNotSupported is dockerd's words where plugins are not supported.
var errNotSupported = errs.Wrap(errdefs.ErrNotImplemented, errors.New("plugins are not supported on this platform"))

// Router serves the plugin routes.
type Router struct{}

// NewRouter returns the plugin router.
func NewRouter() *Router { return &Router{} }

// Routes implements router.Router.
func (Router) Routes() []router.Route {
	return []router.Route{
		router.Get("/plugins", list),
		router.Get("/plugins/privileges", unsupported),
		router.Post("/plugins/pull", unsupported),
		router.Post("/plugins/create", unsupported),
		router.Get("/plugins/{name...}", unsupported),
		router.Post("/plugins/{name...}", unsupported),
		router.Delete("/plugins/{name...}", unsupported),
	}
}

// list answers GET /plugins: there are none.
func list(w http.ResponseWriter, r *http.Request) error {
	return httputil.WriteJSON(w, http.StatusOK, []struct{}{})
}

func unsupported(http.ResponseWriter, *http.Request) error { return errNotSupported }
