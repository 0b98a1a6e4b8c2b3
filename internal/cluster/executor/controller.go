package executor

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/containerd/errdefs"
	"github.com/distribution/reference"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/mount"
	"github.com/moby/moby/api/types/registry"
	"github.com/moby/moby/client/pkg/progress"
	"github.com/moby/swarmkit/v2/agent/exec"
	"github.com/moby/swarmkit/v2/api"
	"github.com/moby/swarmkit/v2/template"

	"github.com/wharf/wharf/internal/api/backend"
	"github.com/wharf/wharf/internal/errs"
)

// defaultStopGrace is docker's stop timeout when a service sets none.
const defaultStopGrace = 10 * time.Second

// healthPoll is how often a task with a health check is looked at while
// it starts and runs.
const healthPoll = 200 * time.Millisecond

// controller runs one task's container. swarmkit calls its methods from
// one goroutine per task, and Close from another.
type controller struct {
	e      *Executor
	task   *api.Task
	spec   *api.ContainerSpec // template-expanded
	name   string
	deps   exec.DependencyGetter
	closed chan struct{}
}

var (
	_ exec.Controller        = (*controller)(nil)
	_ exec.ContainerStatuser = (*controller)(nil)
	_ exec.PortStatuser      = (*controller)(nil)
)

func newController(e *Executor, t *api.Task, node *api.NodeDescription, deps exec.DependencyGetter) (*controller, error) {
	if t.Spec.GetContainer().Image == "" {
		return nil, errors.New("image reference not specified")
	}
	spec, err := template.ExpandContainerSpec(node, t)
	if err != nil {
		return nil, err
	}
	return &controller{e: e, task: t, spec: spec, name: containerName(t), deps: deps, closed: make(chan struct{})}, nil
}

func (c *controller) checkClosed() error {
	select {
	case <-c.closed:
		return exec.ErrControllerClosed
	default:
		return nil
	}
}

func (c *controller) taskDir() string { return filepath.Join(c.e.cfg.TaskRoot, c.task.ID) }

// Update accepts a new task definition: nothing of a running container
// changes in place, as in dockerd.
func (c *controller) Update(ctx context.Context, t *api.Task) error { return nil }

// Prepare pulls the image when it is missing and creates the container.
// A container of that name already there is this task's, made before a
// daemon restart: the task is prepared.
func (c *controller) Prepare(ctx context.Context) error {
	if err := c.checkClosed(); err != nil {
		return err
	}
	if _, err := c.e.cfg.Containers.Inspect(ctx, c.name, false); err == nil {
		return exec.ErrTaskPrepared
	}
	if err := c.ensureImage(ctx); err != nil {
		return err
	}
	mounts, err := c.files()
	if err != nil {
		return err
	}
	if _, err := c.e.cfg.Containers.Create(ctx, createOptions(c.task, c.spec, mounts)); err != nil {
		if errdefs.IsConflict(err) {
			if _, ierr := c.e.cfg.Containers.Inspect(ctx, c.name, false); ierr == nil {
				return exec.ErrTaskPrepared
			}
		}
		return err
	}
	return nil
}

// files writes the task's secrets and configs, if it has any.
func (c *controller) files() ([]mount.Mount, error) {
	if len(c.spec.Secrets) == 0 && len(c.spec.Configs) == 0 {
		return nil, nil
	}
	if err := c.e.taskRootReady(); err != nil {
		return nil, err
	}
	return writeFiles(c.taskDir(), c.spec, c.deps)
}

// ensureImage pulls the task's image unless it is here. A failed pull
// fails the task with the registry's words, as docker's "No such image".
func (c *controller) ensureImage(ctx context.Context) error {
	if _, err := c.e.cfg.Images.Inspect(ctx, c.spec.Image); err == nil {
		return nil
	}
	ref, err := reference.ParseNormalizedNamed(c.spec.Image)
	if err != nil {
		return fmt.Errorf("invalid image reference %q: %w", c.spec.Image, err)
	}
	ref = reference.TagNameOnly(ref)
	var o backend.ImagePullOptions
	if pull := c.spec.PullOptions; pull != nil && pull.RegistryAuth != "" {
		o.Auth = decodeAuth(pull.RegistryAuth)
	}
	if err := c.e.cfg.Images.Pull(ctx, ref, o, progress.DiscardOutput()); err != nil {
		if _, ierr := c.e.cfg.Images.Inspect(ctx, c.spec.Image); ierr == nil {
			return nil // pulled meanwhile by another task
		}
		if ctx.Err() != nil {
			return err
		}
		// As dockerd: the task is rejected with "No such image", so the
		// orchestrator makes a new one. The pull's own error is often
		// "temporary" (a DNS failure), which swarmkit would retry in
		// Preparing for ever; its words are kept, not its type.
		c.e.cfg.Log.Warn("pulling a task's image", "image", c.spec.Image, "err", err)
		return errs.NotFound("No such image: %s (%v)", c.spec.Image, err)
	}
	return nil
}

