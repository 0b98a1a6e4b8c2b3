package cri

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/containerd/errdefs/pkg/errgrpc"
	containertypes "github.com/moby/moby/api/types/container"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/wharf/wharf/internal/events"
)

// testServer is a CRI server over fakes, served on a unix socket, and a
// client of it: the tests speak gRPC as the kubelet does.
type testServer struct {
	srv        *Server
	containers *fakeContainers
	images     *fakeImages
	bus        *events.Bus
	rt         runtimeapi.RuntimeServiceClient
	img        runtimeapi.ImageServiceClient
	cfg        Config
}

func newTestServer(t *testing.T) *testServer {
	t.Helper()
	return newTestServerWith(t, func(*Config) {})
}

// newTestServerWith is newTestServer with its configuration changed by edit.
func newTestServerWith(t *testing.T, edit func(*Config)) *testServer {
	t.Helper()
	dir := t.TempDir()
	ts := &testServer{containers: newFakeContainers(), images: newFakeImages("busybox:latest"), bus: events.New()}
	ts.cfg = Config{
		Root: filepath.Join(dir, "root"), RunRoot: filepath.Join(dir, "run"),
		CNIConfDir: filepath.Join(dir, "net.d"), CNIBinDirs: []string{filepath.Join(dir, "cni-bin")},
		Containers: ts.containers, Streamer: ts.containers, Resources: ts.containers, Images: ts.images,
		Events: ts.bus,
	}
	edit(&ts.cfg)
	ts.start(t)
	return ts
}

