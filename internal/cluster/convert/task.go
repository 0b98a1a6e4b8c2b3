package convert

import (
	"net/netip"
	"strings"

	gogotypes "github.com/gogo/protobuf/types"
	"github.com/moby/moby/api/types/network"
	types "github.com/moby/moby/api/types/swarm"
	swarmapi "github.com/moby/swarmkit/v2/api"
)

// TaskFromGRPC is a task as GET /tasks shows it.
func TaskFromGRPC(t swarmapi.Task) (types.Task, error) {
	spec, err := taskSpecFromGRPC(t.Spec)
	if err != nil {
		return types.Task{}, err
	}
	task := types.Task{
		ID:          t.ID,
		Annotations: annotationsFromGRPC(t.Annotations),
		ServiceID:   t.ServiceID,
		Slot:        int(t.Slot),
		NodeID:      t.NodeID,
		Spec:        spec,
		Status: types.TaskStatus{
			State:   types.TaskState(strings.ToLower(t.Status.State.String())),
			Message: t.Status.Message,
			Err:     t.Status.Err,
		},
		DesiredState: types.TaskState(strings.ToLower(t.DesiredState.String())),
	}
	task.Version.Index = t.Meta.Version.Index
	task.CreatedAt, _ = gogotypes.TimestampFromProto(t.Meta.CreatedAt)
	task.UpdatedAt, _ = gogotypes.TimestampFromProto(t.Meta.UpdatedAt)
	task.Status.Timestamp, _ = gogotypes.TimestampFromProto(t.Status.Timestamp)
	if cs := t.Status.GetContainer(); cs != nil {
		task.Status.ContainerStatus = &types.ContainerStatus{ContainerID: cs.ContainerID, PID: int(cs.PID), ExitCode: int(cs.ExitCode)}
	}
	for _, na := range t.Networks {
		task.NetworksAttachments = append(task.NetworksAttachments, networkAttachmentFromGRPC(na))
	}
	if t.JobIteration != nil {
		task.JobIteration = &types.Version{Index: t.JobIteration.Index}
	}
	if t.Status.PortStatus != nil {
		for _, p := range t.Status.PortStatus.Ports {
			task.Status.PortStatus.Ports = append(task.Status.PortStatus.Ports, portConfigFromGRPC(p))
		}
	}
	return task, nil
}

func networkAttachmentFromGRPC(na *swarmapi.NetworkAttachment) types.NetworkAttachment {
	if na == nil {
		return types.NetworkAttachment{}
	}
	out := types.NetworkAttachment{}
	if n := na.Network; n != nil {
		out.Network.ID = n.ID
		out.Network.Spec.Annotations = annotationsFromGRPC(n.Spec.Annotations)
		out.Network.Version.Index = n.Meta.Version.Index
	}
	for _, a := range na.Addresses {
		if p, err := netip.ParsePrefix(a); err == nil {
			out.Addresses = append(out.Addresses, p)
		}
	}
	return out
}

func portConfigFromGRPC(p *swarmapi.PortConfig) types.PortConfig {
	return types.PortConfig{
		Name:          p.Name,
		Protocol:      network.IPProtocol(strings.ToLower(swarmapi.PortConfig_Protocol_name[int32(p.Protocol)])),
		PublishMode:   types.PortConfigPublishMode(strings.ToLower(swarmapi.PortConfig_PublishMode_name[int32(p.PublishMode)])),
		TargetPort:    p.TargetPort,
		PublishedPort: p.PublishedPort,
	}
}
