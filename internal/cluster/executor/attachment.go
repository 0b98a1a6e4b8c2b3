package executor

import (
	"context"
	"errors"
	"sync"

	"github.com/moby/swarmkit/v2/agent/exec"
	"github.com/moby/swarmkit/v2/api"
)

// Network-attachment tasks: the managers' answer to a container joining
// an attachable overlay network (cluster.AttachNetwork). The task carries
// the container's address; its controller hands it to whoever waits for
// it (WaitAttachment) and keeps the task running until the attachment is
// given back, as dockerd's networkAttacherController.

// attachments passes the attachment tasks the agent runs to the callers
// waiting for them. Its mu is a leaf.
type attachments struct {
	mu      sync.Mutex
	arrived map[string]*api.NetworkAttachment // by task ID
	waiting map[string]chan struct{}          // by task ID: closed when it arrives
}

func (a *attachments) wake(id string) chan struct{} {
	if a.waiting == nil {
		a.waiting, a.arrived = map[string]chan struct{}{}, map[string]*api.NetworkAttachment{}
	}
	ch := a.waiting[id]
	if ch == nil {
		ch = make(chan struct{})
		a.waiting[id] = ch
	}
	return ch
}

func (a *attachments) deliver(id string, att *api.NetworkAttachment) {
	a.mu.Lock()
	defer a.mu.Unlock()
	ch := a.wake(id)
	if _, ok := a.arrived[id]; !ok {
		a.arrived[id] = att
		close(ch)
	}
}

func (a *attachments) forget(id string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	delete(a.arrived, id)
	delete(a.waiting, id)
}

// WaitAttachment waits for the attachment task id to reach this node and
// returns its network (as the managers allocated it) and address.
func (e *Executor) WaitAttachment(ctx context.Context, id string) (*api.NetworkAttachment, error) {
	e.att.mu.Lock()
	ch := e.att.wake(id)
	e.att.mu.Unlock()
	select {
	case <-ctx.Done():
		return nil, errors.New("attaching to network failed, make sure your network options are correct and check manager logs: " + ctx.Err().Error())
	case <-ch:
	}
	e.att.mu.Lock()
	defer e.att.mu.Unlock()
	return e.att.arrived[id], nil
}

// ForgetAttachment drops what is kept of attachment id once it is given
// back.
func (e *Executor) ForgetAttachment(id string) { e.att.forget(id) }

// attachController runs a network-attachment task: it has nothing to
// make (the container's sandbox is joined by its caller) and runs until
// the managers remove it.
type attachController struct {
	e      *Executor
	task   *api.Task
	closed chan struct{}
}

var _ exec.Controller = (*attachController)(nil)

func (c *attachController) Update(context.Context, *api.Task) error { return nil }

func (c *attachController) Prepare(context.Context) error { return nil }

// Start hands the task's attachment to the caller waiting for it.
func (c *attachController) Start(context.Context) error {
	if len(c.task.Networks) == 0 {
		return errors.New("network attachment task without a network")
	}
	c.e.att.deliver(c.task.ID, c.task.Networks[0])
	return nil
}

// Wait blocks until the task is shut down: an attachment ends when the
// container gives it back.
func (c *attachController) Wait(ctx context.Context) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-c.closed:
		return exec.ErrControllerClosed
	}
}

func (c *attachController) Shutdown(context.Context) error  { return nil }
func (c *attachController) Terminate(context.Context) error { return nil }

func (c *attachController) Remove(context.Context) error {
	c.e.att.forget(c.task.ID)
	return nil
}

func (c *attachController) Close() error {
	select {
	case <-c.closed:
	default:
		close(c.closed)
	}
	return nil
}
