package api

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"

	"github.com/moby/moby/api/types/container"

	ctr "github.com/wharf/wharf/internal/container"
	"github.com/wharf/wharf/internal/errs"
)

// ArchiveBackend is what the archive routes (docker cp), diff and export need; the
// container backend provides it.
type ArchiveBackend interface {
	StatPath(ctx context.Context, ref, path string) (container.PathStat, error)
	ArchivePath(ctx context.Context, ref, path string) (io.ReadCloser, container.PathStat, error)
	ExtractToDir(ctx context.Context, ref, path string, content io.Reader, o ctr.ExtractOptions) error
	Changes(ctx context.Context, ref string) ([]container.FilesystemChange, error)
	Export(ctx context.Context, ref string) (io.ReadCloser, error)
}

func (s *Server) archiveRoutes() {
	s.commitRoutes()
	b, ok := s.b.Containers.(ArchiveBackend)
	if !ok {
		return
	}
	s.containerFSRoutes(b)
	s.handle("HEAD /containers/{id}/archive", func(w http.ResponseWriter, r *http.Request) error {
		path, err := archivePathParam(r)
		if err != nil {
			return err
		}
		st, err := b.StatPath(r.Context(), r.PathValue("id"), path)
		if err != nil {
			return err
		}
		if err := setPathStat(w, st); err != nil {
			return err
		}
		w.WriteHeader(http.StatusOK)
		return nil
	})
	s.handle("GET /containers/{id}/archive", func(w http.ResponseWriter, r *http.Request) error {
		path, err := archivePathParam(r)
		if err != nil {
			return err
		}
		rc, st, err := b.ArchivePath(r.Context(), r.PathValue("id"), path)
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
	})
	s.handle("PUT /containers/{id}/archive", func(w http.ResponseWriter, r *http.Request) error {
		path, err := archivePathParam(r)
		if err != nil {
			return err
		}
		o := ctr.ExtractOptions{
			NoOverwriteDirNonDir: boolValue(r, "noOverwriteDirNonDir"),
			CopyUIDGID:           boolValue(r, "copyUIDGID"),
		}
		if err := b.ExtractToDir(r.Context(), r.PathValue("id"), path, r.Body, o); err != nil {
			return err
		}
		w.WriteHeader(http.StatusOK)
		return nil
	})
}

func (s *Server) containerFSRoutes(b ArchiveBackend) {
	s.handle("GET /containers/{id}/changes", func(w http.ResponseWriter, r *http.Request) error {
		changes, err := b.Changes(r.Context(), r.PathValue("id"))
		if err != nil {
			return err
		}
		return writeJSON(w, http.StatusOK, changes)
	})
	s.handle("GET /containers/{id}/export", func(w http.ResponseWriter, r *http.Request) error {
		rc, err := b.Export(r.Context(), r.PathValue("id"))
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
	})
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
