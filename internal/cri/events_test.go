package cri

import (
	"context"
	"testing"
	"time"

	mobyevents "github.com/moby/moby/api/types/events"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// TestContainerEvents: the evented PLEG stream carries the pod's own
// events and its containers', each with the pod's and containers'
// statuses; other containers' events are not the kubelet's.
func TestContainerEvents(t *testing.T) {
	ts := newTestServer(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stream, err := ts.rt.GetContainerEvents(ctx, &runtimeapi.GetEventsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for !ts.srv.events.listening() {
		if time.Now().After(deadline) {
			t.Fatal("the stream never subscribed")
		}
		time.Sleep(5 * time.Millisecond)
	}
	next := func(wantID string, want runtimeapi.ContainerEventType) *runtimeapi.ContainerEventResponse {
		t.Helper()
		ev, err := stream.Recv()
		if err != nil {
			t.Fatal(err)
		}
		if ev.ContainerId != wantID || ev.ContainerEventType != want || ev.CreatedAt == 0 {
			t.Fatalf("event %v %s at %d, want %v %s", ev.ContainerEventType, ev.ContainerId, ev.CreatedAt, want, wantID)
		}
		return ev
	}

	podCfg := hostPod("ev")
	run, err := ts.rt.RunPodSandbox(ctx, &runtimeapi.RunPodSandboxRequest{Config: podCfg})
	if err != nil {
		t.Fatal(err)
	}
	pod := run.PodSandboxId
	next(pod, runtimeapi.ContainerEventType_CONTAINER_CREATED_EVENT)
	if ev := next(pod, runtimeapi.ContainerEventType_CONTAINER_STARTED_EVENT); ev.PodSandboxStatus.GetState() != runtimeapi.PodSandboxState_SANDBOX_READY {
		t.Errorf("pod status in its started event: %v", ev.PodSandboxStatus)
	}

	created, err := ts.rt.CreateContainer(ctx, &runtimeapi.CreateContainerRequest{PodSandboxId: pod, SandboxConfig: podCfg, Config: &runtimeapi.ContainerConfig{
		Metadata: &runtimeapi.ContainerMetadata{Name: "app"}, Image: &runtimeapi.ImageSpec{Image: "busybox"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	id := created.ContainerId
	if _, err := ts.rt.StartContainer(ctx, &runtimeapi.StartContainerRequest{ContainerId: id}); err != nil {
		t.Fatal(err)
	}
	// The container service publishes on the bus (the fake does not):
	// a docker container's event is left out, the pod's is passed on.
	ts.bus.Log(mobyevents.ContainerEventType, mobyevents.ActionStart, "docker-container", map[string]string{"name": "x"})
	ts.bus.Log(mobyevents.ContainerEventType, mobyevents.ActionStart, id, map[string]string{labelSandboxID: pod})
	ev := next(id, runtimeapi.ContainerEventType_CONTAINER_STARTED_EVENT)
	if ev.PodSandboxStatus.GetId() != pod || len(ev.ContainersStatuses) != 1 || ev.ContainersStatuses[0].Id != id ||
		ev.ContainersStatuses[0].State != runtimeapi.ContainerState_CONTAINER_RUNNING {
		t.Errorf("container started event: %v", ev)
	}

	if _, err := ts.rt.StopPodSandbox(ctx, &runtimeapi.StopPodSandboxRequest{PodSandboxId: pod}); err != nil {
		t.Fatal(err)
	}
	if ev := next(pod, runtimeapi.ContainerEventType_CONTAINER_STOPPED_EVENT); ev.PodSandboxStatus.GetState() != runtimeapi.PodSandboxState_SANDBOX_NOTREADY {
		t.Errorf("pod status in its stopped event: %v", ev.PodSandboxStatus)
	}
	if _, err := ts.rt.RemovePodSandbox(ctx, &runtimeapi.RemovePodSandboxRequest{PodSandboxId: pod}); err != nil {
		t.Fatal(err)
	}
	if ev := next(pod, runtimeapi.ContainerEventType_CONTAINER_DELETED_EVENT); ev.PodSandboxStatus != nil || len(ev.ContainersStatuses) != 0 {
		t.Errorf("deleted event: %v", ev)
	}

	// A kubelet that goes away ends its subscription.
	cancel()
	deadline = time.Now().Add(5 * time.Second)
	for ts.srv.events.listening() {
		if time.Now().After(deadline) {
			t.Fatal("the stream's subscription outlived the kubelet's connection")
		}
		time.Sleep(5 * time.Millisecond)
	}
}
