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
	gen, wasRunning := c.StartGen, c.State.Running
	c.mu.Unlock()
	out := make(chan WaitResult, 1)
	go func() {
		for {
			c.mu.Lock()
			st, removed, changed, curGen := c.State, c.removed, c.changed, c.StartGen
			c.mu.Unlock()
			exited := !st.Running && (curGen > gen || wasRunning)
			done := false
			switch condition {
			case container.WaitConditionRemoved:
				done = removed
			case container.WaitConditionNextExit:
				done = exited || removed
			default:
				done = !st.Running || removed
			}
			if done {
				out <- WaitResult{StatusCode: int64(st.ExitCode)}
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
