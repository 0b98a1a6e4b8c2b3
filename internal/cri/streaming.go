package cri

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/containerd/errdefs"
	containertypes "github.com/moby/moby/api/types/container"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
	"k8s.io/cri-streaming/pkg/streaming"
	remotecommandserver "k8s.io/cri-streaming/pkg/streaming/remotecommand"
	utilexec "k8s.io/utils/exec"

	"github.com/wharf/wharf/internal/api/backend"
	"github.com/wharf/wharf/internal/errs"
	"github.com/wharf/wharf/internal/network/netns"
)

// Exec, Attach and PortForward answer with a URL on the streaming server
// (k8s.io/cri-streaming, the kubelet's own), which the kubelet or crictl
// then connects to; the streams are served by streamRuntime.

// Streamer is what the streaming server needs beyond Containers.
type Streamer interface {
	ExecResize(ctx context.Context, id string, height, width uint) error
	Attach(ctx context.Context, ref string, o backend.ContainerAttachOptions) error
	Resize(ctx context.Context, ref string, height, width uint) error
}

// startStreaming starts the streaming server on addr (host:port; port 0
// picks one) until ctx ends.
func (s *Server) startStreaming(ctx context.Context, addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("streaming address %q: %w", addr, err)
	}
	// Listen first: the URLs handed out must carry the real port.
	ln, err := net.Listen("tcp", net.JoinHostPort(host, port))
	if err != nil {
		return fmt.Errorf("streaming server: %w", err)
	}
	cfg := streaming.DefaultConfig
	cfg.Addr = ln.Addr().String()
	srv, err := streaming.NewServer(cfg, streamRuntime{s})
	if err != nil {
		ln.Close()
		return err
	}
	s.stream = srv
	// Served on our listener, whose port the URLs carry (the library's
	// Start would listen again). Streams last as long as the client keeps
	// them; only the request headers are bounded.
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 30 * time.Second}
	go func() {
		<-ctx.Done()
		hs.Close()
	}()
	go func() {
		if err := hs.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("cri streaming server stopped", "err", err)
		}
	}()
	s.log.Info("cri streaming server listening", "addr", cfg.Addr)
	return nil
}

// Exec hands out the URL of an interactive exec.
func (s *Server) Exec(ctx context.Context, req *runtimeapi.ExecRequest) (*runtimeapi.ExecResponse, error) {
	if s.stream == nil {
		return nil, errs.Wrap(errdefs.ErrUnavailable, errors.New("the streaming server is not running"))
	}
	id, err := s.runningContainer(ctx, req.GetContainerId())
	if err != nil {
		return nil, err
	}
	req.ContainerId = id
	return s.stream.GetExec(req)
}

// Attach hands out the URL of an attach to the container's stdio.
func (s *Server) Attach(ctx context.Context, req *runtimeapi.AttachRequest) (*runtimeapi.AttachResponse, error) {
	if s.stream == nil {
		return nil, errs.Wrap(errdefs.ErrUnavailable, errors.New("the streaming server is not running"))
	}
	id, err := s.runningContainer(ctx, req.GetContainerId())
	if err != nil {
		return nil, err
	}
	req.ContainerId = id
	return s.stream.GetAttach(req)
}

// PortForward hands out the URL of a port forward into the pod.
func (s *Server) PortForward(ctx context.Context, req *runtimeapi.PortForwardRequest) (*runtimeapi.PortForwardResponse, error) {
	if s.stream == nil {
		return nil, errs.Wrap(errdefs.ErrUnavailable, errors.New("the streaming server is not running"))
	}
	sb, err := s.getSandbox(req.GetPodSandboxId())
	if err != nil {
		return nil, err
	}
	if !sb.Ready {
		return nil, errs.Conflict("pod sandbox %s is not ready", sb.ID)
	}
	req.PodSandboxId = sb.ID
	return s.stream.GetPortForward(req)
}

// runningContainer resolves ref to a running container of the CRI's.
func (s *Server) runningContainer(ctx context.Context, ref string) (string, error) {
	id, err := s.podContainer(ctx, ref)
	if err != nil {
		return "", err
	}
	in, err := s.cfg.Containers.Inspect(ctx, id, false)
	if err != nil {
		return "", err
	}
	if in.State == nil || !in.State.Running {
		return "", errs.Conflict("container %s is not running", id)
	}
	return id, nil
}

