// Package container is the container service: it keeps container records,
// turns them into OCI bundles, and drives them through the runtime.
package container

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/moby/moby/api/types/container"
)

// Container is one container's record. The exported fields are persisted
// as <root>/containers/<id>/container.json; the rest lives in memory.
type Container struct {
	ID           string
	Name         string // with docker's leading "/"
	Created      time.Time
	Path         string
	Args         []string
	Config       *container.Config
	HostConfig   *container.HostConfig
	State        container.State
	ImageID      string
	Runtime      string
	RestartCount int
	// StartGen counts starts, so a waiter can tell one run from the next.
	StartGen int
	// Networking is the create request's NetworkingConfig (network.go).
	Networking *networkingConfig `json:"NetworkingConfig,omitempty"`
	// MountPoints are the volumes, binds and tmpfs worked out at create (mounts.go).
	MountPoints []*MountPoint `json:",omitempty"`
	// HasBeenManuallyStopped: the last exit was asked for (restart.go).
	HasBeenManuallyStopped bool `json:",omitempty"`
	// RemoveVolumes: a removal in progress (State.Status "removing") was
	// asked to remove the anonymous volumes too (rm -v), so the start that
	// finishes it after a crash removes them as well.
	RemoveVolumes bool `json:",omitempty"`
	// Pod: a container of a CRI pod (pod.go); nil for docker's.
	Pod *Pod `json:",omitempty"`
	// PausedForCommit: a commit froze the container and has not yet
	// thawed it, so the start after a crash thaws it (reconcilePause).
	PausedForCommit bool `json:",omitempty"`

	mu sync.Mutex
	// view is the record as list, inspect, stats and top see it, read
	// without mu (view.go).
	view atomic.Pointer[view]
	// changed is closed and replaced on every state change (a broadcast).
	changed chan struct{}
	// pending attachers join the container's stdio between create and start.
	pending []*attachment
	removed bool
	// stopping tells the exit handler that a stop was asked for (no restart).
	stopping bool
	restart  restartState // restart policy back-off (restart.go)
	// end is the current run's end, made when someone waits for it (wait.go).
	end *runEnd
}

// notify wakes everyone waiting on a state change. Callers hold c.mu.
func (c *Container) notify() {
	close(c.changed)
	c.changed = make(chan struct{})
}

// shortID is the 12-character id docker shows.
func shortID(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}

// formatTime renders times the way dockerd's inspect does.
func formatTime(t time.Time) string {
	if t.IsZero() {
		return "0001-01-01T00:00:00Z"
	}
	return t.UTC().Format(time.RFC3339Nano)
}
