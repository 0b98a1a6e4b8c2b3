package container

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"

	"golang.org/x/sys/unix"

	"github.com/wharf/wharf/internal/errs"
)

// shmDir is the host directory bound at c's /dev/shm, as dockerd's
// setupIpcDirs chooses it by IPC mode: a pod's container gets the pod's;
// --ipc host the host's; --ipc container:<ref> its donor's, which must be
// shareable (or host); --ipc shareable a tmpfs of its own mounted on the
// host side (shmPath), so that others can join it. "" (private, none)
// leaves /dev/shm to the spec: a private tmpfs, or nothing. Callers hold
// c's mu; a donor's is taken only to read its mode and state.
func (s *Service) shmDir(c *Container) (string, error) {
	hc := c.HostConfig
	switch {
	case c.Pod != nil:
		return c.Pod.ShmDir, nil
	case hc.IpcMode.IsHost():
		return "/dev/shm", nil
	case hc.IpcMode.IsContainer():
		return s.donorShmDir(hc.IpcMode.Container())
	case hc.IpcMode.IsShareable():
		return s.mountShm(c)
	}
	return "", nil
}

// shmPath is where a shareable container's /dev/shm is mounted on the
// host side: in its bundle, which goes when it stops (cleanupRun).
func (s *Service) shmPath(id string) string {
	return filepath.Join(s.bundle(id), "shm")
}

// mountShm mounts the tmpfs of a shareable container's /dev/shm.
func (s *Service) mountShm(c *Container) (string, error) {
	dir := s.shmPath(c.ID)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", err
	}
	opts := "mode=1777,size=" + strconv.FormatInt(shmSize(c.HostConfig), 10)
	if err := unix.Mount("shm", dir, "tmpfs", unix.MS_NOEXEC|unix.MS_NOSUID|unix.MS_NODEV, opts); err != nil {
		return "", &os.PathError{Op: "mounting shm tmpfs", Path: dir, Err: err}
	}
	return dir, nil
}

// unmountShm undoes mountShm; a container without one is fine.
func (s *Service) unmountShm(id string) {
	err := unix.Unmount(s.shmPath(id), unix.MNT_DETACH)
	if err != nil && !errors.Is(err, unix.EINVAL) && !errors.Is(err, unix.ENOENT) {
		s.log.Warn("unmount /dev/shm", "id", id, "err", err)
	}
}

// donorShmDir is the /dev/shm of the running container ref that an --ipc
// container:<ref> joins, refused in dockerd's words unless the donor
// shares it.
func (s *Service) donorShmDir(ref string) (string, error) {
	t, err := s.get(ref)
	if err != nil {
		return "", errs.Invalid("can't join IPC of container %s: %v", ref, err)
	}
	t.mu.Lock()
	mode, running := t.HostConfig.IpcMode, t.State.Running
	t.mu.Unlock()
	if !running {
		return "", errs.Conflict("can't join IPC of container %s: container %s is not running", t.ID, t.ID)
	}
	switch {
	case mode.IsHost():
		return "/dev/shm", nil
	case mode.IsShareable():
		dir := s.shmPath(t.ID)
		if isMounted(dir) {
			return dir, nil
		}
	}
	return "", errs.Conflict("can't join IPC of container %s: non-shareable IPC (hint: use IpcMode:shareable for the donor container)", t.ID)
}
