package container

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/moby/moby/api/types/container"
	apinet "github.com/moby/moby/api/types/network"

	"github.com/wharf/wharf/internal/network"
)

// fakeNetworks is a network service whose interfaces are made in the
// background (network.AttachRequest.Background) only when the test says.
type fakeNetworks struct {
	mu       sync.Mutex
	build    chan error // what the background build ends with, when sent
	requests []network.AttachRequest
	detached []string
}

func (n *fakeNetworks) Exists(ref string) (string, error) { return ref, nil }

func (n *fakeNetworks) Attach(ctx context.Context, req network.AttachRequest) (*network.AttachResult, error) {
	n.mu.Lock()
	n.requests = append(n.requests, req)
	n.mu.Unlock()
	var once sync.Once
	var err error
	ready := func() error {
		once.Do(func() {
			if req.Background {
				err = <-n.build
			}
		})
		return err
	}
	return &network.AttachResult{NetNS: "/proc/self/ns/net", Hosts: []byte("127.0.0.1\tlocalhost\n"), Ready: ready}, nil
}

func (n *fakeNetworks) Detach(ctx context.Context, containerID string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.detached = append(n.detached, containerID)
}

func (n *fakeNetworks) AttachEndpoint(ctx context.Context, req network.EndpointRequest) (network.NetworkRef, error) {
	return network.NetworkRef{}, errors.New("not in this fake")
}

func (n *fakeNetworks) DetachEndpoint(ctx context.Context, containerID, ref string) (network.NetworkRef, bool, error) {
	return network.NetworkRef{}, false, errors.New("not in this fake")
}

func (n *fakeNetworks) Attached() []string                                               { return nil }
func (n *fakeNetworks) Rename(ctx context.Context, containerID, oldName, newName string) {}
func (n *fakeNetworks) NetNS(containerID string) string                                  { return "" }

func (n *fakeNetworks) Settings(containerID, mode string, configured map[string]*apinet.EndpointSettings) *container.NetworkSettings {
	return &container.NetworkSettings{}
}

func (n *fakeNetworks) PortSummaries(containerID string) []container.PortSummary { return nil }

func newNetTestDaemon(t *testing.T) (*testDaemon, *fakeNetworks) {
	t.Helper()
	d := newTestDaemon(t)
	d.cancel()
	d.stopped = true
	nets := &fakeNetworks{build: make(chan error, 1)}
	cfg := d.cfg
	cfg.Networks = nets
	return startTestDaemon(t, cfg, d.mounter), nets
}

// A container on a bridge is created by the runtime while its network's
// interfaces are made; it runs only once they are.
func TestStartWaitsForNetwork(t *testing.T) {
	d, nets := newNetTestDaemon(t)
	id := d.create(t, nil, &container.Config{Cmd: []string{"sleep", "60"}})
	started := make(chan error, 1)
	go func() { started <- d.Start(context.Background(), id) }()
	// The runtime's create happens before the network is ready.
	waitFor(t, 5*time.Second, "the runtime's create", func() bool {
		d.rt.mu.Lock()
		defer d.rt.mu.Unlock()
		fc := d.rt.containers[id]
		return fc != nil && fc.status == "created"
	})
	select {
	case err := <-started:
		t.Fatalf("started before its network was ready: %v", err)
	default:
	}
	nets.build <- nil
	if err := <-started; err != nil {
		t.Fatal(err)
	}
	if st := d.state(t, id); !st.Running {
		t.Fatalf("not running: %+v", st)
	}
	if !nets.requests[0].Background {
		t.Error("the network was not made in the background")
	}
}

// A network that fails to build fails the start and is detached; the
// runtime's container goes.
func TestStartNetworkFailure(t *testing.T) {
	d, nets := newNetTestDaemon(t)
	id := d.create(t, nil, &container.Config{Cmd: []string{"sleep", "60"}})
	nets.build <- errors.New("veth refused")
	err := d.Start(context.Background(), id)
	if err == nil || err.Error() != "veth refused" {
		t.Fatalf("start: %v", err)
	}
	if st := d.state(t, id); st.Running || st.Status != container.StateCreated {
		t.Fatalf("state after a failed start: %+v", st)
	}
	nets.mu.Lock()
	detached := len(nets.detached) > 0 && nets.detached[len(nets.detached)-1] == id
	nets.mu.Unlock()
	if !detached {
		t.Error("the failed start's network was not detached")
	}
	if d.rt.Exists(id) {
		t.Error("the runtime still has the container")
	}
	if left, _ := filepath.Glob(filepath.Join(d.cfg.RunRoot, id)); len(left) > 0 {
		t.Errorf("bundle left: %v", left)
	}
}

// A network sysctl may name an interface the runtime sets it on: those
// interfaces are made before the runtime runs.
func TestStartNetSysctlsWaitForInterfaces(t *testing.T) {
	d, nets := newNetTestDaemon(t)
	id := d.create(t, &container.HostConfig{Sysctls: map[string]string{"net.ipv4.conf.eth0.forwarding": "1"}}, &container.Config{Cmd: []string{"sleep", "60"}})
	if err := d.Start(context.Background(), id); err != nil {
		t.Fatal(err)
	}
	if nets.requests[0].Background {
		t.Error("interfaces made in the background for a container with a net.* sysctl")
	}
}
