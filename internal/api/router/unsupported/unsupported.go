// Package unsupported is the router of the routes dockerd has for
// features Wharf does not have: plugins, checkpoints, BuildKit's session
// and gRPC endpoints, build cancellation, cluster volumes and CORS
// preflight. Each answers as dockerd answers when the feature is off or
// holds nothing (no plugins installed, experimental mode off, no swarm),
// so clients get docker's status and words, never a bare 404 "page not
// found" that SDKs take for a broken daemon.
package unsupported

import (
	"errors"
	"net/http"

	"github.com/containerd/errdefs"

	"github.com/wharf/wharf/internal/api/router"
	"github.com/wharf/wharf/internal/errs"
)

// Router serves the routes; it has no backend.
type Router struct{}

// NewRouter returns the router.
func NewRouter() *Router { return &Router{} }

// Routes implements router.Router.
func (Router) Routes() []router.Route {
	return []router.Route{
		// Plugin names have slashes ("vieux/sshfs:latest"): one route per
		// method, the action split off the end, as for images.
		router.Get("/plugins", listPlugins),
		router.Get("/plugins/privileges", pluginPrivileges),
		router.Post("/plugins/pull", pluginFromRegistry),
		router.Post("/plugins/create", pluginCreate),
		router.Get("/plugins/{rest...}", pluginGet),
		router.Post("/plugins/{rest...}", pluginPost),
		router.Delete("/plugins/{rest...}", pluginDelete),

		router.Get("/containers/{id}/checkpoints", experimental),
		router.Post("/containers/{id}/checkpoints", experimental),
		router.Delete("/containers/{id}/checkpoints/{checkpoint}", experimental),

		router.Post("/session", buildkitUpgrade),
		router.Post("/grpc", buildkitUpgrade),
		router.Post("/build/cancel", buildCancel),

		router.Put("/volumes/{name}", clusterVolumeUpdate),

		{Method: http.MethodOptions, Path: "/", Handler: preflight},
	}
}

// experimental answers dockerd's routes that exist only in experimental
// mode, as dockerd does with the mode off (its default).
func experimental(w http.ResponseWriter, r *http.Request) error {
	//lint:ignore ST1005 dockerd's words, which clients match
	return errs.Wrap(errdefs.ErrNotImplemented, errors.New("This experimental feature is disabled by default. Start the Docker daemon in experimental mode in order to enable it."))
}

// buildkitUpgrade answers POST /session and /grpc, which upgrade the
// connection to HTTP/2 for BuildKit. Requests that are not an h2c
// upgrade get dockerd's own errors; an upgrade is refused, since wharfd
// builds with the classic builder (its /_ping says Builder-Version 1).
func buildkitUpgrade(w http.ResponseWriter, r *http.Request) error {
	switch proto := r.Header.Get("Upgrade"); proto {
	case "":
		return errs.Invalid("no upgrade proto in request")
	case "h2c":
		return errs.Wrap(errdefs.ErrNotImplemented, errors.New("BuildKit is not supported by this daemon: build with the classic builder (DOCKER_BUILDKIT=0)"))
	default:
		return errs.Invalid("protocol %s not supported", proto)
	}
}

// buildCancel is POST /build/cancel?id=: BuildKit cancels the build with
// that ID and answers 200 whether or not it knew it. Wharf's classic
// builds are cancelled by closing their request, so there is nothing to
// cancel by ID.
func buildCancel(w http.ResponseWriter, r *http.Request) error {
	if r.URL.Query().Get("id") == "" {
		return errs.Invalid("build ID not provided")
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

// clusterVolumeUpdate is PUT /volumes/{name}, for swarm's cluster volumes.
func clusterVolumeUpdate(w http.ResponseWriter, r *http.Request) error {
	return errs.Wrap(errdefs.ErrUnavailable, errors.New("volume update only valid for cluster volumes, but swarm is unavailable"))
}

// preflight answers CORS preflight (OPTIONS on any path) as dockerd: 200.
func preflight(w http.ResponseWriter, r *http.Request) error {
	w.WriteHeader(http.StatusOK)
	return nil
}
