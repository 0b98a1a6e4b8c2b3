package executor

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/containerd/errdefs"
	"github.com/distribution/reference"
	gogotypes "github.com/gogo/protobuf/types"
	"github.com/moby/moby/api/types/container"
	imagetypes "github.com/moby/moby/api/types/image"
	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/client/pkg/progress"
	"github.com/moby/swarmkit/v2/agent/exec"
	"github.com/moby/swarmkit/v2/api"

	"github.com/wharf/wharf/internal/api/backend"
	"github.com/wharf/wharf/internal/errs"
)

// fakeContainers is the container service as far as the executor sees
// it: containers by name, with a state.
type fakeContainers struct {
	mu      sync.Mutex
	byName  map[string]*container.InspectResponse
	created []backend.ContainerCreateOptions
	exits   map[string]chan backend.ContainerWaitResult
}

func newFakeContainers() *fakeContainers {
	return &fakeContainers{byName: map[string]*container.InspectResponse{}, exits: map[string]chan backend.ContainerWaitResult{}}
}

func (f *fakeContainers) Create(_ context.Context, o backend.ContainerCreateOptions) (container.CreateResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.byName[o.Name]; ok {
		return container.CreateResponse{}, errs.Conflict("Conflict. The container name %q is already in use", o.Name)
	}
	id := "id-" + o.Name
	f.byName[o.Name] = &container.InspectResponse{ID: id, Name: "/" + o.Name, Config: o.Config, State: &container.State{Status: container.StateCreated}}
	f.created = append(f.created, o)
	f.exits[o.Name] = make(chan backend.ContainerWaitResult, 1)
	return container.CreateResponse{ID: id}, nil
}

func (f *fakeContainers) get(ref string) (*container.InspectResponse, error) {
	c, ok := f.byName[ref]
	if !ok {
		return nil, errs.NotFound("No such container: %s", ref)
	}
	return c, nil
}

func (f *fakeContainers) Start(_ context.Context, ref string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	c, err := f.get(ref)
	if err != nil {
		return err
	}
	c.State.Status, c.State.Running, c.State.Pid = container.StateRunning, true, 42
	return nil
}

// exit ends a running container with code.
func (f *fakeContainers) exit(ref string, code int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := f.byName[ref]
	c.State.Status, c.State.Running, c.State.ExitCode = container.StateExited, false, code
	f.exits[ref] <- backend.ContainerWaitResult{StatusCode: int64(code)}
}

func (f *fakeContainers) Stop(_ context.Context, ref string, _ backend.ContainerStopOptions) error {
	f.mu.Lock()
	c, err := f.get(ref)
	f.mu.Unlock()
	if err != nil {
		return err
	}
	if !c.State.Running {
		return errs.NotModified("not running")
	}
	f.exit(ref, 137)
	return nil
}

func (f *fakeContainers) Kill(ctx context.Context, ref, _ string) error {
	return f.Stop(ctx, ref, backend.ContainerStopOptions{})
}

func (f *fakeContainers) Remove(_ context.Context, ref string, _ backend.ContainerRemoveOptions) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, err := f.get(ref); err != nil {
		return err
	}
	delete(f.byName, ref)
	return nil
}

func (f *fakeContainers) Inspect(_ context.Context, ref string, _ bool) (container.InspectResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c, err := f.get(ref)
	if err != nil {
		return container.InspectResponse{}, err
	}
	cp := *c
	st := *c.State
	cp.State = &st
	return cp, nil
}

func (f *fakeContainers) Wait(_ context.Context, ref string, _ container.WaitCondition) (<-chan backend.ContainerWaitResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, err := f.get(ref); err != nil {
		return nil, err
	}
	return f.exits[ref], nil
}

func (f *fakeContainers) List(context.Context, backend.ContainerListOptions) ([]container.Summary, error) {
	return nil, nil
}

func (f *fakeContainers) Logs(context.Context, string, io.Writer, io.Writer, backend.ContainerLogsOptions) (bool, error) {
	return false, nil
}

type fakeImages struct {
	pulled  []string
	pullErr error
}

func (f *fakeImages) Inspect(_ context.Context, ref string) (*imagetypes.InspectResponse, error) {
	for _, p := range f.pulled {
		if p == ref || p == "docker.io/library/"+ref+":latest" {
			return &imagetypes.InspectResponse{ID: "sha256:1"}, nil
		}
	}
	return nil, errs.NotFound("No such image: %s", ref)
}

func (f *fakeImages) Pull(_ context.Context, ref reference.Named, _ backend.ImagePullOptions, _ progress.Output) error {
	if f.pullErr != nil {
		return f.pullErr
	}
	f.pulled = append(f.pulled, ref.String())
	return nil
}

func testTask() *api.Task {
	return &api.Task{
		ID: "task1", ServiceID: "svc1", NodeID: "node1", Slot: 2,
		ServiceAnnotations: api.Annotations{Name: "web"},
		Annotations:        api.Annotations{Labels: map[string]string{"from.task": "1"}},
		Spec: api.TaskSpec{Runtime: &api.TaskSpec_Container{Container: &api.ContainerSpec{
			Image: "busybox", Command: []string{"sh", "-c"}, Args: []string{"sleep 1"},
			Env: []string{"A=1"}, Labels: map[string]string{"from.spec": "1", "com.docker.swarm.task.id": "spoof"},
			StopGracePeriod: gogotypes.DurationProto(1),
		}}},
		Endpoint: &api.Endpoint{Spec: &api.EndpointSpec{Ports: []*api.PortConfig{
			{Protocol: api.ProtocolTCP, TargetPort: 80, PublishedPort: 8080, PublishMode: api.PublishModeHost},
		}}},
	}
}

