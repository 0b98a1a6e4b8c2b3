package container

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"

	"github.com/wharf/wharf/internal/api/backend"
	"github.com/wharf/wharf/internal/api/compat"
	"github.com/wharf/wharf/internal/api/httputil"
	"github.com/wharf/wharf/internal/errs"
)

// createRequest is the body of POST /containers/create.
type createRequest struct {
	container.Config
	HostConfig       *container.HostConfig
	NetworkingConfig *network.NetworkingConfig
	// MacAddress is the container-wide address of clients before API
	// 1.52 (see createForVersion).
	MacAddress network.HardwareAddr `json:",omitempty"`
	// *TopLevelHostConfig reads host settings sent beside Config instead
	// of in HostConfig, as moby's ContainerConfigWrapper still does:
	// python3-docker's create_container(runtime=...) sends Runtime there.
	*TopLevelHostConfig
}

// TopLevelHostConfig is a HostConfig whose fields sit at the top of the
// create body.
type TopLevelHostConfig container.HostConfig

// hostConfig is the request's HostConfig by moby's rule (getHostConfig):
// the top-level one when HostConfig is absent; else HostConfig, with the
// memory and CPU settings of the top level where it leaves them zero.
func (req *createRequest) hostConfig() *container.HostConfig {
	top := (*container.HostConfig)(req.TopLevelHostConfig)
	switch hc := req.HostConfig; {
	case top == nil:
		return hc
	case hc == nil:
		return top
	default:
		if hc.Memory == 0 {
			hc.Memory = top.Memory
		}
		if hc.MemorySwap == 0 {
			hc.MemorySwap = top.MemorySwap
		}
		if hc.CPUShares == 0 {
			hc.CPUShares = top.CPUShares
		}
		if hc.CpusetCpus == "" {
			hc.CpusetCpus = top.CpusetCpus
		}
		return hc
	}
}

func (s *Router) postContainersCreate(w http.ResponseWriter, r *http.Request) error {
	var req createRequest
	if err := httputil.ReadJSON(r, &req); err != nil {
		return err
	}
	req.HostConfig = req.hostConfig()
	warnings, err := createForVersion(r.Context(), &req)
	if err != nil {
		return err
	}
	platform, err := createPlatform(r)
	if err != nil {
		return err
	}
	resp, err := s.backend.Create(r.Context(), backend.ContainerCreateOptions{
		Name: r.URL.Query().Get("name"), Config: &req.Config, HostConfig: req.HostConfig,
		NetworkingConfig: req.NetworkingConfig, Platform: platform,
	})
	if err != nil {
		return err
	}
	resp.Warnings = append(resp.Warnings, warnings...)
	return httputil.WriteJSON(w, http.StatusCreated, resp)
}

func (s *Router) getContainersJSON(w http.ResponseWriter, r *http.Request) error {
	f, err := httputil.FiltersValue(r)
	if err != nil {
		return err
	}
	limit, err := httputil.IntValue(r, "limit", 0)
	if err != nil {
		return err
	}
	list, err := s.backend.List(r.Context(), backend.ContainerListOptions{
		All: httputil.BoolValue(r, "all"), Limit: limit, Size: httputil.BoolValue(r, "size"), Filters: f,
	})
	if err != nil {
		return err
	}
	return compat.WriteJSON(w, r, http.StatusOK, compat.ContainerList, list)
}

func (s *Router) getContainerJSON(w http.ResponseWriter, r *http.Request) error {
	resp, err := s.backend.Inspect(r.Context(), r.PathValue("id"), httputil.BoolValue(r, "size"))
	if err != nil {
		return err
	}
	return compat.WriteJSON(w, r, http.StatusOK, compat.ContainerInspect, resp)
}

func (s *Router) postContainerStart(w http.ResponseWriter, r *http.Request) error {
	return stateChanged(w, s.backend.Start(r.Context(), r.PathValue("id")))
}

// stateChanged answers a start or stop: 204, or 304 when the container
// already was as asked.
func stateChanged(w http.ResponseWriter, err error) error {
	if errdefs.IsNotModified(err) {
		w.WriteHeader(http.StatusNotModified)
		return nil
	}
	return httputil.NoContent(w, err)
}

