package convert

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"

	gogotypes "github.com/gogo/protobuf/types"
	types "github.com/moby/moby/api/types/swarm"
	swarmapi "github.com/moby/swarmkit/v2/api"
	"github.com/moby/swarmkit/v2/api/genericresource"
)

// ErrUnsupportedRuntime is a task runtime Wharf does not run: plugins and
// network attachments are dockerd's, containers are the only kind here.
var ErrUnsupportedRuntime = errors.New("unsupported runtime")

// ServiceFromGRPC is a service as GET /services shows it.
func ServiceFromGRPC(s swarmapi.Service) (types.Service, error) {
	cur, err := serviceSpecFromGRPC(&s.Spec)
	if err != nil {
		return types.Service{}, err
	}
	prev, err := serviceSpecFromGRPC(s.PreviousSpec)
	if err != nil {
		return types.Service{}, err
	}
	svc := types.Service{ID: s.ID, Spec: *cur, PreviousSpec: prev, Endpoint: endpointFromGRPC(s.Endpoint)}
	svc.Version.Index = s.Meta.Version.Index
	svc.CreatedAt, _ = gogotypes.TimestampFromProto(s.Meta.CreatedAt)
	svc.UpdatedAt, _ = gogotypes.TimestampFromProto(s.Meta.UpdatedAt)
	if s.JobStatus != nil {
		svc.JobStatus = &types.JobStatus{JobIteration: types.Version{Index: s.JobStatus.JobIteration.Index}}
		svc.JobStatus.LastExecution, _ = gogotypes.TimestampFromProto(s.JobStatus.LastExecution)
	}
	if u := s.UpdateStatus; u != nil {
		svc.UpdateStatus = &types.UpdateStatus{Message: u.Message}
		switch u.State {
		case swarmapi.UpdateStatus_UPDATING:
			svc.UpdateStatus.State = types.UpdateStateUpdating
		case swarmapi.UpdateStatus_PAUSED:
			svc.UpdateStatus.State = types.UpdateStatePaused
		case swarmapi.UpdateStatus_COMPLETED:
			svc.UpdateStatus.State = types.UpdateStateCompleted
		case swarmapi.UpdateStatus_ROLLBACK_STARTED:
			svc.UpdateStatus.State = types.UpdateStateRollbackStarted
		case swarmapi.UpdateStatus_ROLLBACK_PAUSED:
			svc.UpdateStatus.State = types.UpdateStateRollbackPaused
		case swarmapi.UpdateStatus_ROLLBACK_COMPLETED:
			svc.UpdateStatus.State = types.UpdateStateRollbackCompleted
		}
		// Unset timestamps arrive as the epoch; docker omits them.
		if t, err := gogotypes.TimestampFromProto(u.StartedAt); err == nil && t.Unix() != 0 {
			svc.UpdateStatus.StartedAt = &t
		}
		if t, err := gogotypes.TimestampFromProto(u.CompletedAt); err == nil && t.Unix() != 0 {
			svc.UpdateStatus.CompletedAt = &t
		}
	}
	return svc, nil
}

func serviceSpecFromGRPC(spec *swarmapi.ServiceSpec) (*types.ServiceSpec, error) {
	if spec == nil {
		return nil, nil
	}
	task, err := taskSpecFromGRPC(spec.Task)
	if err != nil {
		return nil, err
	}
	// Older specs kept the networks on the service rather than the task.
	if len(task.Networks) == 0 {
		for _, n := range spec.Networks {
			task.Networks = append(task.Networks, types.NetworkAttachmentConfig{Target: n.Target, Aliases: n.Aliases, DriverOpts: n.DriverAttachmentOpts})
		}
	}
	if _, ok := spec.Task.GetRuntime().(*swarmapi.TaskSpec_Container); !ok {
		return nil, fmt.Errorf("%w: %T", ErrUnsupportedRuntime, spec.Task.GetRuntime())
	}
	task.Runtime = types.RuntimeContainer
	out := &types.ServiceSpec{
		Annotations:    annotationsFromGRPC(spec.Annotations),
		TaskTemplate:   task,
		EndpointSpec:   endpointSpecFromGRPC(spec.Endpoint),
		UpdateConfig:   updateConfigFromGRPC(spec.Update),
		RollbackConfig: updateConfigFromGRPC(spec.Rollback),
	}
	switch m := spec.GetMode().(type) {
	case *swarmapi.ServiceSpec_Global:
		out.Mode.Global = &types.GlobalService{}
	case *swarmapi.ServiceSpec_Replicated:
		out.Mode.Replicated = &types.ReplicatedService{Replicas: &m.Replicated.Replicas}
	case *swarmapi.ServiceSpec_ReplicatedJob:
		out.Mode.ReplicatedJob = &types.ReplicatedJob{MaxConcurrent: &m.ReplicatedJob.MaxConcurrent, TotalCompletions: &m.ReplicatedJob.TotalCompletions}
	case *swarmapi.ServiceSpec_GlobalJob:
		out.Mode.GlobalJob = &types.GlobalJob{}
	}
	return out, nil
}

