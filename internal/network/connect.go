package network

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/network"

	"github.com/wharf/wharf/internal/errs"
	"github.com/wharf/wharf/internal/network/bridge"
)

// EndpointRequest asks for a container's endpoint on one network
// (network connect).
type EndpointRequest struct {
	ContainerID string
	Name        string // without "/"
	Hostname    string
	Network     string                    // name, id or unique id prefix
	Settings    *network.EndpointSettings // nil: defaults
}

// NetworkRef names the network an endpoint call resolved.
type NetworkRef struct {
	ID, Name, Driver string
	// Resolver is set when a connect gave a running container its first
	// network with an embedded DNS: its resolv.conf must now name this
	// resolver (UseResolver), as dockerd switches it to 127.0.0.11.
	Resolver netip.Addr
	// Addrs are the addresses of the endpoint a running container got
	// (connect) or lost (disconnect): its /etc/hosts names them (EditHosts).
	Addrs []netip.Addr
}

func (r *record) ref() NetworkRef { return NetworkRef{ID: r.ID, Name: r.Name, Driver: r.Driver} }

// AttachEndpoint connects a container to a network. A container with a
// sandbox (a running one) gets its interface at once; for one without,
// the request is only checked, and the caller records it for the next
// Attach. Like Attach, the interface is made outside s.mu.
func (s *Service) AttachEndpoint(ctx context.Context, req EndpointRequest) (NetworkRef, error) {
	s.mu.Lock()
	r, err := s.find(req.Network)
	if err != nil {
		s.mu.Unlock()
		return NetworkRef{}, err
	}
	if es := req.Settings; r.isDefault() && es != nil && (len(es.Aliases) > 0 || (es.IPAMConfig != nil && es.IPAMConfig.IPv4Address.IsValid())) {
		s.mu.Unlock()
		return NetworkRef{}, errs.Invalid("network-scoped alias is supported only for containers in user defined networks")
	}
	old := s.sandboxes[req.ContainerID]
	if old == nil {
		s.mu.Unlock()
		return r.ref(), nil
	}
	hadResolver := s.resolverOf(old).IsValid()
	sb, ep, err := s.addEndpoint(old, r, req)
	var resolver netip.Addr
	if err == nil && !hadResolver {
		resolver = s.resolverOf(sb)
	}
	s.mu.Unlock()
	if err != nil {
		return NetworkRef{}, err
	}
	if err := s.saveSandbox(sb); err != nil {
		s.dropEndpoint(sb, ep)
		return NetworkRef{}, err
	}
	mac, err := bridge.AddEndpoint(bridge.Endpoint{
		Bridge: ep.Bridge, HostVeth: ep.HostVeth, IfName: ep.IfName, NetNS: sb.NetNS,
		Addr: netip.PrefixFrom(ep.IP, ep.PrefixLen), MAC: parseMAC(ep.MAC), MTU: ep.mtu(), Addr6: ep.prefix6(),
	})
	if err != nil {
		s.dropEndpoint(sb, ep)
		return NetworkRef{}, err
	}
	s.mu.Lock()
	if cur := s.sandboxes[req.ContainerID]; cur != nil {
		sb = cur.clone()
		for _, e := range sb.Endpoints {
			if e.EndpointID == ep.EndpointID {
				e.MAC = mac.String()
			}
		}
		s.sandboxes[req.ContainerID] = sb
	}
	s.mu.Unlock()
	s.saveSandbox(sb)
	ref := r.ref()
	ref.Resolver = resolver
	ref.Addrs = ep.addrs()
	return ref, nil
}

// resolverOf is the embedded resolver sb's containers ask: that of its
// first network that has one (none on the default bridge alone). Callers
// hold s.mu.
func (s *Service) resolverOf(sb *sandbox) netip.Addr {
	for _, ep := range sb.Endpoints {
		if r := s.networks[ep.NetworkID]; r != nil && !r.isDefault() && s.dns[r.ID] != nil {
			return r.gateway()
		}
	}
	return netip.Addr{}
}

