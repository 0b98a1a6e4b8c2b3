// Command cri times a CRI runtime's pod hot path through its gRPC socket,
// as the kubelet drives it: RunPodSandbox, then CreateContainer +
// StartContainer of one container, then StopPodSandbox +
// RemovePodSandbox; one pod at a time, then many at once.
//
//	go run ./bench/cri -endpoint unix:///run/wharf/cri.sock -image busybox
//
// It prints medians (and min/max) as a Markdown table.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/wharf/wharf/bench/internal/cpuacct"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

func main() {
	endpoint := flag.String("endpoint", "unix:///run/wharf/cri.sock", "CRI socket")
	image := flag.String("image", "busybox", "image of the container (present in the store)")
	runs := flag.Int("runs", 20, "pods started one after the other")
	parallel := flag.Int("parallel", 30, "pods started at once")
	handlerList := flag.String("handlers", "", "runtime handlers to time, comma-separated (\"\" is the default; \",crun\" both)")
	cgroups := flag.String("cgroups", "", "cpuacct cgroup directories (comma-separated) holding the daemon and its containers, for CPU figures")
	userns := flag.Uint("userns", 0, "host id of a user namespace of each pod's own (hostUsers: false; 65536 ids); 0: the host's")
	flag.Parse()
	conn, err := grpc.NewClient(*endpoint, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		log.Fatal(err)
	}
	defer conn.Close()
	b := &bench{rt: runtimeapi.NewRuntimeServiceClient(conn), image: *image, userns: uint32(*userns)}
	ctx := context.Background()
	if _, err := b.rt.Version(ctx, &runtimeapi.VersionRequest{}); err != nil {
		log.Fatal(err)
	}

	handlers := strings.Split(*handlerList, ",")
	var cgs []string
	if *cgroups != "" {
		cgs = strings.Split(*cgroups, ",")
	}
	// Each round runs one pod per handler, so a drift in the machine's
	// speed moves every handler's figures alike.
	type series struct{ runp, ctr, total, cpu, teardown []time.Duration }
	byHandler := make([]series, len(handlers))
	for i := range *runs {
		for h, handler := range handlers {
			s := &byHandler[h]
			cpu0 := cpuacct.Usage(cgs)
			p, err := b.pod(ctx, fmt.Sprintf("seq-%d-%d", i, h), handler)
			if err != nil {
				log.Fatal(err)
			}
			s.cpu = append(s.cpu, cpuacct.Usage(cgs)-cpu0)
			s.runp, s.ctr, s.total = append(s.runp, p.runp), append(s.ctr, p.ctr), append(s.total, p.runp+p.ctr)
			t0 := time.Now()
			if err := b.remove(ctx, p.id); err != nil {
				log.Fatal(err)
			}
			s.teardown = append(s.teardown, time.Since(t0))
		}
	}
	fmt.Printf("| measurement | median | min | max | runs |\n|---|---|---|---|---|\n")
	for h, handler := range handlers {
		s := byHandler[h]
		row(named("RunPodSandbox", handler), s.runp)
		row(named("CreateContainer + StartContainer", handler), s.ctr)
		row(named("pod with one container running", handler), s.total)
		if len(cgs) > 0 {
			row(named("pod with one container running: CPU (daemon, monitors, runtime, containers)", handler), s.cpu)
		}
		row(named("StopPodSandbox + RemovePodSandbox", handler), s.teardown)
	}

	for _, handler := range handlers {
		if *parallel <= 0 {
			break
		}
		var wg sync.WaitGroup
		pods := make([]podTimes, *parallel)
		errs := make([]error, *parallel)
		t0 := time.Now()
		for i := range *parallel {
			wg.Add(1)
			go func() {
				defer wg.Done()
				pods[i], errs[i] = b.pod(ctx, fmt.Sprintf("par-%d", i), handler)
			}()
		}
		wg.Wait()
		wall := time.Since(t0)
		var each []time.Duration
		for i, p := range pods {
			if errs[i] != nil {
				log.Fatal(errs[i])
			}
			each = append(each, p.runp+p.ctr)
		}
		row(named(fmt.Sprintf("%d pods at once: each pod", *parallel), handler), each)
		row(named(fmt.Sprintf("%d pods at once: all running (wall)", *parallel), handler), []time.Duration{wall})
		t0 = time.Now()
		for _, p := range pods {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := b.remove(ctx, p.id); err != nil {
					log.Print(err)
				}
			}()
		}
		wg.Wait()
		row(named(fmt.Sprintf("%d pods at once: all removed (wall)", *parallel), handler), []time.Duration{time.Since(t0)})
	}
}

