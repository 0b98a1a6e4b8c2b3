package container

import (
	"fmt"
	"strings"

	"github.com/moby/moby/api/types/container"

	"github.com/wharf/wharf/internal/errs"
)

// checkSharedNamespaces is dockerd's create-time lookup of the targets of
// --pid container:<ref> and --ipc container:<ref>: an unknown one is
// refused (400 "No such container: <ref>"), a known one is recorded by
// id, so that a rename of the target keeps the sharing
// (adaptSharedNamespaceContainer).
func (s *Service) checkSharedNamespaces(hc *container.HostConfig) error {
	if hc.PidMode.IsContainer() {
		t, err := s.get(hc.PidMode.Container())
		if err != nil {
			return errs.Invalid("%v", err)
		}
		hc.PidMode = container.PidMode("container:" + t.ID)
	}
	if hc.IpcMode.IsContainer() {
		t, err := s.get(hc.IpcMode.Container())
		if err != nil {
			return errs.Invalid("%v", err)
		}
		hc.IpcMode = container.IpcMode("container:" + t.ID)
	}
	return nil
}

// sharedNamespace is the path of the kind ("pid", "ipc") namespace of the
// running container ref, for a start with --pid or --ipc container:<ref>;
// dockerd's words when it is gone or stopped. Callers hold the starting
// container's mu; the target's is taken only to read its state, as
// joinContainerNetwork does.
func (s *Service) sharedNamespace(kind, ref string) (string, error) {
	t, err := s.get(ref)
	if err != nil {
		return "", errs.Invalid("failed to join %s namespace: %v", strings.ToUpper(kind), err)
	}
	t.mu.Lock()
	running, pid := t.State.Running, t.State.Pid
	t.mu.Unlock()
	if !running || pid <= 0 {
		return "", errs.Conflict("failed to join %s namespace: container %s is not running", strings.ToUpper(kind), t.ID)
	}
	return fmt.Sprintf("/proc/%d/ns/%s", pid, kind), nil
}
