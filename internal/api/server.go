// Package api serves the Docker Engine REST API over the daemon's services.
//
// Every route is reachable both unversioned and under /v1.NN/; the version
// a client asked for travels in the request context. Handlers return
// errors; writeError turns an error's kind into docker's status and JSON.
package api

import (
	"log/slog"
	"net/http"
	"regexp"
	"strings"

	"github.com/moby/moby/client/pkg/versions"

	"github.com/wharf/wharf/internal/errs"
	"github.com/wharf/wharf/internal/version"
)

// Backends are the services the API is a front for.
type Backends struct {
	Containers ContainerBackend
	Images     ImageBackend
	System     SystemBackend
	Networks   NetworkBackend
	Volumes    VolumeBackend
	Events     EventsBackend
	Build      BuildBackend // nil: POST /build is refused
}

// Server is the Engine API's HTTP handler.
type Server struct {
	b   Backends
	log *slog.Logger
	mux *http.ServeMux
}

// handlerFunc is a route handler; a returned error is written as docker's error JSON.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// New returns the API handler over b.
func New(b Backends, log *slog.Logger) *Server {
	s := &Server{b: b, log: log, mux: http.NewServeMux()}
	s.systemRoutes()
	s.containerRoutes()
	s.archiveRoutes()
	s.systemDFRoutes()
	s.execRoutes()
	s.imageRoutes()
	s.networkRoutes()
	s.volumeRoutes()
	s.eventRoutes()
	s.buildRoutes()
	return s
}

// handle registers h for pattern ("METHOD /path/{var}").
func (s *Server) handle(pattern string, h handlerFunc) {
	s.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			s.writeError(w, r, err)
		}
	})
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
	if _, pattern := s.mux.Handler(r); pattern == "" {
		s.writeError(w, r, errs.NotFound("page not found"))
		return
	}
	s.log.Debug("api request", "method", r.Method, "path", r.URL.Path)
	// ServeHTTP (not the handler Handler returned) fills r.PathValue.
	s.mux.ServeHTTP(w, r)
}
