package convert

import (
	"net/netip"

	gogotypes "github.com/gogo/protobuf/types"
	"github.com/moby/moby/api/types/network"
	swarmapi "github.com/moby/swarmkit/v2/api"
	"github.com/moby/swarmkit/v2/manager/allocator/networkallocator"
)

// NetworkFromGRPC is a swarm network as GET /networks shows it (moby's
// BasicNetworkFromGRPC): scope swarm, the driver and IPAM the managers
// allocated.
func NetworkFromGRPC(n *swarmapi.Network) network.Inspect {
	out := network.Inspect{Network: network.Network{
		ID: n.ID, Name: n.Spec.Annotations.Name, Scope: "swarm", EnableIPv4: true,
		EnableIPv6: n.Spec.Ipv6Enabled, Internal: n.Spec.Internal, Attachable: n.Spec.Attachable,
		Ingress: networkallocator.IsIngressNetwork(n), Labels: n.Spec.Annotations.Labels,
		IPAM: network.IPAM{Config: []network.IPAMConfig{}}, Options: map[string]string{},
	}, Containers: map[string]network.EndpointResource{}}
	if out.Labels == nil {
		out.Labels = map[string]string{}
	}
	out.Created, _ = gogotypes.TimestampFromProto(n.Meta.CreatedAt)
	if n.Spec.GetNetwork() != "" {
		out.ConfigFrom = network.ConfigReference{Network: n.Spec.GetNetwork()}
	}
	if n.IPAM != nil {
		if n.IPAM.Driver != nil {
			out.IPAM.Driver, out.IPAM.Options = n.IPAM.Driver.Name, n.IPAM.Driver.Options
		}
		for _, ic := range n.IPAM.Configs {
			subnet, _ := netip.ParsePrefix(ic.Subnet)
			rng, _ := netip.ParsePrefix(ic.Range)
			gw, _ := netip.ParseAddr(ic.Gateway)
			out.IPAM.Config = append(out.IPAM.Config, network.IPAMConfig{Subnet: subnet.Masked(), IPRange: rng.Masked(), Gateway: gw})
		}
	}
	if n.DriverState != nil {
		out.Driver = n.DriverState.Name
		if n.DriverState.Options != nil {
			out.Options = n.DriverState.Options
		}
	} else if n.Spec.DriverConfig != nil {
		out.Driver = n.Spec.DriverConfig.Name
	}
	return out
}

// NetworkCreateToGRPC is POST /networks/create's body as a swarm
// network spec (moby's BasicNetworkCreateToGRPC).
func NetworkCreateToGRPC(req network.CreateRequest) swarmapi.NetworkSpec {
	ns := swarmapi.NetworkSpec{
		Annotations:  swarmapi.Annotations{Name: req.Name, Labels: req.Labels},
		DriverConfig: &swarmapi.Driver{Name: req.Driver, Options: req.Options},
		Internal:     req.Internal, Attachable: req.Attachable, Ingress: req.Ingress,
	}
	if req.EnableIPv6 != nil {
		ns.Ipv6Enabled = *req.EnableIPv6
	}
	if req.IPAM != nil {
		driver := req.IPAM.Driver
		if driver == "" {
			driver = "default"
		}
		ns.IPAM = &swarmapi.IPAMOptions{Driver: &swarmapi.Driver{Name: driver, Options: req.IPAM.Options}}
		for _, c := range req.IPAM.Config {
			ic := &swarmapi.IPAMConfig{}
			if c.Subnet.IsValid() {
				ic.Subnet = c.Subnet.String()
			}
			if c.IPRange.IsValid() {
				ic.Range = c.IPRange.String()
			}
			if c.Gateway.IsValid() {
				ic.Gateway = c.Gateway.String()
			}
			ns.IPAM.Configs = append(ns.IPAM.Configs, ic)
		}
	}
	if req.ConfigFrom != nil {
		ns.ConfigFrom = &swarmapi.NetworkSpec_Network{Network: req.ConfigFrom.Network}
	}
	return ns
}
