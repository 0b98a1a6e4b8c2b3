package overlay

import (
	"strings"

	"github.com/moby/swarmkit/v2/api"
	"github.com/moby/swarmkit/v2/manager/allocator/networkallocator"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// nodeLocalDrivers are the drivers whose swarm networks only name a
// node's own network (moby's localDrivers).
var nodeLocalDrivers = map[string]bool{"bridge": true, "host": true, "ipvlan": true, "macvlan": true}

// Provider is swarmkit's network Provider: it checks drivers at create
// time and makes the managers' allocator.
type Provider struct{}

var _ networkallocator.Provider = Provider{}

// NewAllocator makes the allocator for a manager's config.
func (Provider) NewAllocator(c *networkallocator.Config) (networkallocator.NetworkAllocator, error) {
	var pools []string
	var size uint32
	if c != nil {
		pools, size = c.DefaultAddrPool, c.SubnetSize
	}
	return NewAllocator(pools, size)
}

// PredefinedNetworks is empty: a node's bridge and host networks are its
// own, listed by its network service.
func (Provider) PredefinedNetworks() []networkallocator.PredefinedNetworkData { return nil }

// SetDefaultVXLANUDPPort is a no-op: the nodes read the port from the
// swarm's config.
func (Provider) SetDefaultVXLANUDPPort(uint32) error { return nil }

// ValidateIPAMDriver accepts only the default IPAM driver (no plugins).
func (Provider) ValidateIPAMDriver(d *api.Driver) error {
	if d == nil || d.Name == "" || strings.EqualFold(d.Name, "default") {
		return nil
	}
	return status.Errorf(codes.InvalidArgument, "error during lookup of plugin %s", d.Name)
}

// ValidateIngressNetworkDriver accepts only overlay.
func (p Provider) ValidateIngressNetworkDriver(d *api.Driver) error {
	if d != nil && d.Name != Driver {
		return status.Errorf(codes.Unimplemented, "only overlay driver is currently supported for ingress network")
	}
	return p.ValidateNetworkDriver(d)
}

// ValidateNetworkDriver accepts overlay and the node-local drivers, and
// refuses encryption, which needs IPsec ESP (not built in this kernel
// family, and not implemented by Wharf).
func (Provider) ValidateNetworkDriver(d *api.Driver) error {
	if d == nil {
		return nil
	}
	if d.Name == "" {
		return status.Errorf(codes.InvalidArgument, "driver name: if driver is specified name is required")
	}
	if _, ok := d.Options[OptEncrypted]; ok && d.Name == Driver {
		return status.Errorf(codes.Unimplemented, "encrypted overlay networks are not supported: Wharf does not implement IPsec (ESP) between nodes; create the network without --opt encrypted")
	}
	if d.Name == Driver || nodeLocalDrivers[strings.ToLower(d.Name)] {
		return nil
	}
	return status.Errorf(codes.InvalidArgument, "error during lookup of plugin %s", d.Name)
}
