package daemon

import (
	"context"
	"strings"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"

	"github.com/wharf/wharf/internal/api/backend"
	"github.com/wharf/wharf/internal/cluster/convert"
	"github.com/wharf/wharf/internal/cluster/executor"
	"github.com/wharf/wharf/internal/network/overlay"
)

// The overlay networks this node has endpoints on, as dockerd's
// libnetwork shows them on every node (a worker too): `network ls`
// lists them (ingress on every node of the swarm), and `network inspect`
// shows the containers attached here and the nodes taking part (Peers).

// containerLister is what the local view needs of the container service:
// the names of the containers behind the endpoints.
type containerLister interface {
	List(ctx context.Context, o backend.ContainerListOptions) ([]container.Summary, error)
}

// localOverlays converts the node's overlay networks; with containers,
// each one's Containers map is filled (that lists every container, so
// only inspect asks; a list leaves the map empty, as the cluster's
// networks have it).
func (n swarmNetworks) localOverlays(ctx context.Context, containers bool) []network.Inspect {
	if n.ov == nil {
		return nil
	}
	lns := n.ov.LocalNetworks()
	if len(lns) == 0 {
		return nil
	}
	var byEndpoint map[string]ctrRef
	if containers {
		byEndpoint = n.endpointContainers(ctx)
	}
	out := make([]network.Inspect, 0, len(lns))
	for _, ln := range lns {
		nw := convert.NetworkFromGRPC(ln.Network)
		for _, p := range ln.Peers {
			nw.Peers = append(nw.Peers, network.PeerInfo{Name: p.Name, IP: p.IP})
		}
		for _, ep := range ln.Endpoints {
			if !containers {
				break
			}
			key, name := ep.ID, overlay.IngressEndpoint
			if ep.ID != overlay.IngressSandbox {
				c, ok := byEndpoint[ep.ID]
				if !ok {
					continue // a task whose container is gone
				}
				key, name = c.id, c.name
			}
			nw.Containers[key] = network.EndpointResource{
				Name: name, EndpointID: ep.EndpointID, MacAddress: network.HardwareAddr(ep.MAC), IPv4Address: ep.Addr,
			}
		}
		out = append(out, nw)
	}
	return out
}

type ctrRef struct{ id, name string }

// endpointContainers maps the task IDs that key the node's overlay
// endpoints to their containers: a task's own container (by its label),
// or the container an attachment task joined.
func (n swarmNetworks) endpointContainers(ctx context.Context) map[string]ctrRef {
	out := map[string]ctrRef{}
	if n.containers == nil {
		return out
	}
	list, err := n.containers.List(ctx, backend.ContainerListOptions{All: true})
	if err != nil {
		return out
	}
	byID := map[string]ctrRef{}
	for _, c := range list {
		ref := ctrRef{id: c.ID}
		if len(c.Names) > 0 {
			ref.name = strings.TrimPrefix(c.Names[0], "/")
		}
		byID[c.ID] = ref
		if t := c.Labels[executor.LabelTaskID]; t != "" {
			out[t] = ref
		}
	}
	if n.attachable != nil {
		for task, ctr := range n.attachable.attachmentTasks() {
			if ref, ok := byID[ctr]; ok {
				out[task] = ref
			}
		}
	}
	return out
}

// localOverlay finds ref among the node's overlay networks: by full ID,
// then by name, then by ID prefix.
func (n swarmNetworks) localOverlay(ctx context.Context, ref string) (network.Inspect, bool) {
	if n.ov == nil {
		return network.Inspect{}, false
	}
	lns := n.ov.LocalNetworks()
	pick := func() string {
		for _, ln := range lns {
			if ln.Network.ID == ref {
				return ln.Network.ID
			}
		}
		for _, ln := range lns {
			if ln.Network.Spec.Annotations.Name == ref {
				return ln.Network.ID
			}
		}
		var found string
		for _, ln := range lns {
			if strings.HasPrefix(ln.Network.ID, ref) {
				if found != "" {
					return "" // ambiguous: the cluster's lookup says so
				}
				found = ln.Network.ID
			}
		}
		return found
	}
	if ref == "" || len(lns) == 0 {
		return network.Inspect{}, false
	}
	id := pick()
	if id == "" {
		return network.Inspect{}, false
	}
	for _, nw := range n.localOverlays(ctx, true) {
		if nw.ID == id {
			return nw, true
		}
	}
	return network.Inspect{}, false
}