func newTestExecutor() (*Executor, *fakeContainers, *fakeImages) {
	c, i := newFakeContainers(), &fakeImages{}
	return New(Config{Hostname: "h", Containers: c, Images: i, Log: slog.New(slog.DiscardHandler)}), c, i
}

// TestLifecycle runs a task through swarmkit's own exec.Do, as the
// agent does: pulled, created under docker's name, started, exited.
func TestLifecycle(t *testing.T) {
	ctx := context.Background()
	e, cs, imgs := newTestExecutor()
	task := testTask()
	ctlr, err := e.Controller(task)
	if err != nil {
		t.Fatal(err)
	}
	task.DesiredState = api.TaskStateRunning
	for task.Status.State < api.TaskStateRunning {
		st, err := exec.Do(ctx, task, ctlr)
		if err != nil && !errors.Is(err, exec.ErrTaskNoop) {
			t.Fatalf("at %v: %v", task.Status.State, err)
		}
		task.Status = *st
	}
	if len(imgs.pulled) != 1 {
		t.Errorf("pulled %v", imgs.pulled)
	}
	o := cs.created[0]
	if o.Name != "web.2.task1" {
		t.Errorf("name %q", o.Name)
	}
	if l := o.Config.Labels; l["com.docker.swarm.task.id"] != "task1" || l["com.docker.swarm.service.name"] != "web" ||
		l["com.docker.swarm.node.id"] != "node1" || l["com.docker.swarm.task.name"] != "web.2.task1" || l["from.spec"] != "1" || l["from.task"] != "1" {
		t.Errorf("labels %v", l)
	}
	if len(o.Config.Entrypoint) != 2 || len(o.Config.Cmd) != 1 || o.Config.Cmd[0] != "sleep 1" {
		t.Errorf("entrypoint %v cmd %v", o.Config.Entrypoint, o.Config.Cmd)
	}
	if b := o.HostConfig.PortBindings[network.MustParsePort("80/tcp")]; len(b) != 1 || b[0].HostPort != "8080" {
		t.Errorf("port bindings %v", o.HostConfig.PortBindings)
	}
	cs.exit("web.2.task1", 3)
	st, err := exec.Do(ctx, task, ctlr)
	if st.State != api.TaskStateFailed || st.GetContainer() == nil || st.GetContainer().ExitCode != 3 {
		t.Errorf("after exit 3: %v %v", st, err)
	}
}

// temporaryError says it is temporary, as net.DNSError does.
type temporaryError struct{}

func (temporaryError) Error() string   { return "lookup index.docker.io: network is unreachable" }
func (temporaryError) Temporary() bool { return true }

// TestUnreachableRegistryRejects: an image no registry gives rejects the
// task, as dockerd's "No such image", even when the pull failed with an
// error Go calls temporary (an unreachable DNS server), which swarmkit
// would otherwise retry in Preparing for ever.
func TestUnreachableRegistryRejects(t *testing.T) {
	ctx := context.Background()
	e, cs, imgs := newTestExecutor()
	imgs.pullErr = fmt.Errorf("Get %q: %w", "https://index.docker.io/v2/", temporaryError{})
	task := testTask()
	task.Spec.GetContainer().Image = "nosuch:1"
	ctlr, err := e.Controller(task)
	if err != nil {
		t.Fatal(err)
	}
	task.DesiredState = api.TaskStateRunning
	task.Status.State = api.TaskStatePreparing
	st, err := exec.Do(ctx, task, ctlr)
	if st.State != api.TaskStateRejected || !strings.HasPrefix(st.Err, "No such image: nosuch:1") {
		t.Fatalf("state %v err %q (%v), want rejected with No such image", st.State, st.Err, err)
	}
	if len(cs.created) != 0 {
		t.Errorf("created %d containers", len(cs.created))
	}
}

// TestReconcile is a daemon restart: the agent asks a new controller for
// a task whose container exists and runs. It must neither create nor
// start another; it waits on the one there.
func TestReconcile(t *testing.T) {
	ctx := context.Background()
	e, cs, _ := newTestExecutor()
	task := testTask()
	first, _ := e.Controller(task)
	if err := first.Prepare(ctx); err != nil {
		t.Fatal(err)
	}
	if err := first.Start(ctx); err != nil {
		t.Fatal(err)
	}

	again, _ := e.Controller(task)
	if err := again.Prepare(ctx); !errors.Is(err, exec.ErrTaskPrepared) {
		t.Errorf("prepare of an existing container: %v", err)
	}
	if err := again.Start(ctx); !errors.Is(err, exec.ErrTaskStarted) {
		t.Errorf("start of a running container: %v", err)
	}
	if len(cs.created) != 1 {
		t.Errorf("%d containers created", len(cs.created))
	}
	done := make(chan error, 1)
	go func() { done <- again.Wait(ctx) }()
	cs.exit("web.2.task1", 0)
	if err := <-done; err != nil {
		t.Errorf("wait: %v", err)
	}
	if err := again.Remove(ctx); err != nil {
		t.Errorf("remove: %v", err)
	}
	if _, err := cs.Inspect(ctx, "web.2.task1", false); !errdefs.IsNotFound(err) {
		t.Errorf("container after remove: %v", err)
	}
	if err := again.Remove(ctx); err != nil {
		t.Errorf("second remove: %v", err)
	}
}
