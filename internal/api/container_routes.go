package api

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/container"
	apinetwork "github.com/moby/moby/api/types/network"

	ctr "github.com/wharf/wharf/internal/container"
	"github.com/wharf/wharf/internal/errs"
)

// ContainerBackend is what the container and exec routes need.
type ContainerBackend interface {
	Create(ctx context.Context, o ctr.CreateOptions) (container.CreateResponse, error)
	Start(ctx context.Context, ref string) error
	Stop(ctx context.Context, ref string, o ctr.StopOptions) error
	Restart(ctx context.Context, ref string, o ctr.StopOptions) error
	Kill(ctx context.Context, ref, signal string) error
	Remove(ctx context.Context, ref string, o ctr.RemoveOptions) error
	List(ctx context.Context, o ctr.ListOptions) ([]container.Summary, error)
	Inspect(ctx context.Context, ref string, size bool) (container.InspectResponse, error)
	Wait(ctx context.Context, ref string, condition container.WaitCondition) (<-chan ctr.WaitResult, error)
	Logs(ctx context.Context, ref string, stdout, stderr io.Writer, o ctr.LogsOptions) (bool, error)
	IsTTY(ref string) (bool, error)
	LogsTTY(ref string) (bool, error)
	Attach(ctx context.Context, ref string, o ctr.AttachOptions) error
	Resize(ctx context.Context, ref string, height, width uint) error
	Rename(ctx context.Context, ref, name string) error
	Top(ctx context.Context, ref, psArgs string) (container.TopResponse, error)
	Pause(ctx context.Context, ref string) error
	Unpause(ctx context.Context, ref string) error
	Update(ctx context.Context, ref string, u container.UpdateConfig) (container.UpdateResponse, error)
	Stats(ctx context.Context, ref string, o ctr.StatsOptions, out func(container.StatsResponse) error) error
	ConnectNetwork(ctx context.Context, ref, network string, es *apinetwork.EndpointSettings) error
	DisconnectNetwork(ctx context.Context, ref, network string, force bool) error

	ExecCreate(ctx context.Context, ref string, cfg container.ExecCreateRequest) (string, error)
	ExecStart(ctx context.Context, id string, o ctr.ExecStartOptions) error
	ExecInspect(ctx context.Context, id string) (container.ExecInspectResponse, error)
	ExecIsTTY(id string) (bool, error)
	ExecResize(ctx context.Context, id string, height, width uint) error
}

func (s *Server) containerRoutes() {
	s.handle("POST /containers/create", s.postContainersCreate)
	s.handle("GET /containers/json", s.getContainersJSON)
	s.handle("GET /containers/{id}/json", s.getContainerJSON)
	s.handle("POST /containers/{id}/start", s.postContainerStart)
	s.handle("POST /containers/{id}/stop", s.postContainerStop)
	s.handle("POST /containers/{id}/restart", s.postContainerRestart)
	s.handle("POST /containers/{id}/kill", s.postContainerKill)
	s.handle("DELETE /containers/{id}", s.deleteContainer)
	s.handle("POST /containers/{id}/wait", s.postContainerWait)
	s.handle("GET /containers/{id}/logs", s.getContainerLogs)
	s.handle("POST /containers/{id}/attach", s.postContainerAttach)
	s.handle("POST /containers/{id}/resize", s.postContainerResize)
	s.handle("POST /containers/{id}/rename", s.postContainerRename)
	s.handle("GET /containers/{id}/top", s.getContainerTop)
	s.handle("POST /containers/{id}/pause", s.postContainerPause)
	s.handle("POST /containers/{id}/unpause", s.postContainerUnpause)
	s.handle("POST /containers/{id}/update", s.postContainerUpdate)
	s.handle("GET /containers/{id}/stats", s.getContainerStats)
}

// createRequest is the body of POST /containers/create.
type createRequest struct {
	container.Config
	HostConfig       *container.HostConfig
	NetworkingConfig *ctr.NetworkingConfig
}

func (s *Server) postContainersCreate(w http.ResponseWriter, r *http.Request) error {
	var req createRequest
	if err := readJSON(r, &req); err != nil {
		return err
	}
	resp, err := s.b.Containers.Create(r.Context(), ctr.CreateOptions{
		Name: r.URL.Query().Get("name"), Config: &req.Config, HostConfig: req.HostConfig,
		NetworkingConfig: req.NetworkingConfig,
	})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, resp)
}

func (s *Server) getContainersJSON(w http.ResponseWriter, r *http.Request) error {
	f, err := filtersValue(r)
	if err != nil {
		return err
	}
	limit, err := intValue(r, "limit", 0)
	if err != nil {
		return err
	}
	list, err := s.b.Containers.List(r.Context(), ctr.ListOptions{
		All: boolValue(r, "all"), Limit: limit, Size: boolValue(r, "size"), Filters: f,
	})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, list)
}

