package container

import (
	"context"
	"errors"
	"syscall"
	"time"

	"github.com/moby/sys/signal"

	"github.com/wharf/wharf/internal/api/backend"
	"github.com/wharf/wharf/internal/errs"
)

// defaultStopTimeout is docker's grace period before SIGKILL.
const defaultStopTimeout = 10

// StopOptions are the query parameters of POST /containers/{id}/stop (the
// API layer's type).
type StopOptions = backend.ContainerStopOptions

// Stop sends the stop signal, then SIGKILL once the timeout passes.
func (s *Service) Stop(ctx context.Context, ref string, o StopOptions) error {
	if o.Signal != "" {
		if _, err := parseSignal(o.Signal); err != nil {
			return err
		}
	}
	c, err := s.get(ref)
	if err != nil {
		return err
	}
	c.mu.Lock()
	if !c.State.Running {
		restarting := s.cancelRestart(c)
		c.mu.Unlock()
		if restarting {
			return nil
		}
		return errs.NotModified("container already stopped")
	}
	c.stopping = true
	gen := c.StartGen
	c.mu.Unlock()
	return s.afterEvent(c, "stop", s.stop(ctx, c, gen, o))
}

// stop ends run gen of c: the stop signal, then SIGKILL after the timeout.
// It returns once that run has ended, even if another has started since.
func (s *Service) stop(ctx context.Context, c *Container, gen int, o StopOptions) error {
	sigName := o.Signal
	if sigName == "" {
		sigName = c.Config.StopSignal
	}
	sig := syscall.SIGTERM
	if sigName != "" {
		parsed, err := parseSignal(sigName)
		if err != nil {
			return err
		}
		sig = parsed
	}
	timeout := defaultStopTimeout
	if c.Config.StopTimeout != nil {
		timeout = *c.Config.StopTimeout
	}
	if o.Timeout != nil {
		timeout = *o.Timeout
	}
	if err := s.signal(ctx, c, gen, sig); err != nil && !errors.Is(err, errNotRunning) {
		return err
	}
	if timeout < 0 {
		return s.waitStopped(ctx, c, gen, 0)
	}
	// A timeout of 0 kills at once, as with dockerd.
	if timeout > 0 {
		if err := s.waitStopped(ctx, c, gen, time.Duration(timeout)*time.Second); err == nil {
			return nil
		}
	}
	if err := s.signal(ctx, c, gen, syscall.SIGKILL); err != nil && !errors.Is(err, errNotRunning) {
		return err
	}
	return s.waitStopped(ctx, c, gen, 0)
}

var errNotRunning = errors.New("container not running")

// signal delivers sig to the main process of c's run gen (StartGen).
func (s *Service) signal(ctx context.Context, c *Container, gen int, sig syscall.Signal) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.State.Running || c.StartGen != gen {
		return errNotRunning
	}
	if c.State.Paused && sig != syscall.SIGKILL {
		return errs.Conflict("Container %s is paused. Unpause the container before stopping or killing", c.ID)
	}
	rt, err := s.runtimeFor(c.Runtime)
	if err != nil {
		return err
	}
	if err := rt.Kill(ctx, c.ID, sig, false); err != nil {
		// The process may have ended a moment ago.
		if processGone(ctx, rt, c.ID) {
			return errNotRunning
		}
		return err
	}
	s.killEvent(c, sig)
	return nil
}

// waitStopped waits until c's run gen has ended: c is not running, or a
// later run has started (a restart racing with a stop). Timeout 0 waits
// until ctx ends.
func (s *Service) waitStopped(ctx context.Context, c *Container, gen int, timeout time.Duration) error {
	var expire <-chan time.Time
	if timeout > 0 {
		t := time.NewTimer(timeout)
		defer t.Stop()
		expire = t.C
	}
	for {
		c.mu.Lock()
		running, changed := c.State.Running && c.StartGen == gen, c.changed
		c.mu.Unlock()
		if !running {
			return nil
		}
		select {
		case <-changed:
		case <-expire:
			return context.DeadlineExceeded
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// Kill sends a signal (SIGKILL by default).
func (s *Service) Kill(ctx context.Context, ref, sigName string) error {
	sig := syscall.SIGKILL
	if sigName != "" {
		var err error
		if sig, err = parseSignal(sigName); err != nil {
			return err
		}
	}
	c, err := s.get(ref)
	if err != nil {
		return err
	}
	c.mu.Lock()
	if c.State.Running && (sig == syscall.SIGKILL || sig == syscall.SIGTERM || sig == syscall.SIGINT) {
		c.stopping = true
	}
	gen := c.StartGen
	c.mu.Unlock()
	if err := s.signal(ctx, c, gen, sig); err != nil {
		if errors.Is(err, errNotRunning) {
			return errs.Conflict("Cannot kill container: %s: Container %s is not running", ref, c.ID)
		}
		return err
	}
	if sig == syscall.SIGKILL {
		// Like dockerd, return once the container is really gone.
		return s.waitStopped(ctx, c, gen, 0)
	}
	return nil
}

// Restart stops the container if it runs, then starts it.
func (s *Service) Restart(ctx context.Context, ref string, o StopOptions) error {
	c, err := s.get(ref)
	if err != nil {
		return err
	}
	c.mu.Lock()
	running, gen := c.State.Running, c.StartGen
	c.stopping = running
	c.mu.Unlock()
	if running {
		if err := s.afterEvent(c, "stop", s.stop(ctx, c, gen, o)); err != nil {
			return err
		}
	}
	return s.afterEvent(c, "restart", s.Start(ctx, c.ID))
}

// parseSignal reads a signal name or number as dockerd's kill does: a
// number the kernel does not know ("999") is refused here with a 400
// rather than failing in the runtime.
func parseSignal(name string) (syscall.Signal, error) {
	sig, err := signal.ParseSignal(name)
	if err != nil {
		return 0, errs.Invalid("%v", err)
	}
	if !signal.ValidSignalForPlatform(sig) {
		return 0, errs.Invalid("the linux daemon does not support signal %d", sig)
	}
	return sig, nil
}
