package container

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"

	"github.com/moby/moby/api/types/container"

	"github.com/wharf/wharf/internal/api/backend"
	"github.com/wharf/wharf/internal/api/httputil"
	"github.com/wharf/wharf/internal/errs"
)

// headContainerArchive is HEAD /containers/{id}/archive: a path's stat, in a header.
func (s *Router) headContainerArchive(w http.ResponseWriter, r *http.Request) error {
	path, err := archivePathParam(r)
	if err != nil {
		return err
	}
	st, err := s.backend.StatPath(r.Context(), r.PathValue("id"), path)
	if err != nil {
		return err
	}
	if err := setPathStat(w, st); err != nil {
		return err
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

// getContainerArchive is GET /containers/{id}/archive: a path as a tar.
func (s *Router) getContainerArchive(w http.ResponseWriter, r *http.Request) error {
	path, err := archivePathParam(r)
	if err != nil {
		return err
	}
	rc, st, err := s.backend.ArchivePath(r.Context(), r.PathValue("id"), path)
	if err != nil {
		return err
	}
	defer rc.Close()
	if err := setPathStat(w, st); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/x-tar")
	w.WriteHeader(http.StatusOK)
	_, err = io.Copy(w, rc)
	if err != nil {
		s.log.Debug("archive stream", "err", err)
	}
	return nil
}

// putContainerArchive is PUT /containers/{id}/archive: a tar extracted at a path.
func (s *Router) putContainerArchive(w http.ResponseWriter, r *http.Request) error {
	path, err := archivePathParam(r)
	if err != nil {
		return err
	}
	o := backend.ContainerExtractOptions{
		NoOverwriteDirNonDir: httputil.BoolValue(r, "noOverwriteDirNonDir"),
		CopyUIDGID:           httputil.BoolValue(r, "copyUIDGID"),
	}
	if err := s.backend.ExtractToDir(r.Context(), r.PathValue("id"), path, r.Body, o); err != nil {
		return err
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

// getContainerChanges is GET /containers/{id}/changes (docker diff).
func (s *Router) getContainerChanges(w http.ResponseWriter, r *http.Request) error {
	changes, err := s.backend.Changes(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	return httputil.WriteJSON(w, http.StatusOK, changes)
}

// getContainerExport is GET /containers/{id}/export: the root file system as a tar.
func (s *Router) getContainerExport(w http.ResponseWriter, r *http.Request) error {
	rc, err := s.backend.Export(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	defer rc.Close()
	w.Header().Set("Content-Type", "application/x-tar")
	w.WriteHeader(http.StatusOK)
	if _, err := io.Copy(w, rc); err != nil {
		s.log.Debug("export stream", "err", err)
	}
	return nil
}

func archivePathParam(r *http.Request) (string, error) {
	p := r.URL.Query().Get("path")
	if p == "" {
		return "", errs.Invalid("bad parameter: path cannot be empty")
	}
	return p, nil
}

// setPathStat sets the X-Docker-Container-Path-Stat header: the
// base64-encoded JSON of st.
func setPathStat(w http.ResponseWriter, st container.PathStat) error {
	data, err := json.Marshal(st)
	if err != nil {
		return err
	}
	w.Header().Set("X-Docker-Container-Path-Stat", base64.StdEncoding.EncodeToString(data))
	return nil
}
