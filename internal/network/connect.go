package network

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/network"

	"github.com/wharf/wharf/internal/errs"
	"github.com/wharf/wharf/internal/network/bridge"
)

// Containers is what connect and disconnect need from the container
// service: finding a container, and recording its endpoint configuration
// so that it is attached again at its next start.
type Containers interface {
	NetworkContainer(ref string) (id, name, hostname string, err error)
	SetEndpointConfig(id, network string, es *network.EndpointSettings) error
}

// SetContainers wires the container service in (it is built after us)
// and detaches what belongs to containers that no longer exist (a removal
// cut short by a crash).
func (s *Service) SetContainers(c Containers) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.containers = c
	for id := range s.sandboxes {
		if _, _, _, err := c.NetworkContainer(id); errors.Is(err, errdefs.ErrNotFound) {
			s.log.Warn("detaching the network of a container that is gone", "id", id)
			s.detachLocked(id)
		}
	}
}

// Connect attaches a container to a network: at once if it is running,
// and at every later start.
func (s *Service) Connect(ctx context.Context, ref string, req network.ConnectRequest) error {
	if s.containers == nil {
		return errs.Invalid("connect is not available")
	}
	id, name, hostname, err := s.containers.NetworkContainer(req.Container)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	r, err := s.find(ref)
	if err != nil {
		return err
	}
	if r.isDefault() {
		if es := req.EndpointConfig; es != nil && (len(es.Aliases) > 0 || (es.IPAMConfig != nil && es.IPAMConfig.IPv4Address.IsValid())) {
			return errs.Invalid("network-scoped alias is supported only for containers in user defined networks")
		}
	}
	sb := s.sandboxes[id]
	if sb != nil {
		for _, ep := range sb.Endpoints {
			if ep.NetworkID == r.ID {
				return errs.Wrap(errdefs.ErrPermissionDenied, fmt.Errorf("endpoint with name %s already exists in network %s", name, r.Name))
			}
		}
		idx := 0
		for _, ep := range sb.Endpoints {
			if n, err := strconv.Atoi(strings.TrimPrefix(ep.IfName, "eth")); err == nil && n >= idx {
				idx = n + 1
			}
		}
		ep, err := s.newEndpoint(r, req.EndpointConfig, AttachRequest{ContainerID: id, Name: name, Hostname: hostname}, idx)
		if err != nil {
			return err
		}
		sb.Endpoints = append(sb.Endpoints, ep)
		if err := s.saveSandbox(sb); err != nil {
			sb.Endpoints = sb.Endpoints[:len(sb.Endpoints)-1]
			return err
		}
		mac, err := bridge.AddEndpoint(bridge.Endpoint{
			Bridge: r.Bridge, HostVeth: ep.HostVeth, IfName: ep.IfName, NetNS: sb.NetNS,
			Addr: netip.PrefixFrom(ep.IP, ep.PrefixLen), MAC: parseMAC(ep.MAC), MTU: 1500,
		})
		if err != nil {
			sb.Endpoints = sb.Endpoints[:len(sb.Endpoints)-1]
			s.saveSandbox(sb)
			s.unclaim(r.Bridge, ep.IP, sb.NetNS)
			return err
		}
		ep.MAC = mac.String()
		s.saveSandbox(sb)
	}
	es := req.EndpointConfig
	if es == nil {
		es = &network.EndpointSettings{}
	}
	return s.containers.SetEndpointConfig(id, r.Name, es)
}

// Disconnect detaches a container from a network.
func (s *Service) Disconnect(ctx context.Context, ref string, req network.DisconnectRequest) error {
	if s.containers == nil {
		return errs.Invalid("disconnect is not available")
	}
	s.mu.Lock()
	r, err := s.find(ref)
	s.mu.Unlock()
	if err != nil {
		return err
	}
	id, name, _, err := s.containers.NetworkContainer(req.Container)
	if err != nil {
		if req.Force && errors.Is(err, errdefs.ErrNotFound) {
			return nil
		}
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	found := false
	if sb := s.sandboxes[id]; sb != nil {
		for i, ep := range sb.Endpoints {
			if ep.NetworkID != r.ID {
				continue
			}
			found = true
			bridge.RemoveInterface(sb.NetNS, ep.IfName)
			bridge.Delete(ep.HostVeth)
			s.unclaim(r.Bridge, ep.IP, sb.NetNS)
			sb.Endpoints = append(sb.Endpoints[:i], sb.Endpoints[i+1:]...)
			s.saveSandbox(sb)
			break
		}
	}
	if err := s.containers.SetEndpointConfig(id, r.Name, nil); err != nil {
		if !found {
			return errs.Wrap(errdefs.ErrPermissionDenied, fmt.Errorf("container %s is not connected to network %s", name, r.Name))
		}
		return err
	}
	return nil
}
