package system

import (
	"net/http"

	"github.com/wharf/wharf/internal/api/compat"
	"github.com/wharf/wharf/internal/api/httputil"
)

func (s *Router) getVersion(w http.ResponseWriter, r *http.Request) error {
	v, err := s.backend.Version(r.Context())
	if err != nil {
		return err
	}
	return httputil.WriteJSON(w, http.StatusOK, v)
}

func (s *Router) getInfo(w http.ResponseWriter, r *http.Request) error {
	info, err := s.backend.Info(r.Context())
	if err != nil {
		return err
	}
	return compat.WriteJSON(w, r, http.StatusOK, compat.SystemInfo, info)
}

// ping answers the docker CLI's first request; it reads the API version
// and OS type from the headers (set for every response by the server).
func (s *Router) ping(w http.ResponseWriter, r *http.Request) error {
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
