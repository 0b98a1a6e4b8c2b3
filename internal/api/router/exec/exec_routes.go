package exec

import (
	"context"
	"net/http"

	"github.com/moby/moby/api/types/container"

	"github.com/wharf/wharf/internal/api/backend"
	"github.com/wharf/wharf/internal/api/compat"
	"github.com/wharf/wharf/internal/api/httputil"
)

func (s *Router) postContainerExec(w http.ResponseWriter, r *http.Request) error {
	var req container.ExecCreateRequest
	if err := httputil.ReadJSON(r, &req); err != nil {
		return err
	}
	if compat.Before(r.Context(), compat.ExecConsoleSize) {
		req.ConsoleSize = nil
	}
	id, err := s.backend.ExecCreate(r.Context(), r.PathValue("id"), req)
	if err != nil {
		return err
	}
	return httputil.WriteJSON(w, http.StatusCreated, container.ExecCreateResponse{ID: id})
}

func (s *Router) postExecStart(w http.ResponseWriter, r *http.Request) error {
	var req container.ExecStartRequest
	if err := httputil.ReadJSON(r, &req); err != nil {
		return err
	}
	id := r.PathValue("id")
	tty, err := s.backend.ExecIsTTY(id)
	if err != nil {
		return err
	}
	if req.Detach {
		err := s.backend.ExecStart(r.Context(), id, backend.ExecStartOptions{Detach: true, ConsoleSize: req.ConsoleSize})
		if err != nil {
			return err
		}
		return httputil.WriteJSON(w, http.StatusOK, struct{}{})
	}
	conn, rw, stdout, stderr, err := httputil.HijackStreams(w, r, tty)
	if err != nil {
		return err
	}
	defer conn.Close()
	err = s.backend.ExecStart(context.WithoutCancel(r.Context()), id, backend.ExecStartOptions{
		Stdin: rw.Reader, Stdout: stdout, Stderr: stderr, ConsoleSize: req.ConsoleSize,
	})
	if err != nil {
		// Headers are gone; the error travels on the stream, as with dockerd.
		stderr.Write([]byte(err.Error() + "\n"))
	}
	return nil
}

func (s *Router) postExecResize(w http.ResponseWriter, r *http.Request) error {
	h, wd, err := httputil.TerminalSize(r)
	if err != nil {
		return err
	}
	return s.backend.ExecResize(r.Context(), r.PathValue("id"), h, wd)
}

func (s *Router) getExecJSON(w http.ResponseWriter, r *http.Request) error {
	resp, err := s.backend.ExecInspect(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	return httputil.WriteJSON(w, http.StatusOK, resp)
}