// start (re)starts the server on the configuration's roots.
func (ts *testServer) start(t *testing.T) {
	t.Helper()
	srv, err := New(ts.cfg)
	if err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(t.TempDir(), "cri.sock")
	ln, err := Listen(sock)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	conn, err := grpc.NewClient("unix://"+sock, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		conn.Close()
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	ts.srv = srv
	ts.rt = runtimeapi.NewRuntimeServiceClient(conn)
	ts.img = runtimeapi.NewImageServiceClient(conn)
}

func wantCode(t *testing.T, err error, code codes.Code) {
	t.Helper()
	if status.Code(err) != code {
		t.Fatalf("got %v, want code %v", err, code)
	}
}

func TestVersionStatusAndConfig(t *testing.T) {
	ts := newTestServer(t)
	ctx := context.Background()
	v, err := ts.rt.Version(ctx, &runtimeapi.VersionRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if v.RuntimeName != "wharf" || v.RuntimeApiVersion != "v1" {
		t.Errorf("version: %+v", v)
	}
	netReady := func() *runtimeapi.RuntimeCondition {
		st, err := ts.rt.Status(ctx, &runtimeapi.StatusRequest{Verbose: true})
		if err != nil {
			t.Fatal(err)
		}
		var found *runtimeapi.RuntimeCondition
		for _, c := range st.Status.Conditions {
			if c.Type == runtimeapi.RuntimeReady && !c.Status {
				t.Errorf("runtime not ready: %+v", c)
			}
			if c.Type == runtimeapi.NetworkReady {
				found = c
			}
		}
		return found
	}
	if c := netReady(); c.Status || c.Reason != "NetworkPluginNotReady" || !strings.Contains(c.Message, "no network configuration") {
		t.Errorf("no conf dir: %+v", c)
	}
	os.MkdirAll(ts.cfg.CNIConfDir, 0o755)
	conf := `{"cniVersion":"1.0.0","name":"t","plugins":[{"type":"fakeplug"}]}`
	os.WriteFile(filepath.Join(ts.cfg.CNIConfDir, "10-t.conflist"), []byte(conf), 0o644)
	if c := netReady(); c.Status || !strings.Contains(c.Message, "fakeplug") {
		t.Errorf("missing plugin: %+v", c)
	}
	os.MkdirAll(ts.cfg.CNIBinDirs[0], 0o755)
	os.WriteFile(filepath.Join(ts.cfg.CNIBinDirs[0], "fakeplug"), []byte("#!/bin/sh\n"), 0o755)
	if c := netReady(); !c.Status {
		t.Errorf("plugin installed: %+v", c)
	}
	os.WriteFile(filepath.Join(ts.cfg.CNIConfDir, "00-broken.conflist"), []byte("{"), 0o644)
	if c := netReady(); !c.Status {
		t.Errorf("a broken list beside a good one: %+v", c)
	}
	rc, err := ts.rt.RuntimeConfig(ctx, &runtimeapi.RuntimeConfigRequest{})
	if err != nil || rc.Linux.CgroupDriver != runtimeapi.CgroupDriver_CGROUPFS {
		t.Errorf("runtime config: %v %v", rc, err)
	}
}

func TestImages(t *testing.T) {
	ts := newTestServer(t)
	ctx := context.Background()
	list, err := ts.img.ListImages(ctx, &runtimeapi.ListImagesRequest{})
	if err != nil || len(list.Images) != 1 || list.Images[0].RepoTags[0] != "busybox:latest" {
		t.Fatalf("list: %v %v", list, err)
	}
	st, err := ts.img.ImageStatus(ctx, &runtimeapi.ImageStatusRequest{Image: &runtimeapi.ImageSpec{Image: "busybox"}})
	if err != nil || st.Image == nil || st.Image.Uid.GetValue() != 1000 || st.Image.Size != 100 {
		t.Fatalf("status: %v %v", st, err)
	}
	st, err = ts.img.ImageStatus(ctx, &runtimeapi.ImageStatusRequest{Image: &runtimeapi.ImageSpec{Image: "nosuch"}})
	if err != nil || st.Image != nil {
		t.Fatalf("status of a missing image: %v %v", st, err)
	}
	pulled, err := ts.img.PullImage(ctx, &runtimeapi.PullImageRequest{Image: &runtimeapi.ImageSpec{Image: "example.com/app:1"},
		Auth: &runtimeapi.AuthConfig{Username: "u", Password: "p"}})
	if err != nil || !strings.HasPrefix(pulled.ImageRef, "sha256:") {
		t.Fatalf("pull: %v %v", pulled, err)
	}
	_, err = ts.img.PullImage(ctx, &runtimeapi.PullImageRequest{Image: &runtimeapi.ImageSpec{Image: "Bad::ref"}})
	wantCode(t, err, codes.InvalidArgument)
	_, err = ts.img.PullImage(ctx, &runtimeapi.PullImageRequest{Image: &runtimeapi.ImageSpec{Image: "missing"}})
	wantCode(t, err, codes.NotFound)
	if _, err := ts.img.RemoveImage(ctx, &runtimeapi.RemoveImageRequest{Image: &runtimeapi.ImageSpec{Image: pulled.ImageRef}}); err != nil {
		t.Fatal(err)
	}
	if _, err := ts.img.RemoveImage(ctx, &runtimeapi.RemoveImageRequest{Image: &runtimeapi.ImageSpec{Image: pulled.ImageRef}}); err != nil {
		t.Fatalf("removing a removed image: %v", err)
	}
	fs, err := ts.img.ImageFsInfo(ctx, &runtimeapi.ImageFsInfoRequest{})
	if err != nil || fs.ImageFilesystems[0].UsedBytes.Value != 100 {
		t.Fatalf("fs info: %v %v", fs, err)
	}
}

// hostPod is a pod on the host's network and IPC: it needs no root.
func hostPod(name string) *runtimeapi.PodSandboxConfig {
	return &runtimeapi.PodSandboxConfig{
		Metadata:     &runtimeapi.PodSandboxMetadata{Name: name, Namespace: "ns", Uid: "uid-" + name},
		Labels:       map[string]string{"app": name},
		Annotations:  map[string]string{"note": "x"},
		LogDirectory: "/var/log/pods/" + name,
		DnsConfig:    &runtimeapi.DNSConfig{Servers: []string{"10.0.0.10"}, Searches: []string{"ns.svc"}, Options: []string{"ndots:5"}},
		Linux: &runtimeapi.LinuxPodSandboxConfig{SecurityContext: &runtimeapi.LinuxSandboxSecurityContext{
			NamespaceOptions: &runtimeapi.NamespaceOption{Network: runtimeapi.NamespaceMode_NODE, Ipc: runtimeapi.NamespaceMode_NODE, Pid: runtimeapi.NamespaceMode_CONTAINER},
		}},
	}
}

func TestPodLifecycle(t *testing.T) {
	ts := newTestServer(t)
	ctx := context.Background()
	podCfg := hostPod("web")
	run, err := ts.rt.RunPodSandbox(ctx, &runtimeapi.RunPodSandboxRequest{Config: podCfg})
	if err != nil {
		t.Fatal(err)
	}
	pod := run.PodSandboxId
	_, err = ts.rt.RunPodSandbox(ctx, &runtimeapi.RunPodSandboxRequest{Config: podCfg})
	wantCode(t, err, codes.FailedPrecondition) // the same metadata twice
	resolv, _ := os.ReadFile(filepath.Join(ts.cfg.Root, "sandboxes", pod, "resolv.conf"))
	if string(resolv) != "nameserver 10.0.0.10\nsearch ns.svc\noptions ndots:5\n" {
		t.Errorf("resolv.conf: %q", resolv)
	}
	other, err := ts.rt.RunPodSandbox(ctx, &runtimeapi.RunPodSandboxRequest{Config: hostPod("db")})
	if err != nil {
		t.Fatal(err)
	}
	list, err := ts.rt.ListPodSandbox(ctx, &runtimeapi.ListPodSandboxRequest{Filter: &runtimeapi.PodSandboxFilter{LabelSelector: map[string]string{"app": "web"}}})
	if err != nil || len(list.Items) != 1 || list.Items[0].Id != pod {
		t.Fatalf("list by label: %v %v", list, err)
	}
	list, _ = ts.rt.ListPodSandbox(ctx, &runtimeapi.ListPodSandboxRequest{Filter: &runtimeapi.PodSandboxFilter{Id: other.PodSandboxId[:12]}})
	if len(list.Items) != 1 || list.Items[0].Id != other.PodSandboxId {
		t.Fatalf("list by id prefix: %v", list)
	}

	ctrCfg := &runtimeapi.ContainerConfig{
		Metadata: &runtimeapi.ContainerMetadata{Name: "app", Attempt: 2},
		Image:    &runtimeapi.ImageSpec{Image: "busybox"},
		Command:  []string{"sleep"}, Args: []string{"100"},
		Envs:    []*runtimeapi.KeyValue{{Key: "A", Value: []byte("1")}},
		Labels:  map[string]string{"io.kubernetes.container.name": "app"},
		LogPath: "app/2.log",
		Linux: &runtimeapi.LinuxContainerConfig{SecurityContext: &runtimeapi.LinuxContainerSecurityContext{
			RunAsUser: &runtimeapi.Int64Value{Value: 1000}, RunAsGroup: &runtimeapi.Int64Value{Value: 2000},
			NoNewPrivs: true, ReadonlyRootfs: true,
			Capabilities: &runtimeapi.Capability{AddCapabilities: []string{"NET_ADMIN"}},
		}},
	}
	created, err := ts.rt.CreateContainer(ctx, &runtimeapi.CreateContainerRequest{PodSandboxId: pod, Config: ctrCfg, SandboxConfig: podCfg})
	if err != nil {
		t.Fatal(err)
	}
	id := created.ContainerId
	fc := ts.containers.byID[id]
	o, p := fc.opts, fc.pod
	if o.Name != "k8s_app_web_ns_uid-web_2" || p.Namespace != Namespace || p.LogPath != "/var/log/pods/web/app/2.log" ||
		p.EtcDir != filepath.Join(ts.cfg.Root, "sandboxes", pod) || p.NetNS != "" || p.ShmDir != "/dev/shm" {
		t.Errorf("create: name %q pod %+v", o.Name, p)
	}
	hc := o.HostConfig
	if hc.NetworkMode != "host" || hc.IpcMode != "host" || o.Config.User != "1000:2000" || !hc.ReadonlyRootfs ||
		hc.SecurityOpt[0] != "no-new-privileges" || hc.CapAdd[0] != "NET_ADMIN" || o.Config.Env[0] != "A=1" ||
		o.Config.Entrypoint[0] != "sleep" || o.Config.Cmd[0] != "100" {
		t.Errorf("create options: %+v %+v", o.Config, hc)
	}
	if _, err := ts.rt.StartContainer(ctx, &runtimeapi.StartContainerRequest{ContainerId: id[:10]}); err != nil {
		t.Fatal(err)
	}
	ctrs, err := ts.rt.ListContainers(ctx, &runtimeapi.ListContainersRequest{Filter: &runtimeapi.ContainerFilter{PodSandboxId: pod,
		State: &runtimeapi.ContainerStateValue{State: runtimeapi.ContainerState_CONTAINER_RUNNING}}})
	if err != nil || len(ctrs.Containers) != 1 {
		t.Fatalf("list containers: %v %v", ctrs, err)
	}
	c := ctrs.Containers[0]
	if c.Metadata.Name != "app" || c.Metadata.Attempt != 2 || c.Image.Image != "busybox" || len(c.Labels) != 1 {
		t.Errorf("listed container: %v", c)
	}
	st, err := ts.rt.ContainerStatus(ctx, &runtimeapi.ContainerStatusRequest{ContainerId: id})
	if err != nil || st.Status.State != runtimeapi.ContainerState_CONTAINER_RUNNING || st.Status.LogPath != p.LogPath || st.Status.StartedAt == 0 {
		t.Fatalf("status: %v %v", st, err)
	}
	stats, err := ts.rt.ListContainerStats(ctx, &runtimeapi.ListContainerStatsRequest{Filter: &runtimeapi.ContainerStatsFilter{PodSandboxId: pod}})
	if err != nil || len(stats.Stats) != 1 || stats.Stats[0].Memory.WorkingSetBytes.Value != 200 || stats.Stats[0].Cpu.UsageCoreNanoSeconds.Value != 5000 {
		t.Fatalf("stats: %v %v", stats, err)
	}
	pst, err := ts.rt.PodSandboxStats(ctx, &runtimeapi.PodSandboxStatsRequest{PodSandboxId: pod})
	if err != nil || pst.Stats.Linux.Memory.WorkingSetBytes.Value != 200 || len(pst.Stats.Linux.Containers) != 1 {
		t.Fatalf("pod stats: %v %v", pst, err)
	}
	if _, err := ts.rt.UpdateContainerResources(ctx, &runtimeapi.UpdateContainerResourcesRequest{ContainerId: id,
		Linux: &runtimeapi.LinuxContainerResources{MemoryLimitInBytes: 64 << 20}}); err != nil || fc.opts.HostConfig.Memory != 64<<20 {
		t.Fatalf("update: %v, memory %d", err, fc.opts.HostConfig.Memory)
	}
	ts.containers.execOut, ts.containers.execRC = "out\n", 3
	ex, err := ts.rt.ExecSync(ctx, &runtimeapi.ExecSyncRequest{ContainerId: id, Cmd: []string{"true"}, Timeout: 5})
	if err != nil || string(ex.Stdout) != "out\n" || ex.ExitCode != 3 {
		t.Fatalf("exec sync: %v %v", ex, err)
	}
	execURL, err := ts.rt.Exec(ctx, &runtimeapi.ExecRequest{ContainerId: id, Cmd: []string{"sh"}, Stdout: true})
	if err != nil || !strings.HasPrefix(execURL.Url, "http://127.0.0.1:") {
		t.Fatalf("exec url: %v %v", execURL, err)
	}

	if _, err := ts.rt.StopPodSandbox(ctx, &runtimeapi.StopPodSandboxRequest{PodSandboxId: pod}); err != nil {
		t.Fatal(err)
	}
	if fc.state != containertypes.StateExited {
		t.Errorf("stopping the pod left its container %s", fc.state)
	}
	ps, err := ts.rt.PodSandboxStatus(ctx, &runtimeapi.PodSandboxStatusRequest{PodSandboxId: pod})
	if err != nil || ps.Status.State != runtimeapi.PodSandboxState_SANDBOX_NOTREADY || ps.Status.Labels["app"] != "web" {
		t.Fatalf("stopped pod: %v %v", ps, err)
	}
	_, err = ts.rt.CreateContainer(ctx, &runtimeapi.CreateContainerRequest{PodSandboxId: pod, Config: ctrCfg})
	wantCode(t, err, codes.FailedPrecondition) // not ready

	// A restarted server finds its pods.
	ts.start(t)
	ps, err = ts.rt.PodSandboxStatus(ctx, &runtimeapi.PodSandboxStatusRequest{PodSandboxId: pod})
	if err != nil || ps.Status.State != runtimeapi.PodSandboxState_SANDBOX_NOTREADY {
		t.Fatalf("after restart: %v %v", ps, err)
	}
	for range 2 {
		if _, err := ts.rt.RemovePodSandbox(ctx, &runtimeapi.RemovePodSandboxRequest{PodSandboxId: pod}); err != nil {
			t.Fatal(err)
		}
	}
	if len(ts.containers.byID) != 0 {
		t.Errorf("removing the pod left containers")
	}
	if _, err := os.Stat(filepath.Join(ts.cfg.Root, "sandboxes", pod)); !os.IsNotExist(err) {
		t.Errorf("record left: %v", err)
	}
	_, err = ts.rt.PodSandboxStatus(ctx, &runtimeapi.PodSandboxStatusRequest{PodSandboxId: pod})
	wantCode(t, err, codes.NotFound)
	if _, err := ts.rt.RemovePodSandbox(ctx, &runtimeapi.RemovePodSandboxRequest{PodSandboxId: other.PodSandboxId}); err != nil {
		t.Fatal(err)
	}
}

func TestBadInput(t *testing.T) {
	ts := newTestServer(t)
	ctx := context.Background()
	_, err := ts.rt.RunPodSandbox(ctx, &runtimeapi.RunPodSandboxRequest{Config: &runtimeapi.PodSandboxConfig{}})
	wantCode(t, err, codes.InvalidArgument)
	_, err = ts.rt.RunPodSandbox(ctx, &runtimeapi.RunPodSandboxRequest{Config: hostPod("x"), RuntimeHandler: "kata"})
	wantCode(t, err, codes.InvalidArgument)
	ctr := &runtimeapi.ContainerConfig{Metadata: &runtimeapi.ContainerMetadata{Name: "c"}, Image: &runtimeapi.ImageSpec{Image: "busybox"}}
	_, err = ts.rt.CreateContainer(ctx, &runtimeapi.CreateContainerRequest{PodSandboxId: "nosuchpod", Config: ctr})
	wantCode(t, err, codes.NotFound)
	_, err = ts.rt.CreateContainer(ctx, &runtimeapi.CreateContainerRequest{PodSandboxId: "x", Config: &runtimeapi.ContainerConfig{}})
	wantCode(t, err, codes.InvalidArgument)
	_, err = ts.rt.ContainerStatus(ctx, &runtimeapi.ContainerStatusRequest{ContainerId: "nosuch"})
	wantCode(t, err, codes.NotFound)
	_, err = ts.rt.ExecSync(ctx, &runtimeapi.ExecSyncRequest{ContainerId: "nosuch"})
	wantCode(t, err, codes.InvalidArgument)
	if _, err := ts.rt.StopPodSandbox(ctx, &runtimeapi.StopPodSandboxRequest{PodSandboxId: "nosuch"}); err != nil {
		t.Errorf("stopping a missing pod: %v", err)
	}
	if _, err := ts.rt.RemoveContainer(ctx, &runtimeapi.RemoveContainerRequest{ContainerId: "nosuch"}); err != nil {
		t.Errorf("removing a missing container: %v", err)
	}
	// A container of docker's own is not the CRI's.
	ts.containers.byID["d"+strings.Repeat("0", 63)] = &fakeContainer{opts: ctrOpts("mine"), state: containertypes.StateRunning}
	_, err = ts.rt.StartContainer(ctx, &runtimeapi.StartContainerRequest{ContainerId: "d000"})
	wantCode(t, err, codes.NotFound)
	if _, err := ts.rt.StopContainer(ctx, &runtimeapi.StopContainerRequest{ContainerId: "d000"}); err != nil {
		t.Errorf("stopping a container that is not the CRI's: %v", err)
	}
	if fc := ts.containers.byID["d"+strings.Repeat("0", 63)]; fc.state != containertypes.StateRunning {
		t.Errorf("the CRI stopped docker's container")
	}
}

func TestLimitedBuffer(t *testing.T) {
	b := &limitedBuffer{max: 4}
	for _, s := range []string{"ab", "cde", "f"} {
		if n, err := b.Write([]byte(s)); n != len(s) || err != nil {
			t.Fatal(n, err)
		}
	}
	if b.String() != "abcd" {
		t.Errorf("kept %q", b.String())
	}
}

// TestConcurrentPods runs, lists and removes pods from many clients at
// once (run with -race): each pod ends up made once and removed cleanly.
func TestConcurrentPods(t *testing.T) {
	ts := newTestServer(t)
	ctx := context.Background()
	const n = 12
	errc := make(chan error, 3*n)
	for i := range n {
		go func() {
			cfg := hostPod(fmt.Sprintf("p%d", i%(n/2))) // two runs of each pod race
			run, err := ts.rt.RunPodSandbox(ctx, &runtimeapi.RunPodSandboxRequest{Config: cfg})
			if status.Code(err) == codes.FailedPrecondition {
				errc <- nil // the other run of this pod won
				return
			}
			if err != nil {
				errc <- err
				return
			}
			ctr := &runtimeapi.ContainerConfig{Metadata: &runtimeapi.ContainerMetadata{Name: "c"}, Image: &runtimeapi.ImageSpec{Image: "busybox"}}
			if _, err := ts.rt.CreateContainer(ctx, &runtimeapi.CreateContainerRequest{PodSandboxId: run.PodSandboxId, Config: ctr}); err != nil {
				errc <- err
				return
			}
			if _, err := ts.rt.ListPodSandbox(ctx, &runtimeapi.ListPodSandboxRequest{}); err != nil {
				errc <- err
				return
			}
			_, err = ts.rt.RemovePodSandbox(ctx, &runtimeapi.RemovePodSandboxRequest{PodSandboxId: run.PodSandboxId})
			errc <- err
		}()
	}
	for range n {
		if err := <-errc; err != nil {
			t.Error(err)
		}
	}
	list, _ := ts.rt.ListPodSandbox(ctx, &runtimeapi.ListPodSandboxRequest{})
	if len(list.Items) != 0 || len(ts.containers.byID) != 0 {
		t.Errorf("left: %d pods, %d containers", len(list.Items), len(ts.containers.byID))
	}
}

// TestPodNetworkNotReady: a pod network without a usable CNI
// configuration (none, or a plugin missing) is refused with
// FailedPrecondition and the reason, before anything is made for it.
func TestPodNetworkNotReady(t *testing.T) {
	ts := newTestServer(t)
	ctx := context.Background()
	podNet := func(name string) *runtimeapi.PodSandboxConfig {
		cfg := hostPod(name)
		cfg.Linux.SecurityContext.NamespaceOptions.Network = runtimeapi.NamespaceMode_POD
		return cfg
	}
	_, err := ts.rt.RunPodSandbox(ctx, &runtimeapi.RunPodSandboxRequest{Config: podNet("a")})
	wantCode(t, err, codes.FailedPrecondition)
	if !strings.Contains(err.Error(), "no network configuration") {
		t.Errorf("no configuration: %v", err)
	}
	os.MkdirAll(ts.cfg.CNIConfDir, 0o755)
	os.WriteFile(filepath.Join(ts.cfg.CNIConfDir, "10-t.conflist"), []byte(`{"cniVersion":"1.0.0","name":"t","plugins":[{"type":"nosuchplugin"}]}`), 0o644)
	_, err = ts.rt.RunPodSandbox(ctx, &runtimeapi.RunPodSandboxRequest{Config: podNet("b")})
	wantCode(t, err, codes.FailedPrecondition)
	if !strings.Contains(err.Error(), "nosuchplugin") {
		t.Errorf("missing plugin: %v", err)
	}
	os.WriteFile(filepath.Join(ts.cfg.CNIConfDir, "10-t.conflist"), []byte(`{"cniVersion":`), 0o644)
	_, err = ts.rt.RunPodSandbox(ctx, &runtimeapi.RunPodSandboxRequest{Config: podNet("c")})
	wantCode(t, err, codes.FailedPrecondition)

	list, err := ts.rt.ListPodSandbox(ctx, &runtimeapi.ListPodSandboxRequest{})
	if err != nil || len(list.Items) != 0 {
		t.Errorf("pods after refused runs: %v %v", list, err)
	}
	for _, d := range []string{filepath.Join(ts.cfg.Root, "sandboxes"), filepath.Join(ts.cfg.RunRoot, "ns")} {
		if ents, _ := os.ReadDir(d); len(ents) != 0 {
			t.Errorf("%s after refused runs: %v", d, ents)
		}
	}
}

// TestUserns: without a runtime that ID-maps mounts a pod of its own
// user namespace is refused (Unimplemented), never run as the host's
// root; options no runtime accepts are InvalidArgument either way; with
// one, Status advertises the feature and a pod on the host's namespaces
// cannot have a user namespace of its own.
func TestUserns(t *testing.T) {
	ts := newTestServer(t)
	ctx := context.Background()
	one := []*runtimeapi.IDMapping{{ContainerId: 0, HostId: 1000, Length: 100000}}
	bad := []*runtimeapi.UserNamespace{
		{Mode: runtimeapi.NamespaceMode_POD, Uids: append(one, one[0]), Gids: one},
		{Mode: runtimeapi.NamespaceMode_POD, Uids: []*runtimeapi.IDMapping{{ContainerId: 1, HostId: 1000, Length: 100000}}, Gids: one},
		{Mode: runtimeapi.NamespaceMode_POD, Uids: one, Gids: []*runtimeapi.IDMapping{{ContainerId: 0, HostId: 1000, Length: 1000}}},
		{Mode: runtimeapi.NamespaceMode_POD, Uids: []*runtimeapi.IDMapping{{ContainerId: 0, HostId: 0, Length: 65536}}, Gids: one},
		{Mode: runtimeapi.NamespaceMode_POD, Uids: []*runtimeapi.IDMapping{{ContainerId: 0, HostId: 1 << 31, Length: 1 << 31}}, Gids: one},
		{Mode: runtimeapi.NamespaceMode_POD, Gids: one},
		{Mode: runtimeapi.NamespaceMode_CONTAINER},
		{Mode: runtimeapi.NamespaceMode_TARGET},
		{Mode: runtimeapi.NamespaceMode_NODE, Uids: one},
	}
	run := func(u *runtimeapi.UserNamespace) error {
		cfg := hostPod("userns")
		cfg.Linux.SecurityContext.NamespaceOptions.UsernsOptions = u
		_, err := ts.rt.RunPodSandbox(ctx, &runtimeapi.RunPodSandboxRequest{Config: cfg})
		return err
	}
	for _, u := range bad {
		if err := run(u); status.Code(err) != codes.InvalidArgument {
			t.Errorf("%v: got %v, want InvalidArgument", u, err)
		}
	}
	if err := run(&runtimeapi.UserNamespace{Mode: runtimeapi.NamespaceMode_POD, Uids: one, Gids: one}); status.Code(err) != codes.Unimplemented {
		t.Errorf("mode POD without ID-mapped mounts: got %v, want Unimplemented", err)
	}
	st, err := ts.rt.Status(ctx, &runtimeapi.StatusRequest{})
	if err != nil || st.GetRuntimeHandlers()[0].GetFeatures().GetUserNamespaces() {
		t.Errorf("user namespaces advertised without ID-mapped mounts: %v %v", st, err)
	}
	if err := run(&runtimeapi.UserNamespace{Mode: runtimeapi.NamespaceMode_NODE}); err != nil {
		t.Errorf("mode NODE: %v", err)
	}
	list, _ := ts.rt.ListPodSandbox(ctx, &runtimeapi.ListPodSandboxRequest{})
	if len(list.GetItems()) != 1 {
		t.Errorf("pods: %v", list)
	}

	ts.cfg.UserNamespaces = true
	ts.cfg.Runtimes = []string{"crun"}
	ts.start(t) // a new server on the same roots
	st, err = ts.rt.Status(ctx, &runtimeapi.StatusRequest{})
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range st.GetRuntimeHandlers() {
		// Only the default runtime's ID-mapped mounts were checked.
		userns := h.GetName() != "crun"
		if h.GetFeatures().GetUserNamespaces() != userns || !h.GetFeatures().GetRecursiveReadOnlyMounts() {
			t.Errorf("handler %q features %v", h.GetName(), h.GetFeatures())
		}
	}
	// hostPod is on the host's network and IPC namespaces.
	if err := run(&runtimeapi.UserNamespace{Mode: runtimeapi.NamespaceMode_POD, Uids: one, Gids: one}); status.Code(err) != codes.InvalidArgument {
		t.Errorf("mode POD on the host's namespaces: got %v, want InvalidArgument", err)
	}
	for _, u := range bad {
		if err := run(u); status.Code(err) != codes.InvalidArgument {
			t.Errorf("%v: got %v, want InvalidArgument", u, err)
		}
	}
}

// TestContainerUserns: a container's user namespace options are its
// pod's or none; mounts are ID-mapped by the pod's mappings only.
func TestContainerUserns(t *testing.T) {
	one := []*runtimeapi.IDMapping{{ContainerId: 0, HostId: 1000, Length: 65536}}
	other := []*runtimeapi.IDMapping{{ContainerId: 0, HostId: 2000, Length: 65536}}
	pod, err := parseUserns(&runtimeapi.UserNamespace{Mode: runtimeapi.NamespaceMode_POD, Uids: one, Gids: one})
	if err != nil || pod.UID != (specs.LinuxIDMapping{ContainerID: 0, HostID: 1000, Size: 65536}) || pod.GID != pod.UID {
		t.Fatalf("parseUserns: %v %v", pod, err)
	}
	for _, c := range []struct {
		pod  *podIDMap
		u    *runtimeapi.UserNamespace
		want bool
	}{
		{nil, nil, true},
		{pod, nil, true},
		{nil, &runtimeapi.UserNamespace{Mode: runtimeapi.NamespaceMode_NODE}, true},
		{pod, &runtimeapi.UserNamespace{Mode: runtimeapi.NamespaceMode_POD, Uids: one, Gids: one}, true},
		{pod, &runtimeapi.UserNamespace{Mode: runtimeapi.NamespaceMode_POD, Uids: one, Gids: other}, false},
		{pod, &runtimeapi.UserNamespace{Mode: runtimeapi.NamespaceMode_NODE}, false},
		{nil, &runtimeapi.UserNamespace{Mode: runtimeapi.NamespaceMode_POD, Uids: one, Gids: one}, false},
		{pod, &runtimeapi.UserNamespace{Mode: runtimeapi.NamespaceMode_CONTAINER}, false},
	} {
		if err := containerUserns(c.pod, c.u); (err == nil) != c.want {
			t.Errorf("pod %v, container %v: %v", c.pod, c.u, err)
		}
	}
	mounts := []*runtimeapi.Mount{
		{HostPath: "/a", ContainerPath: "/a", UidMappings: one, GidMappings: one},
		{HostPath: "/b", ContainerPath: "/b"},
	}
	got, err := idMapped(pod, mounts)
	if err != nil || !slices.Equal(got, []string{"/a"}) {
		t.Errorf("idMapped: %v %v", got, err)
	}
	if _, err := idMapped(nil, mounts); status.Code(errgrpc.ToGRPC(err)) != codes.InvalidArgument {
		t.Errorf("ID-mapped mount without a pod user namespace: %v", err)
	}
	mounts[0].GidMappings = other
	if _, err := idMapped(pod, mounts); status.Code(errgrpc.ToGRPC(err)) != codes.InvalidArgument {
		t.Errorf("ID-mapped mount with other mappings: %v", err)
	}
}
