package cluster

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/swarm"
	"github.com/moby/swarmkit/v2/agent/exec"
	swarmapi "github.com/moby/swarmkit/v2/api"
	"github.com/moby/swarmkit/v2/manager/state/store"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/wharf/wharf/internal/filters"
)

// fakeExecutor runs tasks as nothing: a task is "running" from Start
// until it is shut down. It counts what runs, by task ID.
type fakeExecutor struct {
	hostname string

	mu      sync.Mutex
	running map[string]bool
	tasks   map[string]*swarmapi.Task // every task given a controller
}

func newFakeExecutor(hostname string) *fakeExecutor {
	return &fakeExecutor{hostname: hostname, running: map[string]bool{}, tasks: map[string]*swarmapi.Task{}}
}

func (e *fakeExecutor) Describe(context.Context) (*swarmapi.NodeDescription, error) {
	return &swarmapi.NodeDescription{
		Hostname:  e.hostname,
		Platform:  &swarmapi.Platform{OS: "linux", Architecture: "x86_64"},
		Resources: &swarmapi.Resources{NanoCPUs: 2e9, MemoryBytes: 1 << 30},
	}, nil
}
func (e *fakeExecutor) Configure(context.Context, *swarmapi.Node) error         { return nil }
func (e *fakeExecutor) SetNetworkBootstrapKeys([]*swarmapi.EncryptionKey) error { return nil }
func (e *fakeExecutor) Controller(t *swarmapi.Task) (exec.Controller, error) {
	e.mu.Lock()
	e.tasks[t.ID] = t.Copy()
	e.mu.Unlock()
	return &fakeController{e: e, id: t.ID, stop: make(chan struct{})}, nil
}

func (e *fakeExecutor) count() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.running)
}

type fakeController struct {
	e    *fakeExecutor
	id   string
	once sync.Once
	stop chan struct{}
}

func (c *fakeController) Update(context.Context, *swarmapi.Task) error { return nil }
func (c *fakeController) Prepare(context.Context) error                { return nil }
func (c *fakeController) Start(context.Context) error {
	c.e.mu.Lock()
	c.e.running[c.id] = true
	c.e.mu.Unlock()
	return nil
}
func (c *fakeController) Wait(ctx context.Context) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-c.stop:
		return nil
	}
}
func (c *fakeController) Shutdown(context.Context) error {
	c.e.mu.Lock()
	delete(c.e.running, c.id)
	c.e.mu.Unlock()
	c.once.Do(func() { close(c.stop) })
	return nil
}
func (c *fakeController) Terminate(ctx context.Context) error { return c.Shutdown(ctx) }
func (c *fakeController) Remove(ctx context.Context) error    { return c.Shutdown(ctx) }
func (c *fakeController) Close() error                        { return nil }

// freeAddr is a 127.0.0.1 address with a port free right now.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// newTestCluster is a cluster service with a fake executor, its state in
// a directory of the test's.
func newTestCluster(t *testing.T, name string) (*Cluster, *fakeExecutor) {
	t.Helper()
	// The control socket's path must fit a sockaddr_un: keep it short.
	dir, err := os.MkdirTemp("", "wsw")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	e := newFakeExecutor(name)
	c, err := New(Config{
		Root: filepath.Join(dir, "state"), ExecRoot: filepath.Join(dir, "run"),
		Executor: e, Log: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		c.Shutdown(ctx)
	})
	return c, e
}

func TestNotInSwarm(t *testing.T) {
	c, _ := newTestCluster(t, "a")
	ctx := context.Background()
	if _, err := c.Services(ctx, filters.Args{}, false); !errors.Is(err, errdefs.ErrUnavailable) ||
		err.Error() != `This node is not a swarm manager. Use "docker swarm init" or "docker swarm join" to connect this node to swarm and try again.` {
		t.Errorf("services before init: %v", err)
	}
	if err := c.Leave(ctx, false); !errors.Is(err, errdefs.ErrUnavailable) || err.Error() != "This node is not part of a swarm" {
		t.Errorf("leave before init: %v", err)
	}
	if info := c.Info(ctx); info.LocalNodeState != swarm.LocalNodeStateInactive || info.NodeID != "" {
		t.Errorf("info before init: %+v", info)
	}
}