func (s *Server) getContainerJSON(w http.ResponseWriter, r *http.Request) error {
	resp, err := s.b.Containers.Inspect(r.Context(), r.PathValue("id"), boolValue(r, "size"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, withLegacyNetwork(r, resp))
}

func (s *Server) postContainerStart(w http.ResponseWriter, r *http.Request) error {
	if err := s.b.Containers.Start(r.Context(), r.PathValue("id")); err != nil {
		if errdefs.IsNotModified(err) {
			w.WriteHeader(http.StatusNotModified)
			return nil
		}
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// stopOptions reads "signal" and "t"/"timeout" (the latter since API 1.42).
func stopOptions(r *http.Request) (ctr.StopOptions, error) {
	o := ctr.StopOptions{Signal: r.URL.Query().Get("signal")}
	for _, k := range []string{"t", "timeout"} {
		if v := r.URL.Query().Get(k); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil {
				return o, errs.Invalid("invalid value for %s: %q", k, v)
			}
			o.Timeout = &n
		}
	}
	return o, nil
}

func (s *Server) postContainerStop(w http.ResponseWriter, r *http.Request) error {
	o, err := stopOptions(r)
	if err != nil {
		return err
	}
	if err := s.b.Containers.Stop(r.Context(), r.PathValue("id"), o); err != nil {
		if errdefs.IsNotModified(err) {
			w.WriteHeader(http.StatusNotModified)
			return nil
		}
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) postContainerRestart(w http.ResponseWriter, r *http.Request) error {
	o, err := stopOptions(r)
	if err != nil {
		return err
	}
	if err := s.b.Containers.Restart(r.Context(), r.PathValue("id"), o); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) postContainerKill(w http.ResponseWriter, r *http.Request) error {
	if err := s.b.Containers.Kill(r.Context(), r.PathValue("id"), r.URL.Query().Get("signal")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) deleteContainer(w http.ResponseWriter, r *http.Request) error {
	err := s.b.Containers.Remove(r.Context(), r.PathValue("id"), ctr.RemoveOptions{
		Force: boolValue(r, "force"), RemoveVolumes: boolValue(r, "v"),
	})
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// postContainerWait sends its headers at once, so the client knows the
// wait is in place, and the status once the condition holds.
func (s *Server) postContainerWait(w http.ResponseWriter, r *http.Request) error {
	ch, err := s.b.Containers.Wait(r.Context(), r.PathValue("id"), container.WaitCondition(r.URL.Query().Get("condition")))
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	if f, ok := w.(http.Flusher); ok {
		f.Flush()
	}
	res := <-ch
	resp := container.WaitResponse{StatusCode: res.StatusCode}
	if res.Err != nil {
		resp.Error = &container.WaitExitError{Message: res.Err.Error()}
	}
	return writeBody(w, resp)
}

func (s *Server) getContainerLogs(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	o := ctr.LogsOptions{
		Stdout: boolValue(r, "stdout"), Stderr: boolValue(r, "stderr"),
		Timestamps: boolValue(r, "timestamps"), Follow: boolValue(r, "follow"),
		Tail: ctr.ParseTail(q.Get("tail")),
	}
	if !o.Stdout && !o.Stderr {
		return errs.Invalid("Bad parameters: you must choose at least one stream")
	}
	var err error
	if o.Since, err = parseUnixTime(q.Get("since")); err != nil {
		return err
	}
	if o.Until, err = parseUnixTime(q.Get("until")); err != nil {
		return err
	}
	id := r.PathValue("id")
	tty, err := s.b.Containers.LogsTTY(id)
	if err != nil {
		return err
	}
	stdout, stderr, contentType := streamWriters(w, tty)
	w.Header().Set("Content-Type", contentType)
	w.WriteHeader(http.StatusOK)
	_, err = s.b.Containers.Logs(r.Context(), id, stdout, stderr, o)
	if err != nil {
		s.log.Debug("logs", "id", id, "err", err)
	}
	return nil
}

// hijackStreams takes over the connection for a container's or exec's
// stdio and returns the writers for its stdout and stderr (see
// streamWriters) and the reader for the client's stdin.
func hijackStreams(w http.ResponseWriter, r *http.Request, tty bool) (net.Conn, *bufio.ReadWriter, io.Writer, io.Writer, error) {
	contentType := "application/vnd.docker.multiplexed-stream"
	if tty {
		contentType = "application/vnd.docker.raw-stream"
	}
	conn, rw, err := hijack(w, r, contentType)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	stdout, stderr, _ := streamWriters(conn, tty)
	return conn, rw, stdout, stderr, nil
}

// streamWriters returns the writers for a container's stdout and stderr:
// raw for a TTY, multiplexed (docker's stdcopy framing) otherwise. Each
// write is flushed so followers see output at once.
func streamWriters(w io.Writer, tty bool) (stdout, stderr io.Writer, contentType string) {
	fw := &flushWriter{w: w}
	if tty {
		return fw, fw, "application/vnd.docker.raw-stream"
	}
	stdout, stderr = newMuxWriters(fw)
	return stdout, stderr, "application/vnd.docker.multiplexed-stream"
}

type flushWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (f *flushWriter) Write(p []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	n, err := f.w.Write(p)
	if fl, ok := f.w.(http.Flusher); ok {
		fl.Flush()
	}
	return n, err
}

// parseUnixTime reads docker's "seconds[.nanoseconds]" timestamps.
func parseUnixTime(v string) (time.Time, error) {
	if v == "" || v == "0" {
		return time.Time{}, nil
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil {
		return time.Time{}, errs.Invalid("invalid timestamp %q", v)
	}
	sec := int64(f)
	return time.Unix(sec, int64((f-float64(sec))*1e9)), nil
}

func (s *Server) postContainerAttach(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	tty, err := s.b.Containers.IsTTY(id)
	if err != nil {
		return err
	}
	keys, err := detachKeys(r.URL.Query().Get("detachKeys"))
	if err != nil {
		return err
	}
	conn, rw, stdout, stderr, err := hijackStreams(w, r, tty)
	if err != nil {
		return err
	}
	defer conn.Close()
	o := ctr.AttachOptions{Logs: boolValue(r, "logs"), Stream: boolValue(r, "stream"), DetachKeys: keys}
	if boolValue(r, "stdin") {
		o.Stdin = rw.Reader
	}
	if boolValue(r, "stdout") {
		o.Stdout = stdout
	}
	if boolValue(r, "stderr") {
		o.Stderr = stderr
	}
	// The client's connection outlives the request context once hijacked.
	err = s.b.Containers.Attach(context.WithoutCancel(r.Context()), id, o)
	if err != nil && !errors.Is(err, ctr.ErrDetached) {
		// The client learns of a failed start from the start request itself.
		s.log.Debug("attach", "id", id, "err", err)
	}
	return nil
}

func (s *Server) postContainerResize(w http.ResponseWriter, r *http.Request) error {
	h, wd, err := terminalSize(r)
	if err != nil {
		return err
	}
	return s.b.Containers.Resize(r.Context(), r.PathValue("id"), h, wd)
}

// terminalSize reads the "h" and "w" parameters of a resize request.
func terminalSize(r *http.Request) (height, width uint, err error) {
	h, err := intValue(r, "h", 0)
	if err != nil {
		return 0, 0, err
	}
	wd, err := intValue(r, "w", 0)
	if err != nil {
		return 0, 0, err
	}
	if h < 0 || wd < 0 {
		return 0, 0, errs.Invalid("invalid terminal size")
	}
	return uint(h), uint(wd), nil
}

func (s *Server) postContainerRename(w http.ResponseWriter, r *http.Request) error {
	if err := s.b.Containers.Rename(r.Context(), r.PathValue("id"), r.URL.Query().Get("name")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) getContainerTop(w http.ResponseWriter, r *http.Request) error {
	resp, err := s.b.Containers.Top(r.Context(), r.PathValue("id"), r.URL.Query().Get("ps_args"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, resp)
}

func (s *Server) postContainerPause(w http.ResponseWriter, r *http.Request) error {
	if err := s.b.Containers.Pause(r.Context(), r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) postContainerUnpause(w http.ResponseWriter, r *http.Request) error {
	if err := s.b.Containers.Unpause(r.Context(), r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// detachKeys parses docker's detach key notation ("ctrl-p,ctrl-q", "a,b").
func detachKeys(spec string) ([]byte, error) {
	if spec == "" {
		return []byte{16, 17}, nil
	}
	var keys []byte
	for _, k := range strings.Split(spec, ",") {
		switch {
		case len(k) == 1:
			keys = append(keys, k[0])
		case len(k) == 6 && k[:5] == "ctrl-":
			c := k[5]
			switch {
			case c >= 'a' && c <= 'z':
				keys = append(keys, c-'a'+1)
			case c == '@':
				keys = append(keys, 0)
			case c >= '[' && c <= '_':
				keys = append(keys, c-'['+27)
			default:
				return nil, errs.Invalid("Invalid escape keys (%s) provided", spec)
			}
		default:
			return nil, errs.Invalid("Invalid escape keys (%s) provided", spec)
		}
	}
	return keys, nil
}
