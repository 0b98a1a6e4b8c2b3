package cri

import (
	"context"
	"strings"

	containertypes "github.com/moby/moby/api/types/container"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/wharf/wharf/internal/api/backend"
	"github.com/wharf/wharf/internal/errs"
	"github.com/wharf/wharf/internal/filters"
)

// Resources is what UpdateContainerResources, ReopenContainerLog and
// the stats calls need from the container service.
type Resources interface {
	Update(ctx context.Context, ref string, u containertypes.UpdateConfig) (containertypes.UpdateResponse, error)
	ReopenLog(ctx context.Context, ref string) error
	Stats(ctx context.Context, ref string, o backend.ContainerStatsOptions, out func(containertypes.StatsResponse) error) error
}

// UpdateContainerResources changes a container's CPU and memory limits.
func (s *Server) UpdateContainerResources(ctx context.Context, req *runtimeapi.UpdateContainerResourcesRequest) (*runtimeapi.UpdateContainerResourcesResponse, error) {
	id, err := s.podContainer(ctx, req.GetContainerId())
	if err != nil {
		return nil, err
	}
	var hc containertypes.HostConfig
	resourcesOf(&hc, req.GetLinux())
	if _, err := s.cfg.Resources.Update(ctx, id, containertypes.UpdateConfig{Resources: hc.Resources}); err != nil {
		return nil, err
	}
	return &runtimeapi.UpdateContainerResourcesResponse{}, nil
}

// ReopenContainerLog makes the container write to a fresh log file after
// the kubelet rotated the old one away.
func (s *Server) ReopenContainerLog(ctx context.Context, req *runtimeapi.ReopenContainerLogRequest) (*runtimeapi.ReopenContainerLogResponse, error) {
	id, err := s.podContainer(ctx, req.GetContainerId())
	if err != nil {
		return nil, err
	}
	if err := s.cfg.Resources.ReopenLog(ctx, id); err != nil {
		return nil, err
	}
	return &runtimeapi.ReopenContainerLogResponse{}, nil
}

// ContainerStats is one sample of a container's CPU and memory.
func (s *Server) ContainerStats(ctx context.Context, req *runtimeapi.ContainerStatsRequest) (*runtimeapi.ContainerStatsResponse, error) {
	id, err := s.podContainer(ctx, req.GetContainerId())
	if err != nil {
		return nil, err
	}
	list, err := s.listPodContainers(ctx, filters.Args{"id": {id: true}})
	if err != nil || len(list) == 0 {
		return nil, errs.NotFound("container %q not found", req.GetContainerId())
	}
	st, err := s.containerStats(ctx, list[0])
	if err != nil {
		return nil, err
	}
	return &runtimeapi.ContainerStatsResponse{Stats: st}, nil
}

// ListContainerStats samples the running containers the filter lets through.
func (s *Server) ListContainerStats(ctx context.Context, req *runtimeapi.ListContainerStatsRequest) (*runtimeapi.ListContainerStatsResponse, error) {
	f := req.GetFilter()
	list, err := s.listPodContainers(ctx, filters.Args{})
	if err != nil {
		return nil, err
	}
	resp := &runtimeapi.ListContainerStatsResponse{Stats: []*runtimeapi.ContainerStats{}}
	for _, c := range list {
		labels, _ := criLabels(c.Labels)
		switch {
		case c.State != containertypes.StateRunning,
			f.GetId() != "" && !strings.HasPrefix(c.ID, f.GetId()),
			f.GetPodSandboxId() != "" && !strings.HasPrefix(c.Labels[labelSandboxID], f.GetPodSandboxId()),
			!matchLabels(f.GetLabelSelector(), labels):
			continue
		}
		st, err := s.containerStats(ctx, c)
		if err != nil {
			continue // it stopped meanwhile
		}
		resp.Stats = append(resp.Stats, st)
	}
	return resp, nil
}