// streamRuntime serves the streams over the container service.
type streamRuntime struct{ s *Server }

// Exec runs cmd in the container with the client's streams; a non-zero
// exit is an ExitError, which the server reports as the exit code.
func (r streamRuntime) Exec(ctx context.Context, id string, cmd []string, in io.Reader, out, errw io.WriteCloser, tty bool, resize <-chan remotecommandserver.TerminalSize) error {
	c := r.s.cfg.Containers
	execID, err := c.ExecCreate(ctx, id, containertypes.ExecCreateRequest{
		Cmd: cmd, Tty: tty, AttachStdin: in != nil, AttachStdout: out != nil, AttachStderr: errw != nil && !tty,
	})
	if err != nil {
		return err
	}
	o := backend.ExecStartOptions{Stdin: in}
	if out != nil {
		o.Stdout = out
	}
	if errw != nil && !tty {
		o.Stderr = errw
	}
	if tty {
		o.Stderr = o.Stdout
	}
	var wg sync.WaitGroup
	done := make(chan struct{})
	if resize != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resizeLoop(done, resize, func(h, w uint) error { return r.s.cfg.Streamer.ExecResize(ctx, execID, h, w) })
		}()
	}
	err = c.ExecStart(ctx, execID, o)
	close(done)
	wg.Wait()
	if err != nil {
		return err
	}
	st, err := c.ExecInspect(ctx, execID)
	if err != nil {
		return err
	}
	if st.ExitCode != nil && *st.ExitCode != 0 {
		return utilexec.CodeExitError{Err: fmt.Errorf("command exited with %d", *st.ExitCode), Code: *st.ExitCode}
	}
	return nil
}

// Attach joins the client to the container's stdio until it ends or the
// client goes.
func (r streamRuntime) Attach(ctx context.Context, id string, in io.Reader, out, errw io.WriteCloser, tty bool, resize <-chan remotecommandserver.TerminalSize) error {
	o := backend.ContainerAttachOptions{Stdin: in, Stream: true}
	if out != nil {
		o.Stdout = out
	}
	if errw != nil && !tty {
		o.Stderr = errw
	}
	done := make(chan struct{})
	defer close(done)
	if resize != nil {
		go resizeLoop(done, resize, func(h, w uint) error { return r.s.cfg.Streamer.Resize(ctx, id, h, w) })
	}
	return r.s.cfg.Streamer.Attach(ctx, id, o)
}

// PortForward connects stream to port on the pod's loopback: the socket
// is made inside the pod's network namespace.
func (r streamRuntime) PortForward(ctx context.Context, sandboxID string, port int32, stream io.ReadWriteCloser) error {
	defer stream.Close()
	sb, err := r.s.getSandbox(sandboxID)
	if err != nil {
		return err
	}
	if port <= 0 || port > 65535 {
		return errs.Invalid("invalid port %d", port)
	}
	var conn net.Conn
	dial := func() error {
		var d net.Dialer
		c, err := d.DialContext(ctx, "tcp4", net.JoinHostPort("127.0.0.1", strconv.Itoa(int(port))))
		conn = c
		return err
	}
	if sb.Namespaces.Net == "" {
		err = dial() // a host-network pod
	} else {
		err = netns.Do(sb.Namespaces.Net, dial)
	}
	if err != nil {
		return fmt.Errorf("port forward to %d in pod %s: %w", port, sandboxID, err)
	}
	defer conn.Close()
	errc := make(chan error, 2)
	go func() {
		_, err := io.Copy(conn, stream)
		if tc, ok := conn.(*net.TCPConn); ok {
			tc.CloseWrite()
		}
		errc <- err
	}()
	go func() {
		_, err := io.Copy(stream, conn)
		errc <- err
	}()
	select {
	case err = <-errc:
	case <-ctx.Done():
		err = ctx.Err()
	}
	return err
}

// resizeLoop passes terminal sizes on until done.
func resizeLoop(done <-chan struct{}, resize <-chan remotecommandserver.TerminalSize, apply func(h, w uint) error) {
	for {
		select {
		case <-done:
			return
		case size, ok := <-resize:
			if !ok {
				return
			}
			if size.Height > 0 && size.Width > 0 {
				apply(uint(size.Height), uint(size.Width))
			}
		}
	}
}
