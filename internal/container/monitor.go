package container

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
	"unsafe"

	"github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/container"
	"golang.org/x/sys/unix"

	"github.com/wharf/wharf/internal/errs"
	"github.com/wharf/wharf/internal/runtime"
)

// watchExits follows conmon's exit directory with inotify: conmon writes
// <exitDir>/<id> when a container's process ends, so exits are seen at
// once, whether or not the daemon was running when they happened. The
// watch ends with ctx: no exit is handled after ctx is done.
func (s *Service) watchExits(ctx context.Context) error {
	// Non-blocking, so that the file is read through Go's poller and
	// closing it ends a pending read.
	fd, err := unix.InotifyInit1(unix.IN_CLOEXEC | unix.IN_NONBLOCK)
	if err != nil {
		return err
	}
	if _, err := unix.InotifyAddWatch(fd, s.exitDir, unix.IN_CLOSE_WRITE|unix.IN_MOVED_TO); err != nil {
		unix.Close(fd)
		return err
	}
	f := os.NewFile(uintptr(fd), "inotify")
	go func() {
		<-ctx.Done()
		f.Close()
	}()
	go func() {
		buf := make([]byte, 64*1024)
		for {
			n, err := f.Read(buf)
			if err != nil || ctx.Err() != nil {
				return
			}
			for off := 0; off+unix.SizeofInotifyEvent <= n; {
				// The kernel writes events aligned; view the header in place.
				ev := (*unix.InotifyEvent)(unsafe.Pointer(&buf[off]))
				name := strings.TrimRight(string(buf[off+unix.SizeofInotifyEvent:off+unix.SizeofInotifyEvent+int(ev.Len)]), "\x00")
				off += unix.SizeofInotifyEvent + int(ev.Len)
				// conmon writes "<id>.XXXXXX" and renames it to "<id>":
				// only the final name is an exit record.
				if isContainerID(name) {
					go s.handleExit(context.WithoutCancel(ctx), name)
				}
			}
		}
	}()
	return nil
}

