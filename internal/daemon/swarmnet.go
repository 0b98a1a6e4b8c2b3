package daemon

import (
	"context"

	"github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/network"

	"github.com/wharf/wharf/internal/cluster"
	"github.com/wharf/wharf/internal/errs"
	netsvc "github.com/wharf/wharf/internal/network"
	"github.com/wharf/wharf/internal/network/overlay"
)

// swarmNetworks is the network routes' backend: the node's own networks
// from the network service, and on a manager the swarm's networks
// (overlay) from the cluster, merged as dockerd's router merges them.
// The overlay networks this node has endpoints on come from its data
// plane (swarmlocal.go), on workers too. It holds no state and no lock;
// each call goes to one service at a time.
type swarmNetworks struct {
	*netsvc.Service
	swarm      *cluster.Cluster
	ov         *overlay.Node
	containers containerLister
	attachable *overlayNetworks
}

func isSwarmScoped(req network.CreateRequest) bool {
	return req.Driver == overlay.Driver || req.Scope == "swarm"
}

// Create makes an overlay network in the swarm (a manager's job), the
// rest on this node.
func (n swarmNetworks) Create(ctx context.Context, req network.CreateRequest) (network.CreateResponse, error) {
	if !isSwarmScoped(req) {
		if n.swarm.IsManager() {
			if _, err := n.swarm.Network(ctx, req.Name); err == nil {
				return network.CreateResponse{}, errs.Conflict("network with name %s already exists", req.Name)
			}
		}
		return n.Service.Create(ctx, req)
	}
	if !n.swarm.IsManager() {
		_, err := n.swarm.Networks(ctx) // docker's words for "no swarm" and "a worker"
		return network.CreateResponse{}, err
	}
	if req.Name == "" {
		return network.CreateResponse{}, errs.Invalid("network name must not be empty")
	}
	local := n.Service.List(ctx)
	for _, l := range local {
		if l.Name == req.Name {
			return network.CreateResponse{}, errs.Conflict("network with name %s already exists", req.Name)
		}
	}
	if req.IPAM != nil {
		for _, c := range req.IPAM.Config {
			for _, l := range local {
				for _, lc := range l.IPAM.Config {
					if c.Subnet.IsValid() && lc.Subnet.IsValid() && c.Subnet.Overlaps(lc.Subnet) {
						return network.CreateResponse{}, errs.Wrap(errdefs.ErrPermissionDenied, overlay.ErrPoolOverlap)
					}
				}
			}
		}
	}
	id, err := n.swarm.CreateNetwork(ctx, req)
	if err != nil {
		return network.CreateResponse{}, err
	}
	return network.CreateResponse{ID: id}, nil
}

// List is this node's networks, on a manager the swarm's, and the
// overlay networks this node has endpoints on (a worker's ingress among
// them), as dockerd merges the cluster's list and libnetwork's.
func (n swarmNetworks) List(ctx context.Context) []network.Inspect {
	out := n.Service.List(ctx)
	seen := map[string]bool{}
	for _, l := range out {
		seen[l.ID] = true
	}
	add := func(nws []network.Inspect) {
		for _, s := range nws {
			if !seen[s.ID] {
				seen[s.ID] = true
				out = append(out, s)
			}
		}
	}
	if n.swarm.IsManager() {
		if nws, err := n.swarm.Networks(ctx); err == nil {
			add(nws)
		}
	}
	add(n.localOverlays(ctx, false))
	return out
}

// Inspect finds a network on this node (an overlay network with
// endpoints here shows them and its peers, on any node, as dockerd's
// does), else in the swarm.
func (n swarmNetworks) Inspect(ctx context.Context, ref string) (network.Inspect, error) {
	nw, err := n.Service.Inspect(ctx, ref)
	if err == nil || !errdefs.IsNotFound(err) {
		return nw, err
	}
	if l, ok := n.localOverlay(ctx, ref); ok {
		return l, nil
	}
	if !n.swarm.IsManager() {
		return nw, err
	}
	if s, serr := n.swarm.Network(ctx, ref); serr == nil {
		return s, nil
	} else if !errdefs.IsNotFound(serr) {
		return nw, serr
	}
	return nw, err
}

// Remove removes a network of this node, else of the swarm.
func (n swarmNetworks) Remove(ctx context.Context, ref string) error {
	err := n.Service.Remove(ctx, ref)
	if err == nil || !errdefs.IsNotFound(err) || !n.swarm.IsManager() {
		return err
	}
	if serr := n.swarm.RemoveNetwork(ctx, ref); !errdefs.IsNotFound(serr) {
		return serr
	}
	return err
}
