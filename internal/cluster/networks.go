package cluster

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"

	"github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/network"
	swarmapi "github.com/moby/swarmkit/v2/api"

	"github.com/wharf/wharf/internal/cluster/convert"
	"github.com/wharf/wharf/internal/errs"
	"github.com/wharf/wharf/internal/network/overlay"
)

// Swarm-scoped networks (overlay) live in the managers' store; the
// managers' allocator (netalloc.go) gives them subnets and VXLAN IDs.

// predefinedNetworks cannot be created as swarm networks either.
var predefinedNetworks = map[string]bool{"bridge": true, "host": true, "none": true, "default": true}

// CreateNetwork answers POST /networks/create for a swarm-scoped driver
// on a manager.
func (c *Cluster) CreateNetwork(ctx context.Context, req network.CreateRequest) (string, error) {
	ctx, st, done, err := c.call(ctx)
	defer done()
	if err != nil {
		return "", err
	}
	if predefinedNetworks[req.Name] {
		return "", errs.Wrap(errdefs.ErrPermissionDenied, fmt.Errorf("%s is a pre-defined network and cannot be created", req.Name))
	}
	spec := convert.NetworkCreateToGRPC(req)
	if _, ok := req.Options[overlay.OptEncrypted]; ok && req.Driver == overlay.Driver {
		return "", errs.Wrap(errdefs.ErrNotImplemented, overlay.CheckEncryption(c.cfg.ExecRoot))
	}
	// swarmkit stores a network before its allocator runs: an overlap
	// found then would leave a network without a subnet behind, so it is
	// refused here, as the allocator would.
	if err := checkOverlap(ctx, st.control, spec); err != nil {
		return "", err
	}
	if err := checkPool(ctx, st.control, spec); err != nil {
		return "", err
	}
	r, err := st.control.CreateNetwork(ctx, &swarmapi.CreateNetworkRequest{Spec: &spec})
	if err != nil {
		if s := err.Error(); strings.Contains(s, "already exists") || strings.Contains(s, "name conflicts") {
			return "", errs.Conflict("network with name %s already exists", req.Name)
		}
		return "", fromGRPC(err)
	}
	if spec.Ingress {
		c.reattachNodes(ctx, st.control)
	}
	return r.Network.ID, nil
}

func checkOverlap(ctx context.Context, c swarmapi.ControlClient, spec swarmapi.NetworkSpec) error {
	if spec.IPAM == nil {
		return nil
	}
	r, err := c.ListNetworks(ctx, &swarmapi.ListNetworksRequest{})
	if err != nil {
		return fromGRPC(err)
	}
	for _, want := range spec.IPAM.Configs {
		p, err := netip.ParsePrefix(want.Subnet)
		if err != nil {
			continue
		}
		for _, n := range r.Networks {
			for _, q := range subnetsOf(n) {
				if q.Overlaps(p) {
					return errs.Wrap(errdefs.ErrPermissionDenied, overlay.ErrPoolOverlap)
				}
			}
		}
	}
	return nil
}

// Networks lists the swarm's networks; nil when this node is no manager.
func (c *Cluster) Networks(ctx context.Context) ([]network.Inspect, error) {
	ctx, st, done, err := c.call(ctx)
	defer done()
	if err != nil {
		return nil, err
	}
	r, err := st.control.ListNetworks(ctx, &swarmapi.ListNetworksRequest{})
	if err != nil {
		return nil, fromGRPC(err)
	}
	out := make([]network.Inspect, 0, len(r.Networks))
	for _, n := range r.Networks {
		out = append(out, convert.NetworkFromGRPC(n))
	}
	return out, nil
}

// Network finds one swarm network by ID, name or ID prefix.
func (c *Cluster) Network(ctx context.Context, ref string) (network.Inspect, error) {
	ctx, st, done, err := c.call(ctx)
	defer done()
	if err != nil {
		return network.Inspect{}, err
	}
	n, err := getNetwork(ctx, st.control, ref)
	if err != nil {
		return network.Inspect{}, err
	}
	return convert.NetworkFromGRPC(n), nil
}

// RemoveNetwork answers DELETE /networks/{id} for a swarm network;
// swarmkit refuses one a service uses, in docker's words.
func (c *Cluster) RemoveNetwork(ctx context.Context, ref string) error {
	ctx, st, done, err := c.call(ctx)
	defer done()
	if err != nil {
		return err
	}
	n, err := getNetwork(ctx, st.control, ref)
	if err != nil {
		return err
	}
	_, err = st.control.RemoveNetwork(ctx, &swarmapi.RemoveNetworkRequest{NetworkID: n.ID})
	return fromGRPC(err)
}

// IsManager reports whether this node can answer for swarm networks.
func (c *Cluster) IsManager() bool {
	_, err := c.manager()
	return err == nil
}

func getNetwork(ctx context.Context, c swarmapi.ControlClient, ref string) (*swarmapi.Network, error) {
	if r, err := c.GetNetwork(ctx, &swarmapi.GetNetworkRequest{NetworkID: ref}); err == nil {
		return r.Network, nil
	}
	r, err := c.ListNetworks(ctx, &swarmapi.ListNetworksRequest{Filters: &swarmapi.ListNetworksRequest_Filters{Names: []string{ref}}})
	if err != nil || len(r.Networks) == 0 {
		r, err = c.ListNetworks(ctx, &swarmapi.ListNetworksRequest{Filters: &swarmapi.ListNetworksRequest_Filters{IDPrefixes: []string{ref}}})
	}
	if err != nil {
		return nil, fromGRPC(err)
	}
	switch len(r.Networks) {
	case 0:
		return nil, errs.NotFound("network %s not found", ref)
	case 1:
		return r.Networks[0], nil
	}
	return nil, errs.Wrap(errdefs.ErrInvalidArgument, errors.New("network "+ref+" is ambiguous"))
}

// resolveNetworks names a service's networks by ID, as dockerd does, so
// that `--network name` survives a rename and reaches the allocator.
func resolveNetworks(ctx context.Context, c swarmapi.ControlClient, spec *swarmapi.ServiceSpec) error {
	for _, n := range spec.Task.Networks {
		nw, err := getNetwork(ctx, c, n.Target)
		if err != nil {
			return err
		}
		n.Target = nw.ID
	}
	return nil
}

// ManagerHosts are the hosts of the managers this node knows (its own
// included when it is one): the overlay gossip's seeds.
func (c *Cluster) ManagerHosts() []string {
	_, st := c.current()
	if st.node == nil {
		return nil
	}
	var out []string
	for _, p := range st.node.Remotes() {
		if h, _, err := net.SplitHostPort(p.Addr); err == nil {
			out = append(out, h)
		}
	}
	return out
}
