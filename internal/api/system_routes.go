package api

import (
	"context"
	"net/http"

	"github.com/moby/moby/api/types/system"
)

// SystemBackend answers /info and /version.
type SystemBackend interface {
	Info(ctx context.Context) (system.Info, error)
	Version(ctx context.Context) (system.VersionResponse, error)
}

func (s *Server) systemRoutes() {
	s.handle("GET /_ping", s.ping)
	s.handle("HEAD /_ping", s.ping)
	s.handle("GET /version", func(w http.ResponseWriter, r *http.Request) error {
		v, err := s.b.System.Version(r.Context())
		if err != nil {
			return err
		}
		return writeJSON(w, http.StatusOK, v)
	})
	s.handle("GET /info", func(w http.ResponseWriter, r *http.Request) error {
		info, err := s.b.System.Info(r.Context())
		if err != nil {
			return err
		}
		return writeJSON(w, http.StatusOK, info)
	})
}

// ping answers the docker CLI's first request; it reads the API version
// and OS type from the headers (set for every response in ServeHTTP).
func (s *Server) ping(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Cache-Control", "no-cache, no-store, must-revalidate")
	w.Header().Set("Pragma", "no-cache")
	w.Header().Set("Docker-Experimental", "false")
	w.Header().Set("Builder-Version", "1")
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if r.Method == http.MethodHead {
		w.Header().Set("Content-Length", "0")
		return nil
	}
	_, err := w.Write([]byte("OK"))
	return err
}
