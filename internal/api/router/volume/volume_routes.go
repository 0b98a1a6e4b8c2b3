package volume

import (
	"net/http"

	"github.com/moby/moby/api/types/volume"

	"github.com/wharf/wharf/internal/api/httputil"
)

func (s *Router) postVolumesCreate(w http.ResponseWriter, r *http.Request) error {
	var req volume.CreateRequest
	if err := httputil.ReadJSON(r, &req); err != nil {
		return err
	}
	v, err := s.backend.Create(r.Context(), req)
	if err != nil {
		return err
	}
	return httputil.WriteJSON(w, http.StatusCreated, v)
}

func (s *Router) getVolume(w http.ResponseWriter, r *http.Request) error {
	v, err := s.backend.Inspect(r.Context(), r.PathValue("name"))
	if err != nil {
		return err
	}
	return httputil.WriteJSON(w, http.StatusOK, v)
}

func (s *Router) deleteVolume(w http.ResponseWriter, r *http.Request) error {
	return httputil.NoContent(w, s.backend.Remove(r.Context(), r.PathValue("name"), httputil.BoolValue(r, "force")))
}
