package cri

import (
	"context"
	"slices"
	"testing"

	"google.golang.org/grpc/codes"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// A pod's runtime handler (its RuntimeClass's handler) names the OCI
// runtime of its containers; Status lists every handler.
func TestRuntimeClassHandler(t *testing.T) {
	ts := newTestServerWith(t, func(c *Config) { c.Runtimes = []string{"crun", "runc"} })
	ctx := context.Background()
	st, err := ts.rt.Status(ctx, &runtimeapi.StatusRequest{})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, h := range st.RuntimeHandlers {
		names = append(names, h.Name)
	}
	if want := []string{"", runtimeName, "crun", "runc"}; !slices.Equal(names, want) {
		t.Errorf("runtime handlers %q, want %q", names, want)
	}
	ctr := &runtimeapi.ContainerConfig{Metadata: &runtimeapi.ContainerMetadata{Name: "c"}, Image: &runtimeapi.ImageSpec{Image: "busybox"}}
	for handler, want := range map[string]string{"crun": "crun", "runc": "runc", "": "", runtimeName: ""} {
		pc := hostPod("p-" + handler)
		run, err := ts.rt.RunPodSandbox(ctx, &runtimeapi.RunPodSandboxRequest{Config: pc, RuntimeHandler: handler})
		if err != nil {
			t.Fatalf("handler %q: %v", handler, err)
		}
		created, err := ts.rt.CreateContainer(ctx, &runtimeapi.CreateContainerRequest{PodSandboxId: run.PodSandboxId, Config: ctr, SandboxConfig: pc})
		if err != nil {
			t.Fatalf("handler %q: %v", handler, err)
		}
		if got := ts.containers.byID[created.ContainerId].opts.HostConfig.Runtime; got != want {
			t.Errorf("handler %q: the container's runtime is %q, want %q", handler, got, want)
		}
		status, err := ts.rt.PodSandboxStatus(ctx, &runtimeapi.PodSandboxStatusRequest{PodSandboxId: run.PodSandboxId})
		if err != nil || status.Status.RuntimeHandler != handler {
			t.Errorf("handler %q: status says %v (%v)", handler, status.GetStatus().GetRuntimeHandler(), err)
		}
	}
	_, err = ts.rt.RunPodSandbox(ctx, &runtimeapi.RunPodSandboxRequest{Config: hostPod("k"), RuntimeHandler: "kata"})
	wantCode(t, err, codes.InvalidArgument)
}