// ServiceSpecToGRPC is the spec of POST /services/create and update. The
// caller names a nameless service (docker picks a random name).
func ServiceSpecToGRPC(s types.ServiceSpec) (swarmapi.ServiceSpec, error) {
	resources, err := resourcesToGRPC(s.TaskTemplate.Resources)
	if err != nil {
		return swarmapi.ServiceSpec{}, err
	}
	spec := swarmapi.ServiceSpec{
		Annotations: swarmapi.Annotations{Name: s.Name, Labels: s.Labels},
		Task: swarmapi.TaskSpec{
			Resources:   resources,
			LogDriver:   driverToGRPC(s.TaskTemplate.LogDriver),
			ForceUpdate: s.TaskTemplate.ForceUpdate,
		},
	}
	for _, n := range s.TaskTemplate.Networks {
		spec.Task.Networks = append(spec.Task.Networks, &swarmapi.NetworkAttachmentConfig{Target: n.Target, Aliases: n.Aliases, DriverAttachmentOpts: n.DriverOpts})
	}
	switch s.TaskTemplate.Runtime {
	case types.RuntimeContainer, "":
		if s.TaskTemplate.ContainerSpec == nil {
			return swarmapi.ServiceSpec{}, errors.New("mismatched Runtime and *Spec fields")
		}
		cs, err := containerToGRPC(s.TaskTemplate.ContainerSpec)
		if err != nil {
			return swarmapi.ServiceSpec{}, err
		}
		if r := s.TaskTemplate.Resources; r != nil && r.Limits != nil {
			cs.PidsLimit = r.Limits.Pids
		}
		spec.Task.Runtime = &swarmapi.TaskSpec_Container{Container: cs}
	default:
		return swarmapi.ServiceSpec{}, fmt.Errorf("%w: %s", ErrUnsupportedRuntime, s.TaskTemplate.Runtime)
	}
	if spec.Task.Restart, err = restartPolicyToGRPC(s.TaskTemplate.RestartPolicy); err != nil {
		return swarmapi.ServiceSpec{}, err
	}
	if p := s.TaskTemplate.Placement; p != nil {
		spec.Task.Placement = &swarmapi.Placement{Constraints: p.Constraints, MaxReplicas: p.MaxReplicas}
		for _, pref := range p.Preferences {
			if pref.Spread != nil {
				spec.Task.Placement.Preferences = append(spec.Task.Placement.Preferences, &swarmapi.PlacementPreference{
					Preference: &swarmapi.PlacementPreference_Spread{Spread: &swarmapi.SpreadOver{SpreadDescriptor: pref.Spread.SpreadDescriptor}},
				})
			}
		}
		for _, plat := range p.Platforms {
			spec.Task.Placement.Platforms = append(spec.Task.Placement.Platforms, &swarmapi.Platform{Architecture: plat.Architecture, OS: plat.OS})
		}
	}
	if spec.Update, err = updateConfigToGRPC(s.UpdateConfig); err != nil {
		return swarmapi.ServiceSpec{}, err
	}
	if spec.Rollback, err = updateConfigToGRPC(s.RollbackConfig); err != nil {
		return swarmapi.ServiceSpec{}, err
	}
	if e := s.EndpointSpec; e != nil {
		if e.Mode != "" && e.Mode != types.ResolutionModeVIP && e.Mode != types.ResolutionModeDNSRR {
			return swarmapi.ServiceSpec{}, fmt.Errorf("invalid resolution mode: %q", e.Mode)
		}
		spec.Endpoint = &swarmapi.EndpointSpec{
			Mode: swarmapi.EndpointSpec_ResolutionMode(swarmapi.EndpointSpec_ResolutionMode_value[strings.ToUpper(string(e.Mode))]),
		}
		for _, p := range e.Ports {
			spec.Endpoint.Ports = append(spec.Endpoint.Ports, &swarmapi.PortConfig{
				Name:          p.Name,
				Protocol:      swarmapi.PortConfig_Protocol(swarmapi.PortConfig_Protocol_value[strings.ToUpper(string(p.Protocol))]),
				PublishMode:   swarmapi.PortConfig_PublishMode(swarmapi.PortConfig_PublishMode_value[strings.ToUpper(string(p.PublishMode))]),
				TargetPort:    p.TargetPort,
				PublishedPort: p.PublishedPort,
			})
		}
	}
	modes := 0
	for _, set := range []bool{s.Mode.Global != nil, s.Mode.Replicated != nil, s.Mode.ReplicatedJob != nil, s.Mode.GlobalJob != nil} {
		if set {
			modes++
		}
	}
	if modes > 1 {
		return swarmapi.ServiceSpec{}, errors.New("must specify only one service mode")
	}
	switch {
	case s.Mode.Global != nil:
		spec.Mode = &swarmapi.ServiceSpec_Global{Global: &swarmapi.GlobalService{}}
	case s.Mode.GlobalJob != nil:
		spec.Mode = &swarmapi.ServiceSpec_GlobalJob{GlobalJob: &swarmapi.GlobalJob{}}
	case s.Mode.ReplicatedJob != nil:
		r := &swarmapi.ReplicatedJob{MaxConcurrent: 1}
		if s.Mode.ReplicatedJob.MaxConcurrent != nil {
			r.MaxConcurrent = *s.Mode.ReplicatedJob.MaxConcurrent
		}
		r.TotalCompletions = r.MaxConcurrent
		if s.Mode.ReplicatedJob.TotalCompletions != nil {
			r.TotalCompletions = *s.Mode.ReplicatedJob.TotalCompletions
		}
		spec.Mode = &swarmapi.ServiceSpec_ReplicatedJob{ReplicatedJob: r}
	case s.Mode.Replicated != nil && s.Mode.Replicated.Replicas != nil:
		spec.Mode = &swarmapi.ServiceSpec_Replicated{Replicated: &swarmapi.ReplicatedService{Replicas: *s.Mode.Replicated.Replicas}}
	default:
		spec.Mode = &swarmapi.ServiceSpec_Replicated{Replicated: &swarmapi.ReplicatedService{Replicas: 1}}
	}
	return spec, nil
}

