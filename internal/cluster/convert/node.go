package convert

import (
	"fmt"
	"strings"

	gogotypes "github.com/gogo/protobuf/types"
	types "github.com/moby/moby/api/types/swarm"
	swarmapi "github.com/moby/swarmkit/v2/api"
)

// NodeFromGRPC is a node as GET /nodes shows it.
func NodeFromGRPC(n swarmapi.Node) types.Node {
	node := types.Node{
		ID: n.ID,
		Spec: types.NodeSpec{
			Annotations:  annotationsFromGRPC(n.Spec.Annotations),
			Role:         types.NodeRole(strings.ToLower(n.Spec.DesiredRole.String())),
			Availability: types.NodeAvailability(strings.ToLower(n.Spec.Availability.String())),
		},
		Status: types.NodeStatus{
			State:   types.NodeState(strings.ToLower(n.Status.State.String())),
			Message: n.Status.Message,
			Addr:    n.Status.Addr,
		},
	}
	node.Version.Index = n.Meta.Version.Index
	node.CreatedAt, _ = gogotypes.TimestampFromProto(n.Meta.CreatedAt)
	node.UpdatedAt, _ = gogotypes.TimestampFromProto(n.Meta.UpdatedAt)
	if d := n.Description; d != nil {
		node.Description.Hostname = d.Hostname
		if d.Platform != nil {
			node.Description.Platform.Architecture = d.Platform.Architecture
			node.Description.Platform.OS = d.Platform.OS
		}
		if d.Resources != nil {
			node.Description.Resources.NanoCPUs = d.Resources.NanoCPUs
			node.Description.Resources.MemoryBytes = d.Resources.MemoryBytes
		}
		if d.Engine != nil {
			node.Description.Engine.EngineVersion = d.Engine.EngineVersion
			node.Description.Engine.Labels = d.Engine.Labels
			for _, p := range d.Engine.Plugins {
				node.Description.Engine.Plugins = append(node.Description.Engine.Plugins, types.PluginDescription{Type: p.Type, Name: p.Name})
			}
		}
		if d.TLSInfo != nil {
			node.Description.TLSInfo.TrustRoot = string(d.TLSInfo.TrustRoot)
			node.Description.TLSInfo.CertIssuerPublicKey = d.TLSInfo.CertIssuerPublicKey
			node.Description.TLSInfo.CertIssuerSubject = d.TLSInfo.CertIssuerSubject
		}
	}
	if m := n.ManagerStatus; m != nil {
		node.ManagerStatus = &types.ManagerStatus{
			Leader:       m.Leader,
			Reachability: types.Reachability(strings.ToLower(m.Reachability.String())),
			Addr:         m.Addr,
		}
	}
	return node
}

// NodeSpecToGRPC is the spec of POST /nodes/{id}/update.
func NodeSpecToGRPC(s types.NodeSpec) (swarmapi.NodeSpec, error) {
	spec := swarmapi.NodeSpec{Annotations: swarmapi.Annotations{Name: s.Name, Labels: s.Labels}}
	role, ok := swarmapi.NodeRole_value[strings.ToUpper(string(s.Role))]
	if !ok {
		return swarmapi.NodeSpec{}, fmt.Errorf("invalid Role: %q", s.Role)
	}
	spec.DesiredRole = swarmapi.NodeRole(role)
	avail, ok := swarmapi.NodeSpec_Availability_value[strings.ToUpper(string(s.Availability))]
	if !ok {
		return swarmapi.NodeSpec{}, fmt.Errorf("invalid Availability: %q", s.Availability)
	}
	spec.Availability = swarmapi.NodeSpec_Availability(avail)
	return spec, nil
}