// addEndpoint chooses the address and interface of a new endpoint on r
// and registers a copy of old with it. Callers hold s.mu.
func (s *Service) addEndpoint(old *sandbox, r *record, req EndpointRequest) (*sandbox, *endpoint, error) {
	idx := 0
	for _, ep := range old.Endpoints {
		if ep.NetworkID == r.ID {
			return nil, nil, errs.Wrap(errdefs.ErrPermissionDenied, fmt.Errorf("endpoint with name %s already exists in network %s", req.Name, r.Name))
		}
		if n, err := strconv.Atoi(strings.TrimPrefix(ep.IfName, "eth")); err == nil && n >= idx {
			idx = n + 1
		}
	}
	ep, err := s.newEndpoint(r, req.Settings, AttachRequest{ContainerID: req.ContainerID, Name: req.Name, Hostname: req.Hostname}, idx)
	if err != nil {
		return nil, nil, err
	}
	sb := old.clone()
	sb.Endpoints = append(sb.Endpoints, ep)
	s.sandboxes[sb.ContainerID] = sb
	return sb.clone(), ep, nil
}

// dropEndpoint undoes addEndpoint after a failure to make the interface.
func (s *Service) dropEndpoint(sb *sandbox, ep *endpoint) {
	s.mu.Lock()
	if cur := s.sandboxes[sb.ContainerID]; cur != nil {
		s.sandboxes[sb.ContainerID] = withoutEndpoint(cur, ep.EndpointID)
		sb = s.sandboxes[sb.ContainerID]
	}
	s.mu.Unlock()
	s.saveSandbox(sb)
	s.unclaim(ep.Bridge, ep.IP, sb.NetNS)
}

// withoutEndpoint is a copy of sb without the endpoint id.
func withoutEndpoint(sb *sandbox, id string) *sandbox {
	c := sb.clone()
	c.Endpoints = slices.DeleteFunc(c.Endpoints, func(e *endpoint) bool { return e.EndpointID == id })
	return c
}

// DetachEndpoint removes a running container's interface on a network
// and reports whether it had one. A container without a sandbox has none:
// the caller forgets its configuration.
func (s *Service) DetachEndpoint(ctx context.Context, containerID, ref string) (NetworkRef, bool, error) {
	s.mu.Lock()
	r, err := s.find(ref)
	if err != nil {
		s.mu.Unlock()
		return NetworkRef{}, false, err
	}
	var ep *endpoint
	sb := s.sandboxes[containerID]
	if sb != nil {
		for _, e := range sb.Endpoints {
			if e.NetworkID == r.ID {
				ep = e
			}
		}
	}
	if ep == nil {
		s.mu.Unlock()
		return r.ref(), false, nil
	}
	sb = withoutEndpoint(sb, ep.EndpointID)
	s.sandboxes[containerID] = sb
	s.mu.Unlock()
	bridge.RemoveInterface(sb.NetNS, ep.IfName)
	bridge.Delete(ep.HostVeth)
	s.unclaim(ep.Bridge, ep.IP, sb.NetNS)
	s.saveSandbox(sb)
	nref := r.ref()
	nref.Addrs = ep.addrs()
	return nref, true, nil
}

// Rename gives a running container's endpoints its new name: the embedded
// DNS answers for it at once and no longer for the old one, as docker's.
func (s *Service) Rename(ctx context.Context, containerID, oldName, newName string) {
	s.mu.Lock()
	old := s.sandboxes[containerID]
	if old == nil {
		s.mu.Unlock()
		return
	}
	sb := old.clone()
	sb.Name = newName
	for _, ep := range sb.Endpoints {
		for i, n := range ep.DNSNames {
			if n == oldName {
				ep.DNSNames[i] = newName
			}
		}
	}
	s.sandboxes[containerID] = sb
	s.mu.Unlock()
	s.saveSandbox(sb)
}