// named labels a row with its runtime handler (none for the default).
func named(what, handler string) string {
	if handler == "" {
		return what
	}
	return what + " [runtime handler " + handler + "]"
}

type bench struct {
	rt     runtimeapi.RuntimeServiceClient
	image  string
	userns uint32 // host id of the pods' user namespace; 0: the host's
}

type podTimes struct {
	id        string
	runp, ctr time.Duration
}

// pod runs a pod and starts one sleeping container in it.
func (b *bench) pod(ctx context.Context, name, handler string) (podTimes, error) {
	// The kubelet's defaults: each container its own PID namespace
	// (shareProcessNamespace off), so no pause process.
	ns := &runtimeapi.NamespaceOption{Pid: runtimeapi.NamespaceMode_CONTAINER}
	if b.userns != 0 {
		m := []*runtimeapi.IDMapping{{ContainerId: 0, HostId: b.userns, Length: 65536}}
		ns.UsernsOptions = &runtimeapi.UserNamespace{Mode: runtimeapi.NamespaceMode_POD, Uids: m, Gids: m}
	}
	cfg := &runtimeapi.PodSandboxConfig{
		Metadata: &runtimeapi.PodSandboxMetadata{Name: name, Namespace: "bench", Uid: name + "-uid"},
		Hostname: name,
		Linux:    &runtimeapi.LinuxPodSandboxConfig{SecurityContext: &runtimeapi.LinuxSandboxSecurityContext{NamespaceOptions: ns}},
	}
	var p podTimes
	t0 := time.Now()
	run, err := b.rt.RunPodSandbox(ctx, &runtimeapi.RunPodSandboxRequest{Config: cfg, RuntimeHandler: handler})
	if err != nil {
		return p, fmt.Errorf("run pod %s: %w", name, err)
	}
	p.id, p.runp = run.PodSandboxId, time.Since(t0)
	t0 = time.Now()
	c, err := b.rt.CreateContainer(ctx, &runtimeapi.CreateContainerRequest{PodSandboxId: p.id, SandboxConfig: cfg, Config: &runtimeapi.ContainerConfig{
		Metadata: &runtimeapi.ContainerMetadata{Name: "c"},
		Image:    &runtimeapi.ImageSpec{Image: b.image},
		Command:  []string{"sleep", "3600"},
		Linux:    &runtimeapi.LinuxContainerConfig{SecurityContext: &runtimeapi.LinuxContainerSecurityContext{NamespaceOptions: ns}},
	}})
	if err != nil {
		return p, fmt.Errorf("create in %s: %w", name, err)
	}
	if _, err := b.rt.StartContainer(ctx, &runtimeapi.StartContainerRequest{ContainerId: c.ContainerId}); err != nil {
		return p, fmt.Errorf("start in %s: %w", name, err)
	}
	p.ctr = time.Since(t0)
	return p, nil
}

func (b *bench) remove(ctx context.Context, id string) error {
	if _, err := b.rt.StopPodSandbox(ctx, &runtimeapi.StopPodSandboxRequest{PodSandboxId: id}); err != nil {
		return err
	}
	_, err := b.rt.RemovePodSandbox(ctx, &runtimeapi.RemovePodSandboxRequest{PodSandboxId: id})
	return err
}

func row(name string, ds []time.Duration) {
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	ms := func(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000) }
	fmt.Printf("| %s | %s | %s | %s | %d |\n", name, ms(ds[len(ds)/2]), ms(ds[0]), ms(ds[len(ds)-1]), len(ds))
}