// decodeAuth reads the X-Registry-Auth value `service create` stored in
// the spec (base64url JSON); a bad one pulls anonymously.
func decodeAuth(s string) registry.AuthConfig {
	var ac registry.AuthConfig
	b, err := base64.URLEncoding.DecodeString(s)
	if err != nil {
		b, err = base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))
	}
	if err == nil {
		_ = json.Unmarshal(b, &ac)
	}
	return ac
}

// Start starts the container; one that is not in the created state was
// started before (a daemon restart) and is the task's, running or not.
// With a health check, Start returns once the container is healthy.
func (c *controller) Start(ctx context.Context) error {
	if err := c.checkClosed(); err != nil {
		return err
	}
	ctr, err := c.e.cfg.Containers.Inspect(ctx, c.name, false)
	if err != nil {
		return err
	}
	if ctr.State.Status != container.StateCreated {
		// A restarted daemon: the peer table learns the task again.
		if err := c.joinOverlay(ctx); err != nil {
			c.e.cfg.Log.Warn("swarm task: overlay", "task", c.task.ID, "err", err)
		}
		return exec.ErrTaskStarted
	}
	if err := c.e.cfg.Containers.Start(ctx, c.name); err != nil {
		return fmt.Errorf("starting container failed: %w", err)
	}
	if err := c.joinOverlay(ctx); err != nil {
		c.e.cfg.Containers.Kill(ctx, c.name, "KILL")
		c.leaveOverlay()
		return err
	}
	if c.spec.Healthcheck == nil || len(c.spec.Healthcheck.Test) == 0 || c.spec.Healthcheck.Test[0] == "NONE" {
		return nil
	}
	t := time.NewTicker(healthPoll)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-c.closed:
			return exec.ErrControllerClosed
		case <-t.C:
		}
		ctr, err := c.e.cfg.Containers.Inspect(ctx, c.name, false)
		if err != nil {
			return err
		}
		switch {
		case !ctr.State.Running:
			if ctr.State.ExitCode != 0 {
				return &exitError{code: ctr.State.ExitCode}
			}
			return nil
		case ctr.State.Health != nil && ctr.State.Health.Status == container.Healthy:
			return nil
		case ctr.State.Health != nil && ctr.State.Health.Status == container.Unhealthy:
			if err := c.Shutdown(ctx); err != nil {
				return fmt.Errorf("unhealthy container shutdown failed: %w", err)
			}
			return &exitError{code: 1, cause: errUnhealthy}
		}
	}
}

var errUnhealthy = errors.New("task: container unhealthy")

// Wait waits for the container to stop; a non-zero exit fails the task
// with its code. An unhealthy container is stopped and fails the task.
func (c *controller) Wait(ctx context.Context) error {
	if err := c.checkClosed(); err != nil {
		return err
	}
	// A restarted daemon's agent waits on its running tasks without
	// starting them: the peer table (and the routing mesh) learns them
	// here. Join changes nothing for a task it knows.
	if err := c.joinOverlay(ctx); err != nil {
		c.e.cfg.Log.Warn("swarm task: overlay", "task", c.task.ID, "err", err)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	unhealthy := make(chan struct{})
	if c.spec.Healthcheck != nil && len(c.spec.Healthcheck.Test) > 0 && c.spec.Healthcheck.Test[0] != "NONE" {
		go c.watchHealth(ctx, unhealthy)
	}
	ch, err := c.e.cfg.Containers.Wait(ctx, c.name, container.WaitConditionNotRunning)
	if err != nil {
		return err
	}
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-c.closed:
		return exec.ErrControllerClosed
	case res := <-ch:
		c.leaveOverlay()
		if res.Err != nil {
			return res.Err
		}
		if res.StatusCode != 0 {
			e := &exitError{code: int(res.StatusCode)}
			select {
			case <-unhealthy:
				e.cause = errUnhealthy
			default:
			}
			return e
		}
		return nil
	}
}

