package container

import (
	"context"
	"syscall"

	"github.com/containerd/errdefs"
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/wharf/wharf/internal/runtime"
)

// Runtime is what the service needs of an OCI runtime and the monitor in
// front of it (internal/runtime: conmon and runc). A container's exit is
// not reported through a call: the monitor writes the exit code to
// <CreateOptions.ExitDir>/<id>, and the service watches that directory
// (monitor.go), so exits that happen while the daemon is down are found
// the same way.
type Runtime interface {
	// Create makes the container's process, stopped before it runs its
	// entrypoint, and returns its pid.
	Create(ctx context.Context, o runtime.CreateOptions) (int, error)
	// Start lets a created container's process run.
	Start(ctx context.Context, id string) error
	// Kill signals the container's init (all its processes with all).
	Kill(ctx context.Context, id string, sig syscall.Signal, all bool) error
	// Delete removes the runtime's state of a container.
	Delete(ctx context.Context, id string, force bool) error
	// Exists reports whether the runtime holds state for id.
	Exists(id string) bool
	// State is the runtime's view of a container; NotFound without state.
	State(ctx context.Context, id string) (runtime.State, error)
	Pause(ctx context.Context, id string) error
	Resume(ctx context.Context, id string) error
	// Pids lists the host pids of the container's processes.
	Pids(ctx context.Context, id string) ([]int, error)
	// Exec starts another process in a running container.
	Exec(ctx context.Context, id string, o runtime.ExecOptions) (runtime.Process, error)
	// Update changes a running container's resource limits.
	Update(ctx context.Context, id string, r *specs.LinuxResources) error
	// CgroupPaths returns the container's cgroup directories, controller
	// → path ("" for the unified hierarchy), for stats.
	CgroupPaths(id string) (map[string]string, error)
}

// processGone asks the runtime whether a container's process has ended,
// a moment ago or while the daemon was down. The runtime knows better
// than a check of the recorded pid, which may have been reused.
func processGone(ctx context.Context, rt Runtime, id string) bool {
	st, err := rt.State(ctx, id)
	if errdefs.IsNotFound(err) {
		return true
	}
	return err == nil && st.Status == "stopped"
}