func waitFor(t *testing.T, what string, timeout time.Duration, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestTwoNodes forms a swarm of a manager and a worker over 127.0.0.1,
// with swarmkit's real raft, CA, dispatcher and scheduler: the worker
// joins with the token, and the replicas of a service spread over both.
func TestTwoNodes(t *testing.T) {
	if testing.Short() {
		t.Skip("starts two swarmkit nodes")
	}
	ctx := context.Background()
	a, ea := newTestCluster(t, "node-a")
	b, eb := newTestCluster(t, "node-b")

	addrA := freeAddr(t)
	idA, err := a.Init(ctx, swarm.InitRequest{ListenAddr: addrA, AdvertiseAddr: addrA})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Init(ctx, swarm.InitRequest{ListenAddr: addrA}); !strings.Contains(fmt.Sprint(err), "already part of a swarm") {
		t.Errorf("second init: %v", err)
	}
	sw, err := a.Inspect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info := a.Info(ctx); info.LocalNodeState != swarm.LocalNodeStateActive || info.NodeID != idA || !info.ControlAvailable || info.Nodes != 1 || info.Managers != 1 {
		t.Errorf("manager info: %+v", info)
	}

	if err := b.Join(ctx, swarm.JoinRequest{ListenAddr: freeAddr(t), RemoteAddrs: []string{addrA}, JoinToken: "SWMTKN-1-bad"}); err == nil {
		t.Fatal("join with a bad token succeeded")
	}
	if b.Info(ctx).LocalNodeState != swarm.LocalNodeStateInactive {
		t.Error("a failed join left the node in a swarm")
	}
	if err := b.Join(ctx, swarm.JoinRequest{ListenAddr: freeAddr(t), RemoteAddrs: []string{addrA}, JoinToken: sw.JoinTokens.Worker}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "two ready nodes", 20*time.Second, func() bool {
		nodes, err := a.Nodes(ctx, filters.Args{})
		if err != nil || len(nodes) != 2 {
			return false
		}
		for _, n := range nodes {
			if n.Status.State != swarm.NodeStateReady {
				return false
			}
		}
		return true
	})
	if _, err := b.Services(ctx, filters.Args{}, false); !strings.Contains(fmt.Sprint(err), "Worker nodes can't be used") {
		t.Errorf("services on a worker: %v", err)
	}

	replicas := uint64(4)
	resp, err := a.CreateService(ctx, swarm.ServiceSpec{
		Annotations:  swarm.Annotations{Name: "web"},
		TaskTemplate: swarm.TaskSpec{ContainerSpec: &swarm.ContainerSpec{Image: "busybox", Args: []string{"sleep", "1000"}}},
		Mode:         swarm.ServiceMode{Replicated: &swarm.ReplicatedService{Replicas: &replicas}},
	}, "")
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "4 tasks spread 2+2", 30*time.Second, func() bool { return ea.count() == 2 && eb.count() == 2 })
	svcs, err := a.Services(ctx, filters.Args{}, true)
	if err != nil || len(svcs) != 1 || svcs[0].ID != resp.ID {
		t.Fatalf("services: %v %+v", err, svcs)
	}
	waitFor(t, "4/4 in the service status", 10*time.Second, func() bool {
		svcs, err := a.Services(ctx, filters.Args{}, true)
		return err == nil && svcs[0].ServiceStatus != nil && svcs[0].ServiceStatus.RunningTasks == 4
	})

	// Drain the worker: its tasks move to the manager.
	nb, err := a.Node(ctx, "node-b")
	if err != nil {
		t.Fatal(err)
	}
	nb.Spec.Availability = swarm.NodeAvailabilityDrain
	if err := a.UpdateNode(ctx, nb.ID, nb.Version.Index, nb.Spec); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the drained worker's tasks on the manager", 30*time.Second, func() bool { return ea.count() == 4 && eb.count() == 0 })

	if err := a.RemoveService(ctx, "web"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "no task left", 20*time.Second, func() bool { return ea.count() == 0 })

	if err := b.Leave(ctx, false); err != nil {
		t.Errorf("worker leave: %v", err)
	}
	if err := a.Leave(ctx, false); !strings.Contains(fmt.Sprint(err), "Removing the last manager erases all current state") {
		t.Errorf("last manager leave without force: %v", err)
	}
	if err := a.Leave(ctx, true); err != nil {
		t.Errorf("forced leave: %v", err)
	}
	if a.Info(ctx).LocalNodeState != swarm.LocalNodeStateInactive {
		t.Error("manager still in a swarm after leave")
	}
}

