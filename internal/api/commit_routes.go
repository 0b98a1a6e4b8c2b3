package api

import (
	"context"
	"net/http"

	"github.com/moby/moby/api/types/container"

	ctr "github.com/wharf/wharf/internal/container"
)

// CommitBackend is what POST /commit needs; the container backend provides it.
type CommitBackend interface {
	Commit(ctx context.Context, ref string, o ctr.CommitOptions) (string, error)
}

func (s *Server) commitRoutes() {
	b, ok := s.b.Containers.(CommitBackend)
	if !ok {
		return
	}
	s.handle("POST /commit", func(w http.ResponseWriter, r *http.Request) error {
		q := r.URL.Query()
		var cfg container.Config
		if err := readJSON(r, &cfg); err != nil {
			return err
		}
		o := ctr.CommitOptions{
			Repo:    q.Get("repo"),
			Tag:     q.Get("tag"),
			Comment: q.Get("comment"),
			Author:  q.Get("author"),
			Changes: q["changes"],
			// Containers are paused while committed unless asked not to.
			Pause:  q.Get("pause") == "" || boolValue(r, "pause"),
			Config: &cfg,
		}
		id, err := b.Commit(r.Context(), q.Get("container"), o)
		if err != nil {
			return err
		}
		return writeJSON(w, http.StatusCreated, container.CommitResponse{ID: id})
	})
}
