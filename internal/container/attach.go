package container

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"sync"

	"github.com/moby/moby/api/types/container"
	"golang.org/x/sys/unix"

	"github.com/wharf/wharf/internal/api/backend"
	"github.com/wharf/wharf/internal/errs"
)

// AttachOptions describe one client joining a container's stdio (the API
// layer's type).
type AttachOptions = backend.ContainerAttachOptions

// ErrDetached ends an attach whose client typed the detach keys (the API
// layer's sentinel, which the attach route tells from a failure).
var ErrDetached = backend.ErrDetached

// attachment is an attach waiting for its container to start.
type attachment struct {
	ready chan attachReady
}

type attachReady struct {
	conn *net.UnixConn
	err  error
}

// conmon's attach socket frames output with one leading byte: the stream.
const (
	frameStdout = 2
	frameStderr = 3
)

// Attach joins the client to the container's stdio until the container
// ends, the client leaves, or it detaches. A container that is created but
// not started is joined the moment it starts, before it runs a single
// instruction, so no output is lost (that is how `docker run` attaches).
func (s *Service) Attach(ctx context.Context, ref string, o AttachOptions) error {
	c, err := s.get(ref)
	if err != nil {
		return err
	}
	if o.Logs {
		if err := s.copyLogs(ctx, c, o.Stdout, o.Stderr, LogsOptions{Tail: -1}); err != nil {
			return err
		}
	}
	if !o.Stream {
		return nil
	}
	c.mu.Lock()
	if c.State.Paused {
		c.mu.Unlock()
		return errs.Conflict("You cannot attach to a paused container, unpause it first")
	}
	var conn *net.UnixConn
	switch {
	case c.State.Running:
		conn, err = dialAttach(s.bundle(c.ID))
		c.mu.Unlock()
		if err != nil {
			return err
		}
	case c.StartGen == 0 || c.HostConfig.RestartPolicy.Name != container.RestartPolicyDisabled:
		a := &attachment{ready: make(chan attachReady, 1)}
		c.pending = append(c.pending, a)
		c.mu.Unlock()
		select {
		case r := <-a.ready:
			if r.err != nil {
				return r.err
			}
			conn = r.conn
		case <-ctx.Done():
			s.dropPending(c, a)
			return ctx.Err()
		}
	default:
		c.mu.Unlock()
		return nil
	}
	defer conn.Close()
	return pump(ctx, conn, o, c.Config.Tty, c.Config.StdinOnce)
}

// AttachBeforeStart joins a container that has never started: it returns
// at once, the join made, and follow copies the container's output to o's
// writers from its first byte until it ends. The builder's RUN steps use
// it rather than following the log, as dockerd's builder attaches: what a
// step says reaches the client even when its log cannot be written (a
// full data root).
func (s *Service) AttachBeforeStart(ref string) (follow func(ctx context.Context, o AttachOptions) error, err error) {
	c, err := s.get(ref)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if c.StartGen != 0 || c.State.Running {
		c.mu.Unlock()
		return nil, errs.Conflict("container %s has already started", c.ID)
	}
	a := &attachment{ready: make(chan attachReady, 1)}
	c.pending = append(c.pending, a)
	tty, stdinOnce := c.Config.Tty, c.Config.StdinOnce
	c.mu.Unlock()
	return func(ctx context.Context, o AttachOptions) error {
		select {
		case r := <-a.ready:
			if r.err != nil {
				return r.err
			}
			defer r.conn.Close()
			return pump(ctx, r.conn, o, tty, stdinOnce)
		case <-ctx.Done():
			s.dropPending(c, a)
			return ctx.Err()
		}
	}, nil
}

