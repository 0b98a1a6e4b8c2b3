package executor

import (
	"context"
	"errors"
	"os"

	"github.com/containerd/errdefs"
	"golang.org/x/sys/unix"

	"github.com/wharf/wharf/internal/api/backend"
	"github.com/wharf/wharf/internal/filters"
)

// RemoveNodeTasks removes the task containers of node nodeID and the
// task files, for `swarm leave`: the swarm that ran them is gone.
func (e *Executor) RemoveNodeTasks(ctx context.Context, nodeID string) error {
	f := filters.Args{}
	f.Add("label", LabelNodeID+"="+nodeID)
	list, err := e.cfg.Containers.List(ctx, backend.ContainerListOptions{All: true, Filters: f})
	if err != nil {
		return err
	}
	var errs []error
	for _, c := range list {
		if err := e.cfg.Containers.Remove(ctx, c.ID, backend.ContainerRemoveOptions{Force: true}); err != nil && !errdefs.IsNotFound(err) {
			errs = append(errs, err)
		}
	}
	if e.cfg.Overlay != nil {
		e.cfg.Overlay.Reset()
	}
	if e.cfg.TaskRoot != "" {
		// The tmpfs of the task files goes with the swarm's secrets,
		// also when an earlier daemon mounted it.
		e.mu.Lock()
		err := unix.Unmount(e.cfg.TaskRoot, unix.MNT_DETACH)
		if err != nil && !errors.Is(err, unix.EINVAL) && !errors.Is(err, unix.ENOENT) {
			errs = append(errs, err)
		}
		e.tmpfsReady = false
		e.mu.Unlock()
		if err := os.RemoveAll(e.cfg.TaskRoot); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// RemoveOrphanTasks removes the task containers whose task ID is not in
// keep: tasks swarmkit's worker forgot while the daemon was down (a
// service removed while its task was shutting down), which nothing else
// would ever stop.
func (e *Executor) RemoveOrphanTasks(ctx context.Context, keep map[string]bool) error {
	f := filters.Args{}
	f.Add("label", LabelTaskID)
	list, err := e.cfg.Containers.List(ctx, backend.ContainerListOptions{All: true, Filters: f})
	if err != nil {
		return err
	}
	var errs []error
	for _, c := range list {
		if keep[c.Labels[LabelTaskID]] {
			continue
		}
		if err := e.cfg.Containers.Remove(ctx, c.ID, backend.ContainerRemoveOptions{Force: true}); err != nil && !errdefs.IsNotFound(err) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
