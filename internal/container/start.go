package container

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/container"
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/wharf/wharf/internal/errs"
	"github.com/wharf/wharf/internal/runtime"
)

// Start runs a created or stopped container.
func (s *Service) Start(ctx context.Context, ref string) error {
	c, err := s.get(ref)
	if err != nil {
		return err
	}
	c.mu.Lock()
	s.resetRestart(c)
	err = s.startLocked(ctx, c)
	// A --rm container that cannot start is removed, as dockerd does: the
	// docker CLI waits for that removal before it reports the error.
	autoRemove := err != nil && !errdefs.IsNotModified(err) && c.HostConfig.AutoRemove && !c.removed
	c.mu.Unlock()
	if autoRemove {
		if rmErr := s.Remove(context.WithoutCancel(ctx), c.ID, RemoveOptions{Force: true}); rmErr != nil {
			s.log.Warn("auto-remove after failed start", "id", c.ID, "err", rmErr)
		}
	}
	return err
}

func (s *Service) startLocked(ctx context.Context, c *Container) error {
	switch {
	case c.removed || c.State.Status == container.StateRemoving:
		return errs.Conflict("container is marked for removal and cannot be started")
	case c.State.Paused:
		return errs.Conflict("cannot start a paused container, try unpause instead")
	case c.State.Running:
		return errs.NotModified("container already started")
	}
	start := time.Now()
	pid, err := s.launch(ctx, c)
	if err != nil {
		// A monitor whose runtime died may wait for ever: nothing of a
		// failed start may stay.
		killBundleProcesses(s.bundle(c.ID))
		s.cleanupRun(context.WithoutCancel(ctx), c)
		c.State.Error = err.Error()
		if errdefs.IsInvalidArgument(err) {
			c.State.ExitCode = startFailureCode(err.Error())
		}
		c.State.Status = container.StateCreated
		if c.StartGen > 0 {
			c.State.Status = container.StateExited
		}
		s.save(c)
		c.notify()
		s.failPending(c, err)
		return err
	}
	c.StartGen++
	c.stopping = false
	s.cfg.Uses.SetRunning(c.ID, true)
	c.State = container.State{
		Status:    container.StateRunning,
		Running:   true,
		Pid:       pid,
		StartedAt: formatTime(time.Now()),
		// FinishedAt keeps the previous run's end, as docker's does.
		FinishedAt: c.State.FinishedAt,
	}
	if c.State.FinishedAt == "" {
		c.State.FinishedAt = formatTime(time.Time{})
	}
	s.startHealth(c)
	if err := s.save(c); err != nil {
		s.log.Error("saving container state", "id", c.ID, "err", err)
	}
	c.notify()
	s.event(c, "start", nil)
	s.log.Debug("container started", "id", c.ID, "took", time.Since(start))
	return nil
}

// launch prepares the bundle, has conmon create the container, joins the
// waiting attachers to its stdio, and lets it run.
func (s *Service) launch(ctx context.Context, c *Container) (int, error) {
	rt, err := s.runtimeFor(c.Runtime)
	if err != nil {
		return 0, err
	}
	logOpts, err := s.logOptions(c)
	if err != nil {
		return 0, err
	}
	bundle := s.bundle(c.ID)
	if err := os.MkdirAll(bundle, 0o700); err != nil {
		return 0, err
	}
	rootfs, err := s.mountRootfs(ctx, c)
	if err != nil {
		return 0, err
	}
	if err := s.writeEtcFiles(c); err != nil {
		return 0, err
	}
	if err := s.podEtcFiles(c); err != nil {
		return 0, err
	}
	netNS, linkEnv, err := s.setupNetwork(ctx, c)
	if err != nil {
		return 0, err
	}
	if c.Pod != nil && c.Pod.NetNS != "" {
		netNS = c.Pod.NetNS
	}
	mounts, initBin, err := s.prepareRun(ctx, c, rootfs)
	if err != nil {
		return 0, err
	}
	in := specInput{Rootfs: rootfs, EtcFiles: s.dir(c.ID), CgroupParent: s.cfg.CgroupParent, Mounts: mounts, Init: initBin, NetNS: netNS,
		DefaultUlimits: s.cfg.DefaultUlimits, MaxNofile: daemonMaxNofile()}
	if m := c.HostConfig.PidMode; m.IsContainer() {
		if in.PidNS, err = s.sharedNamespace("pid", m.Container()); err != nil {
			return 0, err
		}
	}
	// The /dev/shm first: its check of an --ipc donor has dockerd's words.
	if in.ShmDir, err = s.shmDir(c); err != nil {
		return 0, err
	}
	if m := c.HostConfig.IpcMode; m.IsContainer() {
		if in.IpcNS, err = s.sharedNamespace("ipc", m.Container()); err != nil {
			return 0, err
		}
	}
	spec, err := buildSpec(c, in)
	if err != nil {
		return 0, err
	}
	spec.Process.Env = append(spec.Process.Env, linkEnv...)
	data, err := json.Marshal(spec)
	if err != nil {
		return 0, err
	}
	if err := os.WriteFile(filepath.Join(bundle, "config.json"), data, 0o600); err != nil {
		return 0, err
	}
	os.Remove(filepath.Join(s.exitDir, c.ID))
	pid, err := rt.Create(ctx, runtime.CreateOptions{
		ID:        c.ID,
		Bundle:    bundle,
		LogPath:   s.logPath(c),
		Log:       logOpts,
		ExitDir:   s.exitDir,
		Terminal:  c.Config.Tty,
		Stdin:     c.Config.OpenStdin,
		StdinOnce: c.Config.StdinOnce,
	})
	if err != nil {
		if owner := goneNamespaceOwner(spec); owner != 0 {
			// The container (a pod's sandbox, a --network container:)
			// whose namespaces this one joins stopped meanwhile: runc's
			// words for that ("Cannot allocate memory", a pid namespace
			// without its init) say nothing of it.
			return 0, errs.Conflict("cannot join the namespaces of process %d, which ended while this container started: %v", owner, err)
		}
		return 0, err
	}
	s.connectPending(c)
	if err := rt.Start(ctx, c.ID); err != nil {
		return 0, err
	}
	return pid, nil
}