func (c *controller) watchHealth(ctx context.Context, unhealthy chan<- struct{}) {
	t := time.NewTicker(healthPoll)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		ctr, err := c.e.cfg.Containers.Inspect(ctx, c.name, false)
		if err != nil || !ctr.State.Running {
			return
		}
		if ctr.State.Health != nil && ctr.State.Health.Status == container.Unhealthy {
			close(unhealthy)
			_ = c.Shutdown(ctx)
			return
		}
	}
}

// Shutdown stops the container with the service's stop signal and grace
// period.
func (c *controller) Shutdown(ctx context.Context) error {
	if err := c.checkClosed(); err != nil {
		return err
	}
	grace := defaultStopGrace
	if c.spec.StopGracePeriod != nil {
		grace = time.Duration(c.spec.StopGracePeriod.Seconds)*time.Second + time.Duration(c.spec.StopGracePeriod.Nanos)
	}
	secs := int((grace + time.Second - 1) / time.Second)
	err := c.e.cfg.Containers.Stop(ctx, c.name, backend.ContainerStopOptions{Timeout: &secs})
	c.leaveOverlay()
	if err != nil && !errdefs.IsNotFound(err) && !errdefs.IsNotModified(err) {
		return err
	}
	return nil
}

// Terminate kills the container.
func (c *controller) Terminate(ctx context.Context) error {
	if err := c.checkClosed(); err != nil {
		return err
	}
	err := c.e.cfg.Containers.Kill(ctx, c.name, "KILL")
	if err != nil && !errdefs.IsNotFound(err) && !errdefs.IsConflict(err) {
		return err
	}
	return nil
}

// Remove stops and removes the container and the task's files.
func (c *controller) Remove(ctx context.Context) error {
	if err := c.checkClosed(); err != nil {
		return err
	}
	if err := c.Shutdown(ctx); err != nil {
		c.e.cfg.Log.Debug("swarm task: shutdown before removal failed", "task", c.task.ID, "err", err)
	}
	err := c.e.cfg.Containers.Remove(ctx, c.name, backend.ContainerRemoveOptions{Force: true})
	c.leaveOverlay()
	if err != nil && !errdefs.IsNotFound(err) {
		return err
	}
	if c.e.cfg.TaskRoot != "" {
		os.RemoveAll(c.taskDir())
	}
	return nil
}

// Close ends the controller's waits; the container is left as it is.
func (c *controller) Close() error {
	select {
	case <-c.closed:
	default:
		close(c.closed)
	}
	return nil
}

// ContainerStatus is the container's ID, pid and exit code for the task's
// status (`service ps`, `inspect` of a task).
func (c *controller) ContainerStatus(ctx context.Context) (*api.ContainerStatus, error) {
	ctr, err := c.e.cfg.Containers.Inspect(ctx, c.name, false)
	if err != nil {
		if errdefs.IsNotFound(err) {
			return nil, nil
		}
		return nil, err
	}
	return &api.ContainerStatus{ContainerID: ctr.ID, PID: int32(ctr.State.Pid), ExitCode: int32(ctr.State.ExitCode)}, nil
}

// PortStatus is the host ports the container published (mode=host).
func (c *controller) PortStatus(ctx context.Context) (*api.PortStatus, error) {
	ctr, err := c.e.cfg.Containers.Inspect(ctx, c.name, false)
	if err != nil {
		if errdefs.IsNotFound(err) {
			return nil, nil
		}
		return nil, err
	}
	st := &api.PortStatus{}
	if ctr.NetworkSettings == nil {
		return st, nil
	}
	for port, bindings := range ctr.NetworkSettings.Ports {
		var proto api.PortConfig_Protocol
		switch port.Proto() {
		case "udp":
			proto = api.ProtocolUDP
		case "sctp":
			proto = api.ProtocolSCTP
		default:
			proto = api.ProtocolTCP
		}
		for _, b := range bindings {
			hp, err := strconv.ParseUint(b.HostPort, 10, 16)
			if err != nil {
				continue
			}
			st.Ports = append(st.Ports, &api.PortConfig{
				PublishMode: api.PublishModeHost, Protocol: proto,
				TargetPort: uint32(port.Num()), PublishedPort: uint32(hp),
			})
		}
	}
	return st, nil
}

// exitError is a task's non-zero exit, which swarmkit's restart policy
// (on-failure) reads through ExitCode.
type exitError struct {
	code  int
	cause error
}

func (e *exitError) Error() string {
	if e.cause != nil {
		return fmt.Sprintf("task: non-zero exit (%d): %s", e.code, e.cause)
	}
	return fmt.Sprintf("task: non-zero exit (%d)", e.code)
}

func (e *exitError) ExitCode() int { return e.code }
func (e *exitError) Unwrap() error { return e.cause }
