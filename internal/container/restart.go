package container

import (
	"context"
	"time"

	"github.com/moby/moby/api/types/container"

	"github.com/wharf/wharf/internal/errs"
)

// Docker's restart back-off: 100 ms, doubled at each restart up to a
// minute, back to 100 ms once a run lasted 10 s.
const (
	restartFirstDelay = 100 * time.Millisecond
	restartMaxDelay   = time.Minute
	restartResetAfter = 10 * time.Second
)

// restartState is a container's in-memory restart bookkeeping.
type restartState struct {
	delay time.Duration // the last back-off used
	timer *time.Timer   // a pending restart
	gen   int           // StartGen the pending restart is for
}

// nextDelay is the back-off after a run of length ran, given the last one.
func nextDelay(last, ran time.Duration) time.Duration {
	if ran >= restartResetAfter {
		last = 0
	}
	d := restartFirstDelay
	if last > 0 {
		d = last * 2
	}
	return min(d, restartMaxDelay)
}

// shouldRestart applies a restart policy to an exit, as docker's restart
// manager does. restartCount is the restarts so far.
func shouldRestart(p container.RestartPolicy, exitCode, restartCount int, manuallyStopped bool) bool {
	switch {
	case p.IsAlways():
		return !manuallyStopped
	case p.IsUnlessStopped():
		return !manuallyStopped
	case p.IsOnFailure():
		max := p.MaximumRetryCount
		return !manuallyStopped && exitCode != 0 && (max == 0 || restartCount < max)
	}
	return false
}

// exited is called by the exit handler once c's exit is recorded; it
// schedules a restart if the policy wants one and reports whether it did.
// Callers hold c.mu.
func (s *Service) exited(ctx context.Context, c *Container, code int) bool {
	if c.HasBeenManuallyStopped != c.stopping {
		c.HasBeenManuallyStopped = c.stopping
		s.save(c)
	}
	if !shouldRestart(c.HostConfig.RestartPolicy, code, c.RestartCount, c.stopping) || c.removed {
		return false
	}
	ran := time.Duration(0)
	if t, err := time.Parse(time.RFC3339Nano, c.State.StartedAt); err == nil {
		ran = time.Since(t)
	}
	c.restart.delay = nextDelay(c.restart.delay, ran)
	s.scheduleRestart(ctx, c, c.restart.delay)
	return true
}

// scheduleRestart marks c restarting and starts it after delay, unless it
// was stopped, started or removed meanwhile. Callers hold c.mu.
func (s *Service) scheduleRestart(ctx context.Context, c *Container, delay time.Duration) {
	c.State.Restarting = true
	c.State.Status = container.StateRestarting
	s.save(c)
	c.notify()
	gen := c.StartGen
	c.restart.gen = gen
	c.restart.timer = time.AfterFunc(delay, func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		if c.removed || !c.State.Restarting || c.StartGen != gen || c.State.Running {
			return
		}
		c.RestartCount++
		c.restart.timer = nil
		if err := s.startLocked(ctx, c); err != nil {
			s.log.Warn("restart", "id", c.ID, "err", err)
			c.State.Restarting = false
			c.State.Status = container.StateExited
			s.save(c)
			c.notify()
		}
	})
	s.log.Debug("container restart scheduled", "id", c.ID, "in", delay)
}

// cancelRestart stops a pending restart (docker stop / kill on a
// restarting container) and reports whether there was one. Callers hold c.mu.
func (s *Service) cancelRestart(c *Container) bool {
	if !c.State.Restarting {
		return false
	}
	if c.restart.timer != nil {
		c.restart.timer.Stop()
		c.restart.timer = nil
	}
	c.State.Restarting = false
	c.State.Status = container.StateExited
	c.HasBeenManuallyStopped = true
	s.save(c)
	c.notify()
	return true
}

// resetRestart forgets the back-off and the restart count when a user
// starts the container, as dockerd does. Callers hold c.mu.
func (s *Service) resetRestart(c *Container) {
	if c.restart.timer != nil {
		c.restart.timer.Stop()
	}
	c.restart = restartState{}
	c.RestartCount = 0
	c.State.Restarting = false
}

// restartAfterBoot restarts, after a daemon start, the stopped containers
// whose policy says so: "always" ones whatever stopped them, the others
// unless they were stopped by hand, as dockerd's restore does.
func (s *Service) restartAfterBoot(ctx context.Context) {
	for _, c := range s.all() {
		c.mu.Lock()
		p := c.HostConfig.RestartPolicy
		want := !c.State.Running && !c.removed && c.StartGen > 0 &&
			c.State.Status != container.StateRemoving && c.State.Status != container.StateDead &&
			(p.IsAlways() || shouldRestart(p, c.State.ExitCode, c.RestartCount, c.HasBeenManuallyStopped))
		if want {
			s.scheduleRestart(ctx, c, 0)
		}
		c.mu.Unlock()
	}
}

// validateRestartPolicy checks --restart as dockerd does.
func validateRestartPolicy(hc *container.HostConfig) error {
	if err := container.ValidateRestartPolicy(hc.RestartPolicy); err != nil {
		return errs.Invalid("%v", err)
	}
	return nil
}
