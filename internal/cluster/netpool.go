package cluster

import (
	"context"
	"errors"
	"net/netip"

	"github.com/containerd/errdefs"
	swarmapi "github.com/moby/swarmkit/v2/api"

	"github.com/wharf/wharf/internal/errs"
	"github.com/wharf/wharf/internal/network/ipam"
	"github.com/wharf/wharf/internal/network/overlay"
)

// errPoolExhausted is moby's word when no default pool has a subnet
// left for a new network.
var errPoolExhausted = errs.Wrap(errdefs.ErrPermissionDenied, errors.New("could not find an available, non-overlapping IPv4 address pool among the defaults to assign to the network"))

// checkPool refuses an overlay network without a subnet of its own when
// the swarm's default address pools have none left: swarmkit stores a
// network before its allocator runs, so the allocator's refusal would
// leave a network without a subnet behind.
func checkPool(ctx context.Context, c swarmapi.ControlClient, spec swarmapi.NetworkSpec) error {
	if spec.DriverConfig != nil && spec.DriverConfig.Name != "" && spec.DriverConfig.Name != overlay.Driver {
		return nil
	}
	if spec.IPAM != nil && len(spec.IPAM.Configs) > 0 && spec.IPAM.Configs[0].Subnet != "" {
		return nil // checkOverlap's
	}
	cl, err := c.ListClusters(ctx, &swarmapi.ListClustersRequest{})
	if err != nil || len(cl.Clusters) == 0 {
		return fromGRPC(err)
	}
	size := int(cl.Clusters[0].SubnetSize)
	if size == 0 {
		size = 24
	}
	var pools []ipam.PoolSpec
	for _, p := range cl.Clusters[0].DefaultAddressPool {
		if pfx, err := netip.ParsePrefix(p); err == nil {
			pools = append(pools, ipam.PoolSpec{Base: pfx.Masked(), Size: size})
		}
	}
	if len(pools) == 0 {
		pools = []ipam.PoolSpec{{Base: netip.MustParsePrefix("10.0.0.0/8"), Size: size}}
	}
	r, err := c.ListNetworks(ctx, &swarmapi.ListNetworksRequest{})
	if err != nil {
		return fromGRPC(err)
	}
	var used []netip.Prefix
	for _, n := range r.Networks {
		if n.Spec.Annotations.Name == spec.Annotations.Name {
			return nil // swarmkit's name conflict comes first
		}
		used = append(used, subnetsOf(n)...)
	}
	if _, err := ipam.NextSubnet(pools, used); err != nil {
		return errPoolExhausted
	}
	return nil
}

// subnetsOf is every subnet a swarm network has: allocated, or asked
// for in its spec.
func subnetsOf(n *swarmapi.Network) []netip.Prefix {
	var cfgs []*swarmapi.IPAMConfig
	if n.IPAM != nil {
		cfgs = append(cfgs, n.IPAM.Configs...)
	}
	if n.Spec.IPAM != nil {
		cfgs = append(cfgs, n.Spec.IPAM.Configs...)
	}
	var out []netip.Prefix
	for _, ic := range cfgs {
		if p, err := netip.ParsePrefix(ic.Subnet); err == nil {
			out = append(out, p)
		}
	}
	return out
}
