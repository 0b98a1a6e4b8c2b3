//go:build integration

package integration

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// grpcCall makes one CRI call bounded by stressHang and records it as
// call does an HTTP request: a call that runs out of time is a hang, an
// Internal or Unknown answer a failure.
func (s *stresser) grpcCall(what string, fn func(ctx context.Context) error) error {
	ctx, cancel := context.WithTimeout(context.Background(), stressHang)
	defer cancel()
	dump := time.AfterFunc(stressHang-5*time.Second, s.dumpGoroutines)
	err := fn(ctx)
	dump.Stop()
	code := status.Code(err)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls++
	s.status[int(code)]++
	if (code == codes.DeadlineExceeded || errors.Is(err, context.DeadlineExceeded)) && s.hung == nil {
		s.hung = fmt.Errorf("%s: %w", what, err)
	}
	if (code == codes.Internal || code == codes.Unknown) && len(s.failed) < 20 {
		s.failed = append(s.failed, fmt.Sprintf("%s: %v", what, err))
	}
	return err
}

// TestStressCRI races the CRI's pod and container lifecycles, as a kubelet
// under churn does: pods run, get containers, stop and go, while others
// stop and remove a shared pod under containers being created in it, and
// lists and statuses are read throughout. Nothing may hang, no call may
// fail for the daemon's own reasons, and once every pod is removed the
// daemon holds what it held before.
func TestStressCRI(t *testing.T) {
	ce := newCRIEnv(t)
	conn, err := grpc.NewClient("unix://"+filepath.Join(ce.execRoot, "cri.sock"), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	rt := runtimeapi.NewRuntimeServiceClient(conn)
	baseline := ce.leaks()
	s := newStresserOn(t, ce.env, stressDuration())
	var n atomic.Int32
	podConfig := func(name string) *runtimeapi.PodSandboxConfig {
		return &runtimeapi.PodSandboxConfig{
			Metadata: &runtimeapi.PodSandboxMetadata{Name: name, Namespace: "stress", Uid: name + "-uid"},
			Labels:   map[string]string{"stress": "1"},
			Linux:    &runtimeapi.LinuxPodSandboxConfig{},
		}
	}
	runContainer := func(podID string, pc *runtimeapi.PodSandboxConfig, name string) {
		var id string
		if s.grpcCall("CreateContainer", func(ctx context.Context) error {
			r, err := rt.CreateContainer(ctx, &runtimeapi.CreateContainerRequest{PodSandboxId: podID, SandboxConfig: pc,
				Config: &runtimeapi.ContainerConfig{Metadata: &runtimeapi.ContainerMetadata{Name: name},
					Image: &runtimeapi.ImageSpec{Image: "busybox"}, Command: []string{"sleep", "1000"}}})
			if err == nil {
				id = r.ContainerId
			}
			return err
		}) != nil {
			return
		}
		s.grpcCall("StartContainer", func(ctx context.Context) error {
			_, err := rt.StartContainer(ctx, &runtimeapi.StartContainerRequest{ContainerId: id})
			return err
		})
	}
	stopAndRemove := func(podID string) {
		s.grpcCall("StopPodSandbox", func(ctx context.Context) error {
			_, err := rt.StopPodSandbox(ctx, &runtimeapi.StopPodSandboxRequest{PodSandboxId: podID})
			return err
		})
		s.grpcCall("RemovePodSandbox", func(ctx context.Context) error {
			_, err := rt.RemovePodSandbox(ctx, &runtimeapi.RemovePodSandboxRequest{PodSandboxId: podID})
			return err
		})
	}
	runPod := func(pc *runtimeapi.PodSandboxConfig) string {
		var id string
		s.grpcCall("RunPodSandbox", func(ctx context.Context) error {
			r, err := rt.RunPodSandbox(ctx, &runtimeapi.RunPodSandboxRequest{Config: pc})
			if err == nil {
				id = r.PodSandboxId
			}
			return err
		})
		return id
	}
	// Pods of their own, through their whole life.
	for range 3 {
		s.loop(func() {
			pc := podConfig(fmt.Sprintf("own-%d", n.Add(1)))
			if id := runPod(pc); id != "" {
				runContainer(id, pc, "c")
				stopAndRemove(id)
			}
		})
	}
	// One shared pod: containers made in it while it is stopped, removed
	// and run again.
	shared := podConfig("shared")
	var sharedID atomic.Value
	sharedID.Store(runPod(shared))
	for range 2 {
		s.loop(func() { runContainer(sharedID.Load().(string), shared, fmt.Sprintf("c%d", n.Add(1))) })
	}
	s.loop(func() {
		time.Sleep(300 * time.Millisecond)
		stopAndRemove(sharedID.Load().(string))
		if id := runPod(shared); id != "" {
			sharedID.Store(id)
		}
	})
	// Reads.
	s.loop(func() {
		s.grpcCall("ListPodSandbox", func(ctx context.Context) error {
			_, err := rt.ListPodSandbox(ctx, &runtimeapi.ListPodSandboxRequest{})
			return err
		})
		s.grpcCall("ListContainers", func(ctx context.Context) error {
			_, err := rt.ListContainers(ctx, &runtimeapi.ListContainersRequest{})
			return err
		})
		s.grpcCall("PodSandboxStatus", func(ctx context.Context) error {
			_, err := rt.PodSandboxStatus(ctx, &runtimeapi.PodSandboxStatusRequest{PodSandboxId: sharedID.Load().(string)})
			return err
		})
	})
	s.wait()
	s.mu.Lock()
	t.Logf("CRI calls by gRPC code: %v", s.status)
	s.mu.Unlock()
	s.checkFailed("calls that failed for the daemon's reasons")

	// Every pod goes; then nothing is left of them.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	pods, err := rt.ListPodSandbox(ctx, &runtimeapi.ListPodSandboxRequest{})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pods.Items {
		if _, err := rt.StopPodSandbox(ctx, &runtimeapi.StopPodSandboxRequest{PodSandboxId: p.Id}); err != nil {
			t.Errorf("stopping pod %s after the stress: %v", p.Metadata.Name, err)
		}
		if _, err := rt.RemovePodSandbox(ctx, &runtimeapi.RemovePodSandboxRequest{PodSandboxId: p.Id}); err != nil {
			t.Errorf("removing pod %s after the stress: %v", p.Metadata.Name, err)
		}
	}
	ce.checkWhole(t, baseline, "the stress", "removing every pod")
}

