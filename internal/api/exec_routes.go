package api

import (
	"context"
	"net/http"

	"github.com/moby/moby/api/types/container"

	ctr "github.com/wharf/wharf/internal/container"
)

func (s *Server) execRoutes() {
	s.handle("POST /containers/{id}/exec", s.postContainerExec)
	s.handle("POST /exec/{id}/start", s.postExecStart)
	s.handle("POST /exec/{id}/resize", s.postExecResize)
	s.handle("GET /exec/{id}/json", s.getExecJSON)
}

func (s *Server) postContainerExec(w http.ResponseWriter, r *http.Request) error {
	var req container.ExecCreateRequest
	if err := readJSON(r, &req); err != nil {
		return err
	}
	id, err := s.b.Containers.ExecCreate(r.Context(), r.PathValue("id"), req)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, container.ExecCreateResponse{ID: id})
}

func (s *Server) postExecStart(w http.ResponseWriter, r *http.Request) error {
	var req container.ExecStartRequest
	if err := readJSON(r, &req); err != nil {
		return err
	}
	id := r.PathValue("id")
	tty, err := s.b.Containers.ExecIsTTY(id)
	if err != nil {
		return err
	}
	if req.Detach {
		err := s.b.Containers.ExecStart(r.Context(), id, ctr.ExecStartOptions{Detach: true, ConsoleSize: req.ConsoleSize})
		if err != nil {
			return err
		}
		return writeJSON(w, http.StatusOK, struct{}{})
	}
	conn, rw, stdout, stderr, err := hijackStreams(w, r, tty)
	if err != nil {
		return err
	}
	defer conn.Close()
	err = s.b.Containers.ExecStart(context.WithoutCancel(r.Context()), id, ctr.ExecStartOptions{
		Stdin: rw.Reader, Stdout: stdout, Stderr: stderr, ConsoleSize: req.ConsoleSize,
	})
	if err != nil {
		// Headers are gone; the error travels on the stream, as with dockerd.
		stderr.Write([]byte(err.Error() + "\n"))
	}
	return nil
}

func (s *Server) postExecResize(w http.ResponseWriter, r *http.Request) error {
	h, wd, err := terminalSize(r)
	if err != nil {
		return err
	}
	return s.b.Containers.ExecResize(r.Context(), r.PathValue("id"), h, wd)
}

func (s *Server) getExecJSON(w http.ResponseWriter, r *http.Request) error {
	resp, err := s.b.Containers.ExecInspect(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, resp)
}
