package cri

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	containertypes "github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/mount"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/wharf/wharf/internal/filters"
)

// ListContainers lists the CRI's containers the filter lets through: id
// (or a prefix), state, sandbox id (or a prefix), every selector label.
func (s *Server) ListContainers(ctx context.Context, req *runtimeapi.ListContainersRequest) (*runtimeapi.ListContainersResponse, error) {
	f := req.GetFilter()
	list, err := s.listPodContainers(ctx, filters.Args{})
	if err != nil {
		return nil, err
	}
	resp := &runtimeapi.ListContainersResponse{Containers: []*runtimeapi.Container{}}
	for _, c := range list {
		state := criState(c.State)
		labels, annotations := criLabels(c.Labels)
		switch {
		case f.GetId() != "" && !strings.HasPrefix(c.ID, f.GetId()),
			f.GetPodSandboxId() != "" && !strings.HasPrefix(c.Labels[labelSandboxID], f.GetPodSandboxId()),
			f.GetState() != nil && f.GetState().GetState() != state,
			!matchLabels(f.GetLabelSelector(), labels):
			continue
		}
		resp.Containers = append(resp.Containers, &runtimeapi.Container{
			Id:           c.ID,
			PodSandboxId: c.Labels[labelSandboxID],
			Metadata:     criMetadata(c.Labels),
			Image:        &runtimeapi.ImageSpec{Image: c.Labels[labelImage]},
			ImageRef:     c.ImageID,
			ImageId:      c.ImageID,
			State:        state,
			CreatedAt:    c.Created * int64(time.Second),
			Labels:       labels,
			Annotations:  annotations,
		})
	}
	return resp, nil
}

// ContainerStatus describes one of the CRI's containers.
func (s *Server) ContainerStatus(ctx context.Context, req *runtimeapi.ContainerStatusRequest) (*runtimeapi.ContainerStatusResponse, error) {
	id, err := s.podContainer(ctx, req.GetContainerId())
	if err != nil {
		return nil, err
	}
	in, err := s.cfg.Containers.Inspect(ctx, id, false)
	if err != nil {
		return nil, err
	}
	labels, annotations := criLabels(in.Config.Labels)
	st := &runtimeapi.ContainerStatus{
		Id:          in.ID,
		Metadata:    criMetadata(in.Config.Labels),
		State:       criState(in.State.Status),
		CreatedAt:   parseTime(in.Created),
		Image:       &runtimeapi.ImageSpec{Image: in.Config.Labels[labelImage]},
		ImageRef:    in.Image,
		ImageId:     in.Image,
		Labels:      labels,
		Annotations: annotations,
		LogPath:     in.LogPath,
	}
	if st.State != runtimeapi.ContainerState_CONTAINER_CREATED {
		st.StartedAt = parseTime(in.State.StartedAt)
	}
	if in.State.Running && in.State.Pid > 0 {
		st.User = processUser(in.State.Pid)
	}
	if st.State == runtimeapi.ContainerState_CONTAINER_EXITED {
		st.FinishedAt = parseTime(in.State.FinishedAt)
		st.ExitCode = int32(in.State.ExitCode)
		switch {
		case in.State.OOMKilled:
			st.Reason = "OOMKilled"
		case in.State.ExitCode == 0:
			st.Reason = "Completed"
		default:
			st.Reason = "Error"
		}
		st.Message = in.State.Error
	}
	for _, m := range in.Mounts {
		cm := &runtimeapi.Mount{ContainerPath: m.Destination, HostPath: m.Source, Readonly: !m.RW}
		switch m.Propagation {
		case mount.PropagationRSlave, mount.PropagationSlave:
			cm.Propagation = runtimeapi.MountPropagation_PROPAGATION_HOST_TO_CONTAINER
		case mount.PropagationRShared, mount.PropagationShared:
			cm.Propagation = runtimeapi.MountPropagation_PROPAGATION_BIDIRECTIONAL
		}
		st.Mounts = append(st.Mounts, cm)
	}
	return &runtimeapi.ContainerStatusResponse{Status: st}, nil
}

// criState maps docker's state names onto the CRI's four.
func criState(st containertypes.ContainerState) runtimeapi.ContainerState {
	switch st {
	case containertypes.StateCreated:
		return runtimeapi.ContainerState_CONTAINER_CREATED
	case containertypes.StateRunning, containertypes.StatePaused, containertypes.StateRestarting:
		return runtimeapi.ContainerState_CONTAINER_RUNNING
	case containertypes.StateExited, containertypes.StateDead:
		return runtimeapi.ContainerState_CONTAINER_EXITED
	}
	return runtimeapi.ContainerState_CONTAINER_UNKNOWN
}

// criLabels splits a container's labels into the kubelet's labels and
// annotations, without the CRI's own bookkeeping.
func criLabels(all map[string]string) (labels, annotations map[string]string) {
	labels = map[string]string{}
	for k, v := range all {
		if !strings.HasPrefix(k, labelPrefix) {
			labels[k] = v
		}
	}
	annotations = map[string]string{}
	if raw := all[labelAnnotations]; raw != "" {
		json.Unmarshal([]byte(raw), &annotations)
	}
	return labels, annotations
}

func criMetadata(labels map[string]string) *runtimeapi.ContainerMetadata {
	attempt, _ := strconv.ParseUint(labels[labelAttempt], 10, 32)
	return &runtimeapi.ContainerMetadata{Name: labels[labelName], Attempt: uint32(attempt)}
}

// parseTime reads inspect's RFC 3339 times as the CRI's nanoseconds; the
// zero time is 0.
func parseTime(s string) int64 {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil || t.IsZero() || t.Year() <= 1 {
		return 0
	}
	return t.UnixNano()
}

// processUser is the identity the container's first process runs with,
// from /proc/<pid>/status (the kubelet shows it, and checks
// SupplementalGroupsPolicy by it); nil if the process is gone.
func processUser(pid int) *runtimeapi.ContainerUser {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return nil
	}
	return parseProcessUser(string(data))
}

// parseProcessUser reads the real uid and gid and the groups of a
// /proc/<pid>/status text.
func parseProcessUser(status string) *runtimeapi.ContainerUser {
	u := &runtimeapi.LinuxContainerUser{}
	for _, line := range strings.Split(status, "\n") {
		key, val, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		fields := strings.Fields(val)
		switch key {
		case "Uid":
			if len(fields) > 0 {
				u.Uid, _ = strconv.ParseInt(fields[0], 10, 64)
			}
		case "Gid":
			if len(fields) > 0 {
				u.Gid, _ = strconv.ParseInt(fields[0], 10, 64)
			}
		case "Groups":
			for _, f := range fields {
				if g, err := strconv.ParseInt(f, 10, 64); err == nil {
					u.SupplementalGroups = append(u.SupplementalGroups, g)
				}
			}
		}
	}
	return &runtimeapi.ContainerUser{Linux: u}
}