func taskSpecFromGRPC(ts swarmapi.TaskSpec) (types.TaskSpec, error) {
	t := types.TaskSpec{
		Resources:     resourcesFromGRPC(&ts),
		RestartPolicy: restartPolicyFromGRPC(ts.Restart),
		Placement:     placementFromGRPC(ts.Placement),
		LogDriver:     driverFromGRPC(ts.LogDriver),
		Networks:      make([]types.NetworkAttachmentConfig, 0, len(ts.Networks)),
		ForceUpdate:   ts.ForceUpdate,
	}
	for _, n := range ts.Networks {
		t.Networks = append(t.Networks, types.NetworkAttachmentConfig{Target: n.Target, Aliases: n.Aliases, DriverOpts: n.DriverAttachmentOpts})
	}
	switch r := ts.GetRuntime().(type) {
	case *swarmapi.TaskSpec_Container:
		t.ContainerSpec = containerSpecFromGRPC(r.Container)
	case *swarmapi.TaskSpec_Attachment:
		t.Runtime = types.RuntimeNetworkAttachment
		if r.Attachment != nil {
			t.NetworkAttachmentSpec = &types.NetworkAttachmentSpec{ContainerID: r.Attachment.ContainerID}
		}
	}
	return t, nil
}

func endpointSpecFromGRPC(es *swarmapi.EndpointSpec) *types.EndpointSpec {
	if es == nil {
		return nil
	}
	out := &types.EndpointSpec{Mode: types.ResolutionMode(strings.ToLower(es.Mode.String()))}
	for _, p := range es.Ports {
		out.Ports = append(out.Ports, portConfigFromGRPC(p))
	}
	return out
}

func endpointFromGRPC(e *swarmapi.Endpoint) types.Endpoint {
	var out types.Endpoint
	if e == nil {
		return out
	}
	if es := endpointSpecFromGRPC(e.Spec); es != nil {
		out.Spec = *es
	}
	for _, p := range e.Ports {
		out.Ports = append(out.Ports, portConfigFromGRPC(p))
	}
	for _, v := range e.VirtualIPs {
		vip, _ := netip.ParsePrefix(v.Addr)
		out.VirtualIPs = append(out.VirtualIPs, types.EndpointVirtualIP{NetworkID: v.NetworkID, Addr: vip})
	}
	return out
}