// stopOptions reads "t"/"timeout" and "signal" (the latter since API 1.42).
func stopOptions(r *http.Request) (backend.ContainerStopOptions, error) {
	var o backend.ContainerStopOptions
	if !compat.Before(r.Context(), compat.StopSignal) {
		o.Signal = r.URL.Query().Get("signal")
	}
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

func (s *Router) postContainerStop(w http.ResponseWriter, r *http.Request) error {
	o, err := stopOptions(r)
	if err != nil {
		return err
	}
	return stateChanged(w, s.backend.Stop(r.Context(), r.PathValue("id"), o))
}

func (s *Router) postContainerRestart(w http.ResponseWriter, r *http.Request) error {
	o, err := stopOptions(r)
	if err != nil {
		return err
	}
	return httputil.NoContent(w, s.backend.Restart(r.Context(), r.PathValue("id"), o))
}

func (s *Router) postContainerKill(w http.ResponseWriter, r *http.Request) error {
	return httputil.NoContent(w, s.backend.Kill(r.Context(), r.PathValue("id"), r.URL.Query().Get("signal")))
}

func (s *Router) deleteContainer(w http.ResponseWriter, r *http.Request) error {
	if httputil.BoolValue(r, "link") {
		return httputil.NoContent(w, s.backend.RemoveLink(r.Context(), r.PathValue("id")))
	}
	err := s.backend.Remove(r.Context(), r.PathValue("id"), backend.ContainerRemoveOptions{
		Force: httputil.BoolValue(r, "force"), RemoveVolumes: httputil.BoolValue(r, "v"),
	})
	var running *backend.ContainerRunningError
	if errors.As(err, &running) && compat.Before(r.Context(), compat.RemoveRunningWords) {
		err = errs.Conflict("%s", running.Legacy())
	}
	return httputil.NoContent(w, err)
}

// postContainerWait sends its headers at once, so the client knows the
// wait is in place, and the status once the condition holds.
func (s *Router) postContainerWait(w http.ResponseWriter, r *http.Request) error {
	var cond container.WaitCondition
	if !compat.Before(r.Context(), compat.WaitCondition) {
		cond = container.WaitCondition(r.URL.Query().Get("condition"))
	}
	ch, err := s.backend.Wait(r.Context(), r.PathValue("id"), cond)
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
	return json.NewEncoder(w).Encode(resp)
}

func (s *Router) getContainerLogs(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	o := backend.ContainerLogsOptions{
		Stdout: httputil.BoolValue(r, "stdout"), Stderr: httputil.BoolValue(r, "stderr"),
		Timestamps: httputil.BoolValue(r, "timestamps"), Follow: httputil.BoolValue(r, "follow"),
		Tail: parseTail(q.Get("tail")), Details: httputil.BoolValue(r, "details"),
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
	tty, err := s.backend.LogsTTY(id)
	if err != nil {
		return err
	}
	stdout, stderr, contentType := httputil.StreamWriters(w, tty)
	if compat.Before(r.Context(), compat.StreamContentType) {
		contentType = "application/vnd.docker.raw-stream" // whatever the framing
	}
	w.Header().Set("Content-Type", contentType)
	w.WriteHeader(http.StatusOK)
	_, err = s.backend.Logs(r.Context(), id, stdout, stderr, o)
	if err != nil {
		s.log.Debug("logs", "id", id, "err", err)
	}
	return nil
}

// parseTail reads the "tail" parameter: "all" or a count.
func parseTail(s string) int {
	if s == "" || s == "all" {
		return -1
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return -1
	}
	return n
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

func (s *Router) postContainerAttach(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	tty, err := s.backend.IsTTY(id)
	if err != nil {
		return err
	}
	keys, err := detachKeys(r.URL.Query().Get("detachKeys"))
	if err != nil {
		return err
	}
	conn, rw, stdout, stderr, err := httputil.HijackStreams(w, r, tty)
	if err != nil {
		return err
	}
	defer conn.Close()
	o := backend.ContainerAttachOptions{Logs: httputil.BoolValue(r, "logs"), Stream: httputil.BoolValue(r, "stream"), DetachKeys: keys}
	if httputil.BoolValue(r, "stdin") {
		o.Stdin = rw.Reader
	}
	if httputil.BoolValue(r, "stdout") {
		o.Stdout = stdout
	}
	if httputil.BoolValue(r, "stderr") {
		o.Stderr = stderr
	}
	// The client's connection outlives the request context once hijacked:
	// the attach ends when the client hangs up.
	ctx, cancel := context.WithCancel(context.WithoutCancel(r.Context()))
	defer cancel()
	defer httputil.NotifyClosed(conn, cancel)()
	err = s.backend.Attach(ctx, id, o)
	if err != nil && !errors.Is(err, backend.ErrDetached) {
		// The client learns of a failed start from the start request itself.
		s.log.Debug("attach", "id", id, "err", err)
	}
	return nil
}

func (s *Router) postContainerResize(w http.ResponseWriter, r *http.Request) error {
	h, wd, err := httputil.TerminalSize(r)
	if err != nil {
		return err
	}
	return s.backend.Resize(r.Context(), r.PathValue("id"), h, wd)
}

func (s *Router) postContainerRename(w http.ResponseWriter, r *http.Request) error {
	return httputil.NoContent(w, s.backend.Rename(r.Context(), r.PathValue("id"), r.URL.Query().Get("name")))
}

func (s *Router) getContainerTop(w http.ResponseWriter, r *http.Request) error {
	resp, err := s.backend.Top(r.Context(), r.PathValue("id"), r.URL.Query().Get("ps_args"))
	if err != nil {
		return err
	}
	return httputil.WriteJSON(w, http.StatusOK, resp)
}

func (s *Router) postContainerPause(w http.ResponseWriter, r *http.Request) error {
	return httputil.NoContent(w, s.backend.Pause(r.Context(), r.PathValue("id")))
}

func (s *Router) postContainerUnpause(w http.ResponseWriter, r *http.Request) error {
	return httputil.NoContent(w, s.backend.Unpause(r.Context(), r.PathValue("id")))
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