// isContainerID reports whether name is a full container id.
func isContainerID(name string) bool {
	if len(name) != 64 {
		return false
	}
	for _, c := range name {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// readExitCode reads the code conmon recorded for id.
func (s *Service) readExitCode(id string) (int, bool) {
	data, err := os.ReadFile(filepath.Join(s.exitDir, id))
	if err != nil {
		return 0, false
	}
	code, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil {
		return 0, false
	}
	return code, true
}

// handleExit records that id's process ended, cleans up the run, and
// removes the container if it was started with --rm.
func (s *Service) handleExit(ctx context.Context, id string) {
	code, ok := s.readExitCode(id)
	if !ok {
		return
	}
	c, err := s.get(id)
	if err != nil || c.ID != id {
		return
	}
	c.mu.Lock()
	if !c.State.Running {
		c.mu.Unlock()
		return
	}
	s.recordExit(ctx, c, code)
	restarting := s.exited(ctx, c, code)
	autoRemove := c.HostConfig.AutoRemove && !restarting
	c.mu.Unlock()
	if autoRemove {
		if err := s.Remove(ctx, id, RemoveOptions{Force: true, RemoveVolumes: true}); err != nil && !errors.Is(err, errAlreadyRemoving) {
			s.log.Warn("auto-remove", "id", id, "err", err)
		}
	}
}

// recordExit marks c exited with code. Callers hold c.mu.
func (s *Service) recordExit(ctx context.Context, c *Container, code int) {
	_, oomErr := os.Stat(filepath.Join(s.bundle(c.ID), "persist", "oom"))
	s.cleanupRun(ctx, c)
	s.cfg.Uses.SetRunning(c.ID, false)
	c.State = container.State{
		Status:     container.StateExited,
		ExitCode:   code,
		StartedAt:  c.State.StartedAt,
		FinishedAt: formatTime(time.Now()),
		OOMKilled:  oomErr == nil,
		// The last health state stays visible after the exit, as in docker.
		Health: c.State.Health,
	}
	c.ended(code)
	if err := s.save(c); err != nil {
		s.log.Error("saving container state", "id", c.ID, "err", err)
	}
	c.notify()
	s.exitEvents(c)
	s.log.Debug("container exited", "id", c.ID, "code", code)
}

// restore reconciles records with reality after a daemon start: running
// containers whose process ended meanwhile get their exit code; those
// whose monitor vanished (a reboot) are marked exited with 255, as docker
// does.
func (s *Service) restore(ctx context.Context) {
	if s.cfg.Networks != nil {
		for _, id := range s.cfg.Networks.Attached() {
			if _, err := s.get(id); errs.Is(err, errdefs.ErrNotFound) {
				s.log.Warn("detaching the network of a container that is gone", "id", id)
				s.cfg.Networks.Detach(ctx, id)
			}
		}
	}
	for _, c := range s.all() {
		c.mu.Lock()
		exited := false
		switch {
		case isBuildStep(c):
			// No build outlives the daemon. Killed here, not by Remove:
			// exits are not watched yet, so Remove would wait for ever.
			// A step whose start the crash cut short has its monitor
			// and runtime still about, though not recorded running (the
			// crash campaign's build found one).
			s.killOrphan(ctx, c)
			if c.State.Running {
				s.recordExit(ctx, c, 137)
			}
			c.mu.Unlock()
			s.Remove(ctx, c.ID, RemoveOptions{Force: true})
			continue
		case c.State.Running:
			if code, ok := s.readExitCode(c.ID); ok {
				s.recordExit(ctx, c, code)
				exited = true
			} else if st, gone := s.runState(ctx, c); gone {
				s.recordExit(ctx, c, 255)
				exited = true
			} else if st != nil {
				s.reconcilePause(ctx, c, *st)
			}
		case c.State.Status == container.StateRemoving:
			c.mu.Unlock()
			// Remove reads the volumes part from the record (RemoveVolumes).
			s.Remove(ctx, c.ID, RemoveOptions{Force: true})
			continue
		default:
			// A start cut short by a crash may have left a created or
			// even running process, a mount and a bundle: undo them.
			s.killOrphan(ctx, c)
		}
		autoRemove := exited && c.HostConfig.AutoRemove
		c.mu.Unlock()
		if autoRemove {
			s.Remove(ctx, c.ID, RemoveOptions{Force: true, RemoveVolumes: true})
		}
	}
	s.restartAfterBoot(ctx)
}

// BuildStepLabel marks the container a build runs a step in. No build
// outlives the daemon, so its next start removes such a container.
const BuildStepLabel = "com.wharf.build.step"

func isBuildStep(c *Container) bool {
	_, ok := c.Config.Labels[BuildStepLabel]
	return ok
}

// reconcilePause makes a running container's record and its runtime
// agree on whether it is paused, after a crash between the runtime's
// pause (or resume) and the record: the runtime's word wins, except that
// a container a commit froze is thawed; st is the runtime's state of c.
// Callers hold c.mu.
func (s *Service) reconcilePause(ctx context.Context, c *Container, st runtime.State) {
	rt, err := s.runtimeFor(c.Runtime)
	if err != nil {
		return
	}
	paused := st.Status == "paused"
	if paused && c.PausedForCommit {
		s.log.Warn("thawing a container a commit cut short had paused", "id", c.ID)
		if err := rt.Resume(ctx, c.ID); err != nil {
			s.log.Warn("resume", "id", c.ID, "err", err)
			return
		}
		paused = false
	}
	if paused == c.State.Paused && !c.PausedForCommit {
		return
	}
	c.PausedForCommit = false
	c.State.Paused = paused
	c.State.Status = container.StateRunning
	if paused {
		c.State.Status = container.StatePaused
	}
	s.save(c)
}

// killOrphan removes the runtime state, mount and bundle of a container
// recorded as not running. Callers hold c.mu.
func (s *Service) killOrphan(ctx context.Context, c *Container) {
	rt, err := s.runtimeFor(c.Runtime)
	if err != nil {
		return
	}
	_, bundleErr := os.Stat(s.bundle(c.ID))
	if !rt.Exists(c.ID) && !isMounted(s.rootfsPath(c.ID)) && bundleErr != nil {
		return
	}
	s.log.Warn("cleaning up after an interrupted start", "id", c.ID)
	if bundleErr == nil {
		if n := killBundleProcesses(s.bundle(c.ID)); n > 0 {
			s.log.Warn("killed the monitor of an interrupted start", "id", c.ID, "processes", n)
		}
	}
	if rt.Exists(c.ID) {
		rt.Kill(ctx, c.ID, unix.SIGKILL, true)
	}
	s.cleanupRun(ctx, c)
}

// runState reads, once, the runtime's state of c, recorded as running
// (one read per container at start-up: a runc state.json is tens of KiB
// of JSON). gone: c ended without its monitor recording an exit, the
// runtime has no state (a reboot) or says it stopped. A container whose
// runtime is no longer configured, or whose state cannot be read, is left
// as it is (nil). Callers hold c.mu.
func (s *Service) runState(ctx context.Context, c *Container) (st *runtime.State, gone bool) {
	rt, err := s.runtimeFor(c.Runtime)
	if err != nil || !rt.Exists(c.ID) {
		return nil, err == nil
	}
	got, err := rt.State(ctx, c.ID)
	if errdefs.IsNotFound(err) {
		return nil, true
	}
	if err != nil {
		return nil, false
	}
	return &got, got.Status == "stopped"
}
