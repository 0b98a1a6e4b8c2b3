package container

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"

	"github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/container"

	"github.com/wharf/wharf/internal/api/backend"
	"github.com/wharf/wharf/internal/errs"
)

// RemoveOptions are the query parameters of DELETE /containers/{id} (the
// API layer's type).
type RemoveOptions = backend.ContainerRemoveOptions

var errAlreadyRemoving = errors.New("removal already in progress")

// removingError is dockerd's conflict for a second removal of a container
// (errors.Is errAlreadyRemoving).
type removingError struct{ ref string }

func (e removingError) Error() string {
	return fmt.Sprintf("removal of container %s is already in progress", e.ref)
}

func (e removingError) Is(target error) bool { return target == errAlreadyRemoving }

// Remove deletes a container and its writable layer.
func (s *Service) Remove(ctx context.Context, ref string, o RemoveOptions) error {
	c, err := s.get(ref)
	if err != nil {
		return err
	}
	c.mu.Lock()
	if c.removed {
		c.mu.Unlock()
		return errs.Wrap(errdefs.ErrConflict, removingError{ref})
	}
	// Killed until it stays down: a start may slip in while the lock is
	// let go to wait for the exit.
	for c.State.Running {
		if !o.Force {
			c.mu.Unlock()
			return errs.Wrap(errdefs.ErrConflict, &backend.ContainerRunningError{ID: c.ID, Name: c.Name, Paused: c.State.Paused})
		}
		c.stopping = true
		gen := c.StartGen
		c.mu.Unlock()
		if err := s.signal(ctx, c, gen, syscall.SIGKILL); err != nil && !errors.Is(err, errNotRunning) {
			return err
		}
		if err := s.waitStopped(ctx, c, gen, 0); err != nil {
			return err
		}
		c.mu.Lock()
		if c.removed {
			c.mu.Unlock()
			return nil
		}
	}
	defer c.mu.Unlock()
	c.State.Status = container.StateRemoving
	// The removal a restart finishes is the one asked for (RemoveVolumes
	// kept from the first attempt, which a crash cut short).
	c.RemoveVolumes = c.RemoveVolumes || o.RemoveVolumes
	// Record the intent first: a crash from here on is finished at the next start.
	if err := s.save(c); err != nil {
		return err
	}
	s.cleanupRun(ctx, c)
	err = s.cfg.Layers.RemoveRW(ctx, c.ID)
	if err == nil && c.RemoveVolumes {
		// While the record still says so: a crash before the record is
		// gone removes them again at the next start. c no longer counts
		// as their user.
		s.cfg.Uses.Remove(c.ID)
		s.removeVolumes(ctx, c)
	}
	if err == nil {
		err = s.removeDir(c.ID)
	}
	if err != nil {
		s.recordUses(c)
		c.State.Status = container.StateDead
		s.save(c)
		return err
	}
	c.removed = true
	s.publish(c, nil)
	s.forget(c)
	c.notify()
	s.failPending(c, errs.NotFound("No such container: %s", c.ID))
	s.event(c, "destroy", nil)
	s.log.Debug("container removed", "id", c.ID)
	return nil
}

// removeDir deletes a container's directory, its record last: a crash
// halfway leaves the record, saying "removing", for the next start to
// finish, never files without a record.
func (s *Service) removeDir(id string) error {
	dir := s.dir(id)
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	for _, e := range entries {
		if e.Name() == "container.json" {
			continue
		}
		if err := os.RemoveAll(filepath.Join(dir, e.Name())); err != nil {
			return err
		}
	}
	return os.RemoveAll(dir)
}
