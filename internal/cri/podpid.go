package cri

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/wharf/wharf/internal/errs"
	"github.com/wharf/wharf/internal/pause"
)

// A pod whose containers share one PID namespace (the sandbox's PID mode
// POD: shareProcessNamespace, and crictl's default) needs a process that
// lives as long as the pod, since a PID namespace ends with its first
// process: wharf's pause program (package pause, run from
// wharf-exec-init) is that process, PID 1 there. Its namespace is
// bind-mounted beside the pod's others, for the containers to join by
// path and for wharfd to know the process again after a restart.

// startPause starts the pod's pause process in a new PID namespace and
// bind-mounts the namespace at dir/pid. wharfd reaps it when it ends;
// after a wharfd restart its new parent does.
func startPause(program, dir string) (path string, pid int, err error) {
	if program == "" {
		return "", 0, errs.Invalid("a pod-wide PID namespace needs %s (wharf-exec-init), which wharfd did not find", pause.Name)
	}
	path = filepath.Join(dir, "pid")
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_RDONLY, 0o444)
	if err != nil {
		return "", 0, err
	}
	f.Close()
	// An empty directory to confine it to (package pause).
	root, err := pauseRoot(dir)
	if err != nil {
		os.Remove(path)
		return "", 0, err
	}
	cmd := &exec.Cmd{
		Path: program,
		Args: []string{pause.Name, root},
		Dir:  "/",
		// Its own session: a signal to wharfd's group does not reach it,
		// and it outlives wharfd as the pod's containers do. Network, IPC
		// and UTS namespaces of its own beside the new PID one: the
		// containers that see it reach none of the host's through it. Not
		// a mount namespace: its copy of the host's mounts would hold
		// every other pod's namespaces and root file systems; the
		// chroot to an empty directory (pause.Confine) hides them.
		SysProcAttr: &syscall.SysProcAttr{
			Cloneflags: unix.CLONE_NEWPID | unix.CLONE_NEWNET | unix.CLONE_NEWIPC | unix.CLONE_NEWUTS,
			Setsid:     true,
		},
	}
	if err := cmd.Start(); err != nil {
		os.Remove(path)
		return "", 0, fmt.Errorf("start %s: %w", pause.Name, err)
	}
	go cmd.Wait()
	pid = cmd.Process.Pid
	if err := unix.Mount(fmt.Sprintf("/proc/%d/ns/pid", pid), path, "", unix.MS_BIND, ""); err != nil {
		cmd.Process.Kill()
		os.Remove(path)
		return "", 0, fmt.Errorf("bind-mount the pod's PID namespace: %w", err)
	}
	return path, pid, nil
}

// stopPause kills the pod's pause process, and with it whatever still
// runs in the namespace, if pid is still that process: after a restart
// the number may be another's, so the namespace is compared first.
func stopPause(path string, pid int) error {
	if pid <= 0 || path == "" {
		return nil
	}
	var held, its unix.Stat_t
	if err := unix.Stat(path, &held); err != nil {
		if errors.Is(err, unix.ENOENT) {
			return nil
		}
		return err
	}
	if err := unix.Stat(fmt.Sprintf("/proc/%d/ns/pid", pid), &its); err != nil {
		return nil // gone
	}
	if held.Ino != its.Ino || held.Dev != its.Dev {
		return nil // the number is another process's now
	}
	if err := unix.Kill(pid, unix.SIGKILL); err != nil && !errors.Is(err, unix.ESRCH) {
		return fmt.Errorf("kill %s %d: %w", pause.Name, pid, err)
	}
	return nil
}