// TestStressSwarmServices races service create, scale and rm on a
// one-node swarm: services of each client's own through their life, a
// shared one scaled up and down and removed and made again, and reads of
// services, tasks and containers. Nothing may hang or answer 500, and
// once every service is removed no task container is left and the daemon
// holds what it held after init.
func TestStressSwarmServices(t *testing.T) {
	e := privateDaemon(t, "{}")
	addr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	swarmCLI(t, e, "docker", "swarm", "init", "--advertise-addr", addr, "--listen-addr", addr)
	t.Cleanup(func() { e.run("docker", "swarm", "leave", "--force") })
	baseline := e.leaks()
	spec := func(name string, replicas int) string {
		return fmt.Sprintf(`{"Name":%q,"Labels":{"stress":"1"},"TaskTemplate":{"ContainerSpec":{"Image":"busybox","Command":["sleep","1000"],"StopGracePeriod":1000000000}},"Mode":{"Replicated":{"Replicas":%d}}}`, name, replicas)
	}
	s := newStresserOn(t, e, stressDuration())
	created := func(code int, body string) string {
		var r struct{ ID string }
		if code != 201 || json.Unmarshal([]byte(body), &r) != nil {
			return ""
		}
		return r.ID
	}
	scale := func(ref string, replicas int) {
		code, body := s.call("GET", "/services/"+ref, "")
		var svc struct {
			Version struct{ Index uint64 }
			Spec    struct{ Name string }
		}
		if code != 200 || json.Unmarshal([]byte(body), &svc) != nil {
			return
		}
		s.call("POST", fmt.Sprintf("/services/%s/update?version=%d", ref, svc.Version.Index), spec(svc.Spec.Name, replicas))
	}
	var n atomic.Int32
	for range 3 {
		s.loop(func() {
			id := created(s.call("POST", "/services/create", spec(fmt.Sprintf("stress-own-%d", n.Add(1)), 1)))
			if id == "" {
				return
			}
			scale(id, 2)
			scale(id, 0)
			s.call("DELETE", "/services/"+id, "")
		})
	}
	s.loop(func() {
		s.call("POST", "/services/create", spec("stress-shared", 1))
		time.Sleep(200 * time.Millisecond)
	})
	for i := range 2 {
		s.loop(func() { scale("stress-shared", i+2) })
	}
	s.loop(func() {
		time.Sleep(500 * time.Millisecond)
		s.call("DELETE", "/services/stress-shared", "")
	})
	s.loop(func() {
		for _, p := range []string{"/services", "/tasks", "/nodes", "/containers/json", "/services/stress-shared"} {
			s.call("GET", p, "")
		}
	})
	s.wait()
	s.mu.Lock()
	t.Logf("API answers by status: %v", s.status)
	s.mu.Unlock()
	s.checkFailed("answers of 500 and above")

	var services []struct{ ID string }
	e.apiJSON("/services", &services)
	for _, svc := range services {
		if _, _, err := e.api("DELETE", "/services/"+svc.ID, ""); err != nil {
			t.Errorf("removing a service after the stress: %v", err)
		}
	}
	waitFor(t, 60*time.Second, "the services' task containers to go", func() bool {
		var cs []json.RawMessage
		return e.apiJSON("/containers/json?all=1", &cs) && len(cs) == 0
	})
	e.checkWhole(t, baseline, "the stress", "removing every service")
}
