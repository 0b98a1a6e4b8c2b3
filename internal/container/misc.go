package container

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/container"

	"github.com/wharf/wharf/internal/errs"
)

// Rename gives a container a new name.
func (s *Service) Rename(ctx context.Context, ref, newName string) error {
	c, err := s.get(ref)
	if err != nil {
		return err
	}
	if newName == "" {
		return errs.Invalid("Neither old nor new names may be empty")
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	old := c.Name
	if "/"+strings.TrimPrefix(newName, "/") == old {
		return errs.Invalid("Renaming a container with the same name as its current name")
	}
	// dockerd's words: its reservation's error behind this prefix, the
	// name with its "/".
	if err := s.reserveName("/"+strings.TrimPrefix(newName, "/"), c); err != nil {
		return fmt.Errorf("Error when allocating new name: %w", err)
	}
	c.Name = "/" + strings.TrimPrefix(newName, "/")
	if err := s.save(c); err != nil {
		s.mu.Lock()
		delete(s.byName, c.Name)
		s.mu.Unlock()
		c.Name = old
		return err
	}
	s.mu.Lock()
	delete(s.byName, old)
	s.mu.Unlock()
	if s.cfg.Networks != nil {
		s.cfg.Networks.Rename(ctx, c.ID, strings.TrimPrefix(old, "/"), strings.TrimPrefix(c.Name, "/"))
	}
	s.event(c, "rename", map[string]string{"oldName": old})
	return nil
}

// Resize changes the size of a container's terminal through conmon's
// control FIFO ("1 <height> <width>").
func (s *Service) Resize(ctx context.Context, ref string, height, width uint) error {
	c, err := s.get(ref)
	if err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.State.Running {
		return errs.Conflict("Container %s is not running", c.ID)
	}
	f, err := os.OpenFile(filepath.Join(s.bundle(c.ID), "ctl"), os.O_WRONLY, 0)
	if err != nil {
		return fmt.Errorf("resize: %w", err)
	}
	defer f.Close()
	_, err = fmt.Fprintf(f, "1 %d %d\n", height, width)
	return err
}

// Top runs ps on the host and keeps the container's processes, as dockerd
// does.
func (s *Service) Top(ctx context.Context, ref, psArgs string) (container.TopResponse, error) {
	var resp container.TopResponse
	// Read from the view (view.go): top never waits for a start or stop.
	_, v, err := s.viewOf(ref)
	if err != nil {
		return resp, err
	}
	c := v.c
	running, paused, pid := c.State.Running, c.State.Paused, c.State.Pid
	if !running {
		return resp, errs.Conflict("container %s is not running", c.ID)
	}
	if paused {
		return resp, errs.Conflict("Container %s is paused, unpause the container before getting top", c.ID)
	}
	rt, err := s.runtimeFor(c.Runtime)
	if err != nil {
		return resp, err
	}
	pids, err := rt.Pids(ctx, c.ID)
	if err != nil {
		// The run may have ended (a stop or restart racing this call):
		// then it is the not-running conflict, not a runtime failure.
		// The view may not show it yet: the runtime's word then.
		now := s.current(c.ID)
		if now == nil || !now.State.Running || now.State.Pid != pid || !rt.Exists(c.ID) || processGone(ctx, rt, c.ID) {
			return resp, errs.Conflict("container %s is not running", c.ID)
		}
		return resp, err
	}
	if psArgs == "" {
		psArgs = "-ef"
	}
	out, err := exec.CommandContext(ctx, "ps", strings.Fields(psArgs)...).Output()
	if err != nil {
		// ps's own first line of complaint, as dockerd says it.
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			if line, _, _ := strings.Cut(string(ee.Stderr), "\n"); line != "" {
				return resp, errs.Invalid("ps: %s", line)
			}
		}
		return resp, errs.Invalid("ps: %v", err)
	}
	return parsePS(string(out), pids)
}

// parsePS keeps the rows of ps output whose PID column is in pids.
func parsePS(out string, pids []int) (container.TopResponse, error) {
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	resp := container.TopResponse{Titles: strings.Fields(lines[0]), Processes: [][]string{}}
	pidCol := -1
	for i, t := range resp.Titles {
		if t == "PID" {
			pidCol = i
		}
	}
	if pidCol < 0 {
		return resp, errs.Invalid("Couldn't find PID field in ps output")
	}
	want := map[int]bool{}
	for _, p := range pids {
		want[p] = true
	}
	for _, line := range lines[1:] {
		fields := strings.Fields(line)
		if len(fields) <= pidCol {
			continue
		}
		pid, err := strconv.Atoi(fields[pidCol])
		if err != nil || !want[pid] {
			continue
		}
		// The last column (the command) may itself contain spaces.
		n := len(resp.Titles)
		if len(fields) > n {
			fields = append(fields[:n-1], strings.Join(fields[n-1:], " "))
		}
		resp.Processes = append(resp.Processes, fields)
	}
	return resp, nil
}

// Pause freezes a running container.
func (s *Service) Pause(ctx context.Context, ref string) error {
	return s.setPaused(ctx, ref, true)
}

// Unpause thaws it.
func (s *Service) Unpause(ctx context.Context, ref string) error {
	return s.setPaused(ctx, ref, false)
}

// notRunningError is dockerd's conflict for pausing or unpausing a
// container that does not run (errors.Is errNotRunning).
type notRunningError struct{ id string }

func (e notRunningError) Error() string        { return fmt.Sprintf("Container %s is not running", e.id) }
func (e notRunningError) Is(target error) bool { return target == errNotRunning }

func (s *Service) setPaused(ctx context.Context, ref string, pause bool) error {
	c, err := s.get(ref)
	if err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	// dockerd's unpause asks only whether it is paused (its 500; a 409).
	if !pause && !c.State.Paused {
		return errs.Conflict("Container %s is not paused", c.ID)
	}
	if !c.State.Running {
		return errs.Wrap(errdefs.ErrConflict, notRunningError{c.ID})
	}
	if c.State.Paused == pause {
		if pause {
			return errs.Conflict("Container %s is already paused", c.ID)
		}
		return errs.Conflict("Container %s is not paused", c.ID)
	}
	rt, err := s.runtimeFor(c.Runtime)
	if err != nil {
		return err
	}
	if pause {
		err = rt.Pause(ctx, c.ID)
	} else {
		err = rt.Resume(ctx, c.ID)
	}
	if err != nil {
		// The process may have ended a moment ago, its exit not yet seen.
		if processGone(ctx, rt, c.ID) {
			return errs.Wrap(errdefs.ErrConflict, notRunningError{c.ID})
		}
		return err
	}
	c.State.Paused = pause
	c.State.Status = container.StateRunning
	if pause {
		c.State.Status = container.StatePaused
	}
	s.save(c)
	c.notify()
	s.pauseEvent(c, pause)
	return nil
}
