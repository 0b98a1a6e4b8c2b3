package container

import (
	"net/http"

	"github.com/moby/moby/api/types/container"

	"github.com/wharf/wharf/internal/api/backend"
	"github.com/wharf/wharf/internal/api/httputil"
)

// postCommit is POST /commit?container=: an image of the container.
func (s *Router) postCommit(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	var cfg container.Config
	if err := httputil.ReadJSON(r, &cfg); err != nil {
		return err
	}
	o := backend.ContainerCommitOptions{
		Repo:    q.Get("repo"),
		Tag:     q.Get("tag"),
		Comment: q.Get("comment"),
		Author:  q.Get("author"),
		Changes: q["changes"],
		// Containers are paused while committed unless asked not to.
		Pause:  q.Get("pause") == "" || httputil.BoolValue(r, "pause"),
		Config: &cfg,
	}
	id, err := s.backend.Commit(r.Context(), q.Get("container"), o)
	if err != nil {
		return err
	}
	return httputil.WriteJSON(w, http.StatusCreated, container.CommitResponse{ID: id})
}