// cleanupRun removes what a run left: the runtime's state, the rootfs
// mount and the bundle. It is safe to call on a half-made run.
func (s *Service) cleanupRun(ctx context.Context, c *Container) {
	if rt, err := s.runtimeFor(c.Runtime); err == nil && rt.Exists(c.ID) {
		if err := rt.Delete(ctx, c.ID, true); err != nil && !isNoSuchContainer(err) {
			s.log.Warn("runtime delete", "id", c.ID, "err", err)
		}
	}
	// A runtime killed in its create (wharfd killed in a start) leaves
	// the cgroup without a state to delete it by, and the runtime's
	// delete keeps its state-less leftovers when a task is still exiting:
	// a stopped container's cgroup is nobody's to keep.
	removeCgroups(cgroupsPath(c.HostConfig.CgroupParent, s.cfg.CgroupParent, c.ID))
	s.teardownNetwork(ctx, c)
	if err := s.unmountRootfs(c.ID); err != nil {
		s.log.Warn("unmount", "id", c.ID, "err", err)
	}
	s.unmountShm(c.ID)
	os.RemoveAll(s.bundle(c.ID))
	os.Remove(filepath.Join(s.exitDir, c.ID))
}

func isNoSuchContainer(err error) bool {
	return err != nil && (errdefs.IsNotFound(err) || strings.Contains(err.Error(), "does not exist"))
}

// startFailureCode is the exit code docker records for an entrypoint that
// could not be run (moby's translateContainerdStartErr): 126 when it
// cannot be executed (EACCES), 127 when it is missing.
func startFailureCode(msg string) int {
	if strings.Contains(strings.ToLower(msg), "permission denied") {
		return 126
	}
	return 127
}

// goneNamespaceOwner is the process, among those whose namespaces spec
// joins (/proc/PID/ns/...), that has ended or is ending; 0 if all run.
// Only a failed create asks, so it gives a process being killed a moment
// to show it.
func goneNamespaceOwner(spec *specs.Spec) int {
	if spec.Linux == nil {
		return 0
	}
	for try := 0; try < 2; try++ {
		if try > 0 {
			time.Sleep(100 * time.Millisecond)
		}
		for _, ns := range spec.Linux.Namespaces {
			rest, ok := strings.CutPrefix(ns.Path, "/proc/")
			if !ok {
				continue
			}
			pidText, _, _ := strings.Cut(rest, "/")
			if pid, err := strconv.Atoi(pidText); err == nil && ending(pid) {
				return pid
			}
		}
	}
	return 0
}

// ending reports whether pid is gone, a zombie, or exiting (the kernel's
// PF_EXITING: a pid namespace whose init is exiting takes no new process).
func ending(pid int) bool {
	f, ok := procStat(pid)
	if !ok {
		return true
	}
	// After the command: state, ppid, pgrp, session, tty, tpgid, flags.
	if len(f) < 7 {
		return false
	}
	if f[0] == "Z" || f[0] == "X" || f[0] == "x" {
		return true
	}
	flags, _ := strconv.ParseUint(f[6], 10, 64)
	const pfExiting = 0x4
	return flags&pfExiting != 0
}