// dialAttach connects to conmon's attach socket in bundle. A socket's
// path may not exceed 107 bytes, which a bundle under a long exec root
// (/tmp/…/exec/containers/<64 hex>) does: the socket is then reached
// through the bundle directory's file descriptor, as conmon binds it.
func dialAttach(bundle string) (*net.UnixConn, error) {
	path := filepath.Join(bundle, "attach")
	if len(path) < maxSocketPath {
		return net.DialUnix("unixpacket", nil, &net.UnixAddr{Name: path, Net: "unixpacket"})
	}
	dir, err := os.OpenFile(bundle, unix.O_PATH|unix.O_DIRECTORY, 0)
	if err != nil {
		return nil, err
	}
	defer dir.Close()
	short := fmt.Sprintf("/proc/self/fd/%d/attach", dir.Fd())
	return net.DialUnix("unixpacket", nil, &net.UnixAddr{Name: short, Net: "unixpacket"})
}

// maxSocketPath is the room for a path in a sockaddr_un, with its NUL.
const maxSocketPath = len(unix.RawSockaddrUnix{}.Path)

// connectPending dials the attach socket for every client waiting for c
// to start. Callers hold c.mu, between the runtime's create and start.
func (s *Service) connectPending(c *Container) {
	for _, a := range c.pending {
		conn, err := dialAttach(s.bundle(c.ID))
		a.ready <- attachReady{conn: conn, err: err}
	}
	c.pending = nil
}

// failPending tells every waiting client that c will not start.
func (s *Service) failPending(c *Container, err error) {
	for _, a := range c.pending {
		a.ready <- attachReady{err: err}
	}
	c.pending = nil
}

func (s *Service) dropPending(c *Container, a *attachment) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, p := range c.pending {
		if p == a {
			c.pending = append(c.pending[:i], c.pending[i+1:]...)
			return
		}
	}
}

// pump copies frames from conmon to the client's writers, and the
// client's stdin to conmon, until the output ends.
func pump(ctx context.Context, conn *net.UnixConn, o AttachOptions, tty, stdinOnce bool) error {
	detached := make(chan struct{})
	var once sync.Once
	if o.Stdin != nil {
		go func() {
			err := copyStdin(conn, o.Stdin, o.DetachKeys, tty)
			if errors.Is(err, ErrDetached) {
				once.Do(func() { close(detached) })
				conn.Close()
				return
			}
			if stdinOnce {
				conn.CloseWrite()
			}
		}()
	}
	finished := make(chan struct{})
	defer close(finished)
	go func() {
		select {
		case <-ctx.Done():
			conn.Close()
		case <-detached:
		case <-finished:
		}
	}()
	buf := make([]byte, 32*1024+1)
	for {
		n, err := conn.Read(buf)
		if n > 1 {
			var w io.Writer
			switch buf[0] {
			case frameStdout:
				w = o.Stdout
			case frameStderr:
				w = o.Stderr
			}
			if w != nil {
				if _, werr := w.Write(buf[1:n]); werr != nil {
					return nil // the client went away
				}
			}
		}
		if err != nil || n == 0 {
			select {
			case <-detached:
				return ErrDetached
			default:
			}
			return nil
		}
	}
}

// copyStdin forwards the client's input, watching for the detach keys.
func copyStdin(dst io.Writer, src io.Reader, keys []byte, tty bool) error {
	// conmon reads stdin messages into a 32 KiB buffer; a larger
	// SEQPACKET message would be cut.
	buf := make([]byte, 8*1024)
	matched := 0
	for {
		n, err := src.Read(buf)
		if n > 0 {
			data := buf[:n]
			if tty && len(keys) > 0 {
				var out bytes.Buffer
				for _, b := range data {
					if b == keys[matched] {
						matched++
						if matched == len(keys) {
							dst.Write(out.Bytes())
							return ErrDetached
						}
						continue
					}
					if matched > 0 {
						out.Write(keys[:matched])
						matched = 0
					}
					out.WriteByte(b)
				}
				data = out.Bytes()
			}
			if len(data) > 0 {
				if _, werr := dst.Write(data); werr != nil {
					return werr
				}
			}
		}
		if err != nil {
			return err
		}
	}
}