func genericResourcesFromGRPC(in []*swarmapi.GenericResource) []types.GenericResource {
	var out []types.GenericResource
	for _, res := range in {
		var g types.GenericResource
		switch r := res.Resource.(type) {
		case *swarmapi.GenericResource_DiscreteResourceSpec:
			g.DiscreteResourceSpec = &types.DiscreteGenericResource{Kind: r.DiscreteResourceSpec.Kind, Value: r.DiscreteResourceSpec.Value}
		case *swarmapi.GenericResource_NamedResourceSpec:
			g.NamedResourceSpec = &types.NamedGenericResource{Kind: r.NamedResourceSpec.Kind, Value: r.NamedResourceSpec.Value}
		}
		out = append(out, g)
	}
	return out
}

func genericResourcesToGRPC(in []types.GenericResource) []*swarmapi.GenericResource {
	var out []*swarmapi.GenericResource
	for _, res := range in {
		switch {
		case res.DiscreteResourceSpec != nil:
			out = append(out, genericresource.NewDiscrete(res.DiscreteResourceSpec.Kind, res.DiscreteResourceSpec.Value))
		case res.NamedResourceSpec != nil:
			out = append(out, genericresource.NewString(res.NamedResourceSpec.Kind, res.NamedResourceSpec.Value))
		}
	}
	return out
}

func resourcesFromGRPC(ts *swarmapi.TaskSpec) *types.ResourceRequirements {
	var out *types.ResourceRequirements
	// The pids limit lives on the container spec in swarmkit, on the
	// resource limits in the Engine API.
	if cs := ts.GetContainer(); cs != nil && cs.PidsLimit != 0 {
		out = &types.ResourceRequirements{Limits: &types.Limit{Pids: cs.PidsLimit}}
	}
	res := ts.Resources
	if res == nil {
		return out
	}
	if out == nil {
		out = &types.ResourceRequirements{}
	}
	if res.Limits != nil {
		if out.Limits == nil {
			out.Limits = &types.Limit{}
		}
		out.Limits.NanoCPUs = res.Limits.NanoCPUs
		out.Limits.MemoryBytes = res.Limits.MemoryBytes
	}
	if res.Reservations != nil {
		out.Reservations = &types.Resources{
			NanoCPUs:         res.Reservations.NanoCPUs,
			MemoryBytes:      res.Reservations.MemoryBytes,
			GenericResources: genericResourcesFromGRPC(res.Reservations.Generic),
		}
	}
	if res.SwapBytes != nil {
		out.SwapBytes = &res.SwapBytes.Value
	}
	if res.MemorySwappiness != nil {
		out.MemorySwappiness = &res.MemorySwappiness.Value
	}
	return out
}

func resourcesToGRPC(res *types.ResourceRequirements) (*swarmapi.ResourceRequirements, error) {
	if res == nil {
		return nil, nil
	}
	out := &swarmapi.ResourceRequirements{}
	if res.Limits != nil {
		out.Limits = &swarmapi.Resources{NanoCPUs: res.Limits.NanoCPUs, MemoryBytes: res.Limits.MemoryBytes}
	}
	if res.Reservations != nil {
		out.Reservations = &swarmapi.Resources{
			NanoCPUs:    res.Reservations.NanoCPUs,
			MemoryBytes: res.Reservations.MemoryBytes,
			Generic:     genericResourcesToGRPC(res.Reservations.GenericResources),
		}
	}
	if res.SwapBytes != nil {
		out.SwapBytes = &gogotypes.Int64Value{Value: *res.SwapBytes}
		if out.Limits == nil || out.Limits.MemoryBytes == 0 {
			return nil, errors.New("memory swap provided, but no memory-limit was set")
		}
	}
	if res.MemorySwappiness != nil {
		out.MemorySwappiness = &gogotypes.Int64Value{Value: *res.MemorySwappiness}
	}
	return out, nil
}

func restartPolicyFromGRPC(p *swarmapi.RestartPolicy) *types.RestartPolicy {
	if p == nil {
		return nil
	}
	rp := &types.RestartPolicy{MaxAttempts: &p.MaxAttempts}
	switch p.Condition {
	case swarmapi.RestartOnNone:
		rp.Condition = types.RestartPolicyConditionNone
	case swarmapi.RestartOnFailure:
		rp.Condition = types.RestartPolicyConditionOnFailure
	default:
		rp.Condition = types.RestartPolicyConditionAny
	}
	if p.Delay != nil {
		d, _ := gogotypes.DurationFromProto(p.Delay)
		rp.Delay = &d
	}
	if p.Window != nil {
		w, _ := gogotypes.DurationFromProto(p.Window)
		rp.Window = &w
	}
	return rp
}