// TestRestart stops a manager's node (as a daemon stop does) and makes a
// new cluster service over the same state: it is the same node of the
// same swarm, and its service is still there.
func TestRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("starts swarmkit nodes")
	}
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "wsw")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	cfg := Config{Root: filepath.Join(dir, "state"), ExecRoot: filepath.Join(dir, "run"), Executor: newFakeExecutor("a"), Log: slog.New(slog.DiscardHandler)}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	addr := freeAddr(t)
	id, err := c.Init(ctx, swarm.InitRequest{ListenAddr: addr, AdvertiseAddr: addr})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateService(ctx, swarm.ServiceSpec{
		Annotations:  swarm.Annotations{Name: "kept"},
		TaskTemplate: swarm.TaskSpec{ContainerSpec: &swarm.ContainerSpec{Image: "busybox"}},
	}, ""); err != nil {
		t.Fatal(err)
	}
	stop, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if err := c.Shutdown(stop); err != nil {
		t.Fatal(err)
	}

	again, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer again.Shutdown(stop)
	waitFor(t, "the restarted node active", 30*time.Second, func() bool {
		info := again.Info(ctx)
		return info.LocalNodeState == swarm.LocalNodeStateActive && info.ControlAvailable
	})
	if info := again.Info(ctx); info.NodeID != id {
		t.Errorf("node ID %s after restart, want %s", info.NodeID, id)
	}
	if _, err := again.Service(ctx, "kept", false); err != nil {
		t.Errorf("service after restart: %v", err)
	}
}

// TestHostPorts checks that a task gets its service's mode=host ports,
// which the node-local allocator must copy into it for the executor.
func TestHostPorts(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a swarmkit node")
	}
	ctx := context.Background()
	c, e := newTestCluster(t, "a")
	addr := freeAddr(t)
	if _, err := c.Init(ctx, swarm.InitRequest{ListenAddr: addr, AdvertiseAddr: addr}); err != nil {
		t.Fatal(err)
	}
	spec := swarm.ServiceSpec{
		Annotations:  swarm.Annotations{Name: "hp"},
		TaskTemplate: swarm.TaskSpec{ContainerSpec: &swarm.ContainerSpec{Image: "busybox"}},
		EndpointSpec: &swarm.EndpointSpec{Mode: swarm.ResolutionModeVIP, Ports: []swarm.PortConfig{
			{Protocol: "tcp", TargetPort: 80, PublishedPort: 18080, PublishMode: swarm.PortConfigPublishModeIngress},
		}},
	}
	// An ingress port is the routing mesh's (it is accepted; the test
	// executor runs no mesh): the same port in mode=host is then taken.
	ing := spec
	ing.Annotations.Name = "ing"
	ing.EndpointSpec = &swarm.EndpointSpec{Ports: []swarm.PortConfig{{Protocol: "tcp", TargetPort: 80, PublishedPort: 18081, PublishMode: swarm.PortConfigPublishModeIngress}}}
	if _, err := c.CreateService(ctx, ing, ""); err != nil {
		t.Errorf("ingress port: %v", err)
	}
	spec.EndpointSpec.Ports[0].PublishMode = swarm.PortConfigPublishModeHost
	if _, err := c.CreateService(ctx, spec, ""); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "two running tasks", 20*time.Second, func() bool { return e.count() == 2 })
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, task := range e.tasks {
		if task.ServiceAnnotations.Name != "hp" {
			continue
		}
		if task.Endpoint == nil || task.Endpoint.Spec == nil || len(task.Endpoint.Spec.Ports) != 1 || task.Endpoint.Spec.Ports[0].PublishedPort != 18080 || task.Endpoint.Spec.Ports[0].PublishMode != swarmapi.PublishModeHost {
			t.Errorf("task endpoint: %+v", task.Endpoint)
		}
	}
}

// An update overtaken by another is a conflict (409), not a 500.
func TestSequenceConflictIsAConflict(t *testing.T) {
	err := fromGRPC(status.Error(codes.Unknown, store.ErrSequenceConflict.Error()))
	if !errdefs.IsConflict(err) || !strings.Contains(err.Error(), "update out of sequence") {
		t.Fatalf("%v: want a conflict in swarmkit's words", err)
	}
	if err := fromGRPC(status.Error(codes.Unknown, "other")); errdefs.IsConflict(err) {
		t.Fatalf("%v: an unknown error is not a conflict", err)
	}
}
