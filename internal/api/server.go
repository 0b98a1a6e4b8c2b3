// Package api serves the Docker Engine REST API: the server checks the
// /vX.Y prefix, passes the version on in the request context
// (httputil.VersionFromContext) and writes a handler's error as docker's
// status and {"message"} JSON; the routes themselves come from one router
// per resource, each over a backend of small interfaces.
//
// Import graph (an arrow is "imports"; nothing points back up):
//
//	internal/daemon ─▶ api ─▶ api/router ─▶ api/httputil
//	       │
//	       ├─▶ api/router/{container,exec,image,network,volume,system,events,build,
//	       │               distribution,unsupported}
//	       │        each ─▶ api/router, api/httputil, api/backend, api/compat (the
//	       │        version gates); never a service
//	       │
//	       └─▶ the services (internal/container, image, network, volume, build,
//	           system, events), which implement the routers' backends; those
//	           that take the API's option types ─▶ api/backend
//
// api/backend and api/httputil import only docker's API types,
// internal/errs and internal/filters. api/apitest, for the routers' tests,
// serves routers through api.
//
// The composition root, internal/daemon, is the only place that hands a
// service to a router; a service missing a method the router's backend
// needs fails to compile there.
package api

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"regexp"
	"strings"

	"github.com/containerd/errdefs/pkg/errhttp"
	"github.com/moby/moby/client/pkg/versions"

	"github.com/wharf/wharf/internal/api/httputil"
	"github.com/wharf/wharf/internal/api/router"
	"github.com/wharf/wharf/internal/errs"
	"github.com/wharf/wharf/internal/version"
)

// MaxHeaderBytes bounds a request's header (the query string included),
// for http.Server: Go's default, said out loud. X-Registry-Config with
// every registry's credentials and a build's query of build args stay
// far below it.
const MaxHeaderBytes = 1 << 20

// Server is the Engine API's HTTP handler.
type Server struct {
	log *slog.Logger
	mux *http.ServeMux
}

// New returns the API handler serving the routes of routers. Two routes
// with the same method and path panic here, at start-up.
func New(log *slog.Logger, routers ...router.Router) *Server {
	s := &Server{log: log, mux: http.NewServeMux()}
	for _, rt := range routers {
		for _, route := range rt.Routes() {
			h, limit := route.Handler, route.MaxBody
			if limit == 0 {
				limit = router.DefaultMaxBody
			}
			s.mux.HandleFunc(route.Method+" "+route.Path, func(w http.ResponseWriter, r *http.Request) {
				if limit > 0 && r.Body != nil {
					r.Body = http.MaxBytesReader(w, r.Body, limit)
				}
				if err := h(w, r); err != nil {
					s.writeError(w, r, err)
				}
			})
		}
	}
	return s
}

var versionPrefix = regexp.MustCompile(`^/v([0-9]+\.[0-9]+)/`)

// ServeHTTP strips and checks the /vX.Y prefix, then dispatches.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Server", "Wharf/"+version.Version+" (linux)")
	w.Header().Set("Api-Version", version.APIVersion)
	w.Header().Set("Ostype", "linux")
	v := version.APIVersion
	if m := versionPrefix.FindStringSubmatch(r.URL.Path); m != nil {
		v = m[1]
		r.URL.Path = strings.TrimPrefix(r.URL.Path, "/v"+v)
		r.URL.RawPath = ""
		if versions.LessThan(v, version.MinAPIVersion) {
			s.writeError(w, r, errs.Invalid("client version %s is too old. Minimum supported API version is %s, please upgrade your client to a newer version", v, version.MinAPIVersion))
			return
		}
		if versions.GreaterThan(v, version.APIVersion) {
			s.writeError(w, r, errs.Invalid("client version %s is too new. Maximum supported API version is %s", v, version.APIVersion))
			return
		}
	}
	// "docker rm --link /parent/alias" asks for /containers//parent/alias:
	// the mux would redirect a path with "//", and clients turn a
	// redirected DELETE into a GET.
	for strings.Contains(r.URL.Path, "//") {
		r.URL.Path = strings.ReplaceAll(r.URL.Path, "//", "/")
		r.URL.RawPath = ""
	}
	if _, pattern := s.mux.Handler(r); pattern == "" {
		s.writeError(w, r, errs.NotFound("page not found"))
		return
	}
	s.log.Debug("api request", "method", r.Method, "path", r.URL.Path)
	// ServeHTTP (not the handler Handler returned) fills r.PathValue.
	s.mux.ServeHTTP(w, r.WithContext(httputil.WithVersion(r.Context(), v)))
}

// writeError writes docker's {"message": ...} error body. The docker CLI
// prints the raw body unless Content-Type is application/json.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	status := errhttp.ToHTTP(err)
	if tooLarge := (*http.MaxBytesError)(nil); errors.As(err, &tooLarge) {
		status = http.StatusRequestEntityTooLarge
	}
	if status == http.StatusInternalServerError {
		s.log.Error("api error", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"message": err.Error()})
}