// containerStats samples c's cgroup once. The working set is the usage
// less the inactive file cache, as the kubelet and docker compute it.
func (s *Server) containerStats(ctx context.Context, c containertypes.Summary) (*runtimeapi.ContainerStats, error) {
	var sample containertypes.StatsResponse
	err := s.cfg.Resources.Stats(ctx, c.ID, backend.ContainerStatsOptions{OneShot: true}, func(r containertypes.StatsResponse) error {
		sample = r
		return nil
	})
	if err != nil {
		return nil, err
	}
	labels, annotations := criLabels(c.Labels)
	ts := sample.Read.UnixNano()
	mem := sample.MemoryStats
	inactive := mem.Stats["inactive_file"]
	if v, ok := mem.Stats["total_inactive_file"]; ok {
		inactive = v
	}
	ws := mem.Usage
	if ws > inactive {
		ws -= inactive
	} else {
		ws = 0
	}
	return &runtimeapi.ContainerStats{
		Attributes: &runtimeapi.ContainerAttributes{Id: c.ID, Metadata: criMetadata(c.Labels), Labels: labels, Annotations: annotations},
		Cpu: &runtimeapi.CpuUsage{Timestamp: ts,
			UsageCoreNanoSeconds: &runtimeapi.UInt64Value{Value: sample.CPUStats.CPUUsage.TotalUsage}},
		Memory: &runtimeapi.MemoryUsage{Timestamp: ts,
			WorkingSetBytes: &runtimeapi.UInt64Value{Value: ws},
			UsageBytes:      &runtimeapi.UInt64Value{Value: mem.Usage},
			RssBytes:        &runtimeapi.UInt64Value{Value: mem.Stats["rss"] + mem.Stats["anon"]},
		},
	}, nil
}

// PodSandboxStats is the sum of the pod's running containers' samples,
// with each of them (wharf's pods run no process of their own).
func (s *Server) PodSandboxStats(ctx context.Context, req *runtimeapi.PodSandboxStatsRequest) (*runtimeapi.PodSandboxStatsResponse, error) {
	sb, err := s.getSandbox(req.GetPodSandboxId())
	if err != nil {
		return nil, err
	}
	st, err := s.podStats(ctx, sb)
	if err != nil {
		return nil, err
	}
	return &runtimeapi.PodSandboxStatsResponse{Stats: st}, nil
}

// ListPodSandboxStats samples the pods the filter lets through.
func (s *Server) ListPodSandboxStats(ctx context.Context, req *runtimeapi.ListPodSandboxStatsRequest) (*runtimeapi.ListPodSandboxStatsResponse, error) {
	f := req.GetFilter()
	resp := &runtimeapi.ListPodSandboxStatsResponse{Stats: []*runtimeapi.PodSandboxStats{}}
	for _, sb := range s.listSandboxes() {
		if (f.GetId() != "" && !strings.HasPrefix(sb.ID, f.GetId())) || !matchLabels(f.GetLabelSelector(), sb.config.GetLabels()) {
			continue
		}
		st, err := s.podStats(ctx, sb)
		if err != nil {
			return nil, err
		}
		resp.Stats = append(resp.Stats, st)
	}
	return resp, nil
}

func (s *Server) podStats(ctx context.Context, sb *sandbox) (*runtimeapi.PodSandboxStats, error) {
	list, err := s.ListContainerStats(ctx, &runtimeapi.ListContainerStatsRequest{Filter: &runtimeapi.ContainerStatsFilter{PodSandboxId: sb.ID}})
	if err != nil {
		return nil, err
	}
	ts := nowNano()
	var cpu, ws, usage, rss uint64
	for _, c := range list.Stats {
		cpu += c.GetCpu().GetUsageCoreNanoSeconds().GetValue()
		ws += c.GetMemory().GetWorkingSetBytes().GetValue()
		usage += c.GetMemory().GetUsageBytes().GetValue()
		rss += c.GetMemory().GetRssBytes().GetValue()
	}
	return &runtimeapi.PodSandboxStats{
		Attributes: &runtimeapi.PodSandboxAttributes{Id: sb.ID, Metadata: sb.config.GetMetadata(), Labels: sb.config.GetLabels(), Annotations: sb.config.GetAnnotations()},
		Linux: &runtimeapi.LinuxPodSandboxStats{
			Cpu: &runtimeapi.CpuUsage{Timestamp: ts, UsageCoreNanoSeconds: &runtimeapi.UInt64Value{Value: cpu}},
			Memory: &runtimeapi.MemoryUsage{Timestamp: ts, WorkingSetBytes: &runtimeapi.UInt64Value{Value: ws},
				UsageBytes: &runtimeapi.UInt64Value{Value: usage}, RssBytes: &runtimeapi.UInt64Value{Value: rss}},
			Containers: list.Stats,
		},
	}, nil
}
