package container

import (
	"context"

	"github.com/moby/moby/api/types/container"

	"github.com/wharf/wharf/internal/api/backend"
	"github.com/wharf/wharf/internal/errs"
)

// WaitResult is what POST /containers/{id}/wait returns (the API layer's
// type).
type WaitResult = backend.ContainerWaitResult

// Wait returns a channel that yields once condition holds:
// "not-running" (the default), "next-exit" or "removed". It fails at once
// for an unknown container or condition, so the API can report that
// before it sends its headers.
func (s *Service) Wait(ctx context.Context, ref string, condition container.WaitCondition) (<-chan WaitResult, error) {
	c, err := s.get(ref)
	if err != nil {
		return nil, err
	}
	switch condition {
	case "", container.WaitConditionNotRunning, container.WaitConditionNextExit, container.WaitConditionRemoved:
	default:
		return nil, errs.Invalid("invalid condition: %q", condition)
	}
	c.mu.Lock()
	gen := c.StartGen
	// The run going now: its end is what not-running and next-exit wait
	// for, even if another run has started by the time they look.
	var end *runEnd
	if c.State.Running {
		end = c.runEnd()
	}
	c.mu.Unlock()
	out := make(chan WaitResult, 1)
	go func() {
		for {
			// Without c.mu, which a start or an exit's clean-up holds
			// across slow work (watch.go).
			l := c.watch()
			running, exitCode, removed, changed, curGen := l.running, l.exitCode, l.removed, l.changed, l.startGen
			runCode, ended := 0, false
			if end != nil {
				runCode, ended = end.result()
			}
			done := false
			switch condition {
			case container.WaitConditionRemoved:
				done = removed
			case container.WaitConditionNextExit:
				done = ended || (end == nil && !running && curGen > gen) || removed
			default:
				done = !running || ended || removed
			}
			if done {
				code := exitCode
				if ended && condition != container.WaitConditionRemoved {
					code = runCode
				}
				out <- WaitResult{StatusCode: int64(code)}
				return
			}
			select {
			case <-changed:
			case <-ctx.Done():
				out <- WaitResult{Err: ctx.Err()}
				return
			}
		}
	}()
	return out, nil
}

// runEnd is one run's end: closed, with the exit code, when it ends.
type runEnd struct {
	done chan struct{}
	code int
}

// runEnd returns the current run's end. Callers hold c.mu, c running.
func (c *Container) runEnd() *runEnd {
	if c.end == nil {
		c.end = &runEnd{done: make(chan struct{})}
	}
	return c.end
}

// ended records that the current run ended with code. Callers hold c.mu.
func (c *Container) ended(code int) {
	if c.end != nil {
		c.end.code = code
		close(c.end.done)
		c.end = nil
	}
}

// result is the run's exit code once it has ended.
func (e *runEnd) result() (int, bool) {
	select {
	case <-e.done:
		return e.code, true
	default:
		return 0, false
	}
}
