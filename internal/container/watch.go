package container

import "github.com/moby/moby/api/types/container"

// live is what the long-lived watchers of a container read of it without
// c.mu: logs --follow, the wait loop and attach. A start, an exit's
// clean-up or a remove holds c.mu across slow work (runc, mounts, the
// network), and 20 followers polling c.mu would queue behind it each
// time. Like the view (view.go), a live is never changed once
// published; notify and publish replace it under c.mu. (Exec and a
// wait's first look still take c.mu for a snapshot: like dockerd's, an
// exec or wait asked during a start sees the container started.)
type live struct {
	running, paused, removed bool
	status                   container.ContainerState
	exitCode                 int
	startGen                 int
	// pending: attachers wait for the next start (it is about to run).
	pending bool
	// tty and stdinOnce are the container's, for an attach's pump.
	tty, stdinOnce bool
	// changed is closed at the next change (c.changed when published).
	changed chan struct{}
}

// publishLive publishes c's state for the watchers. Callers hold c.mu.
func (c *Container) publishLive() {
	l := &live{
		running: c.State.Running, paused: c.State.Paused, removed: c.removed,
		status: c.State.Status, exitCode: c.State.ExitCode, startGen: c.StartGen,
		pending: len(c.pending) > 0, changed: c.changed,
	}
	if c.Config != nil {
		l.tty, l.stdinOnce = c.Config.Tty, c.Config.StdinOnce
	}
	c.live.Store(l)
}

// watch is c's state as last published, without c.mu.
func (c *Container) watch() *live {
	if l := c.live.Load(); l != nil {
		return l
	}
	// Not published yet (a container being created or loaded).
	c.mu.Lock()
	defer c.mu.Unlock()
	c.publishLive()
	return c.live.Load()
}
