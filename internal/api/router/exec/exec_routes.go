package exec

import (
	"context"
	"fmt"
	"net/http"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client/pkg/versions"

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

// postExecStart starts an exec. As in dockerd, the start request's Tty,
// not the exec's, says whether the output is multiplexed: a client that
// created a TTY exec but starts it without Tty reads frames. A detached
// start answers at once with an empty body.
func (s *Router) postExecStart(w http.ResponseWriter, r *http.Request) error {
	var req container.ExecStartRequest
	if err := httputil.ReadJSON(r, &req); err != nil {
		return err
	}
	id := r.PathValue("id")
	if _, err := s.backend.ExecIsTTY(id); err != nil {
		return err
	}
	if !req.Tty || versions.LessThan(httputil.VersionFromContext(r.Context()), "1.42") {
		req.ConsoleSize = nil
	}
	if req.Detach {
		err := s.backend.ExecStart(r.Context(), id, backend.ExecStartOptions{Detach: true, ConsoleSize: req.ConsoleSize})
		if err != nil {
			return err
		}
		w.WriteHeader(http.StatusOK)
		return nil
	}
	conn, rw, stdout, stderr, err := httputil.HijackStreams(w, r, req.Tty)
	if err != nil {
		return err
	}
	defer conn.Close()
	err = s.backend.ExecStart(context.WithoutCancel(r.Context()), id, backend.ExecStartOptions{
		Stdin: rw.Reader, Stdout: stdout, Stderr: stderr, ConsoleSize: req.ConsoleSize,
	})
	if err != nil {
		// Headers are gone; the error travels on the stream, on stdout
		// as dockerd writes it.
		fmt.Fprintf(stdout, "%v\r\n", err)
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