func restartPolicyToGRPC(p *types.RestartPolicy) (*swarmapi.RestartPolicy, error) {
	if p == nil {
		return nil, nil
	}
	rp := &swarmapi.RestartPolicy{}
	switch p.Condition {
	case types.RestartPolicyConditionNone:
		rp.Condition = swarmapi.RestartOnNone
	case types.RestartPolicyConditionOnFailure:
		rp.Condition = swarmapi.RestartOnFailure
	case types.RestartPolicyConditionAny, "":
		rp.Condition = swarmapi.RestartOnAny
	default:
		return nil, fmt.Errorf("invalid RestartCondition: %q", p.Condition)
	}
	if p.Delay != nil {
		rp.Delay = gogotypes.DurationProto(*p.Delay)
	}
	if p.Window != nil {
		rp.Window = gogotypes.DurationProto(*p.Window)
	}
	if p.MaxAttempts != nil {
		rp.MaxAttempts = *p.MaxAttempts
	}
	return rp, nil
}

func placementFromGRPC(p *swarmapi.Placement) *types.Placement {
	if p == nil {
		return nil
	}
	out := &types.Placement{Constraints: p.Constraints, MaxReplicas: p.MaxReplicas}
	for _, pref := range p.Preferences {
		if spread := pref.GetSpread(); spread != nil {
			out.Preferences = append(out.Preferences, types.PlacementPreference{Spread: &types.SpreadOver{SpreadDescriptor: spread.SpreadDescriptor}})
		}
	}
	for _, plat := range p.Platforms {
		out.Platforms = append(out.Platforms, types.Platform{Architecture: plat.Architecture, OS: plat.OS})
	}
	return out
}

func updateConfigFromGRPC(u *swarmapi.UpdateConfig) *types.UpdateConfig {
	if u == nil {
		return nil
	}
	out := &types.UpdateConfig{Parallelism: u.Parallelism, Delay: u.Delay, MaxFailureRatio: u.MaxFailureRatio}
	if u.Monitor != nil {
		out.Monitor, _ = gogotypes.DurationFromProto(u.Monitor)
	}
	switch u.FailureAction {
	case swarmapi.UpdateConfig_PAUSE:
		out.FailureAction = types.UpdateFailureActionPause
	case swarmapi.UpdateConfig_CONTINUE:
		out.FailureAction = types.UpdateFailureActionContinue
	case swarmapi.UpdateConfig_ROLLBACK:
		out.FailureAction = types.UpdateFailureActionRollback
	}
	switch u.Order {
	case swarmapi.UpdateConfig_STOP_FIRST:
		out.Order = types.UpdateOrderStopFirst
	case swarmapi.UpdateConfig_START_FIRST:
		out.Order = types.UpdateOrderStartFirst
	}
	return out
}

func updateConfigToGRPC(u *types.UpdateConfig) (*swarmapi.UpdateConfig, error) {
	if u == nil {
		return nil, nil
	}
	out := &swarmapi.UpdateConfig{Parallelism: u.Parallelism, Delay: u.Delay, MaxFailureRatio: u.MaxFailureRatio}
	switch u.FailureAction {
	case types.UpdateFailureActionPause, "":
		out.FailureAction = swarmapi.UpdateConfig_PAUSE
	case types.UpdateFailureActionContinue:
		out.FailureAction = swarmapi.UpdateConfig_CONTINUE
	case types.UpdateFailureActionRollback:
		out.FailureAction = swarmapi.UpdateConfig_ROLLBACK
	default:
		return nil, fmt.Errorf("unrecognized update failure action %s", u.FailureAction)
	}
	if u.Monitor != 0 {
		out.Monitor = gogotypes.DurationProto(u.Monitor)
	}
	switch u.Order {
	case types.UpdateOrderStopFirst, "":
		out.Order = swarmapi.UpdateConfig_STOP_FIRST
	case types.UpdateOrderStartFirst:
		out.Order = swarmapi.UpdateConfig_START_FIRST
	default:
		return nil, fmt.Errorf("unrecognized update order %s", u.Order)
	}
	return out, nil
}
