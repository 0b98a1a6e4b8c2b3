package volume

import (
	"net/http"

	"github.com/moby/moby/api/types/volume"

	"github.com/wharf/wharf/internal/api/compat"
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

// postVolumesPrune removes unused volumes: the anonymous ones, or all with
// the "all" filter, which clients before API 1.42 always get.
func (s *Router) postVolumesPrune(w http.ResponseWriter, r *http.Request) error {
	f, err := httputil.FiltersValue(r)
	if err != nil {
		return err
	}
	if compat.Before(r.Context(), compat.VolumePruneAnonymousOnly) {
		delete(f, "all")
		f.Add("all", "true")
	}
	report, err := s.backend.Prune(r.Context(), f)
	if err != nil {
		return err
	}
	return httputil.WriteJSON(w, http.StatusOK, report)
}
