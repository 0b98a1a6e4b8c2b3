package api

import (
	"context"
	"net/http"

	"github.com/moby/moby/api/types/volume"

	"github.com/wharf/wharf/internal/filters"
)

// VolumeBackend is what the volume routes need.
type VolumeBackend interface {
	Create(ctx context.Context, req volume.CreateRequest) (volume.Volume, error)
	Inspect(ctx context.Context, name string) (volume.Volume, error)
	List(ctx context.Context, f filters.Args) (volume.ListResponse, error)
	Remove(ctx context.Context, name string, force bool) error
	Prune(ctx context.Context, f filters.Args) (volume.PruneReport, error)
}

func (s *Server) volumeRoutes() {
	if s.b.Volumes == nil {
		return
	}
	s.handle("GET /volumes", s.getVolumes)
	s.handle("POST /volumes/create", s.postVolumesCreate)
	s.handle("POST /volumes/prune", s.postVolumesPrune)
	s.handle("GET /volumes/{name}", s.getVolume)
	s.handle("DELETE /volumes/{name}", s.deleteVolume)
}

func (s *Server) getVolumes(w http.ResponseWriter, r *http.Request) error {
	f, err := filtersValue(r)
	if err != nil {
		return err
	}
	resp, err := s.b.Volumes.List(r.Context(), f)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, resp)
}

func (s *Server) postVolumesCreate(w http.ResponseWriter, r *http.Request) error {
	var req volume.CreateRequest
	if err := readJSON(r, &req); err != nil {
		return err
	}
	v, err := s.b.Volumes.Create(r.Context(), req)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, v)
}

func (s *Server) getVolume(w http.ResponseWriter, r *http.Request) error {
	v, err := s.b.Volumes.Inspect(r.Context(), r.PathValue("name"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, v)
}

func (s *Server) deleteVolume(w http.ResponseWriter, r *http.Request) error {
	if err := s.b.Volumes.Remove(r.Context(), r.PathValue("name"), boolValue(r, "force")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) postVolumesPrune(w http.ResponseWriter, r *http.Request) error {
	f, err := filtersValue(r)
	if err != nil {
		return err
	}
	rep, err := s.b.Volumes.Prune(r.Context(), f)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, rep)
}
