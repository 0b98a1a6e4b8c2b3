package container

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"

	"github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/events"
	apinet "github.com/moby/moby/api/types/network"

	"github.com/wharf/wharf/internal/errs"
	"github.com/wharf/wharf/internal/network"
)

// ConnectNetwork is `network connect`: a running container gets its
// endpoint at once, and the configuration is recorded for every later
// start. As in moby, connecting a container is the container service's
// job; the network service only makes the endpoint.
func (s *Service) ConnectNetwork(ctx context.Context, ref, net string, es *apinet.EndpointSettings) error {
	if s.cfg.Networks == nil {
		return errs.Invalid("connect is not available")
	}
	c, err := s.get(ref)
	if err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := checkConnectable(c); err != nil {
		return err
	}
	nw, err := s.cfg.Networks.AttachEndpoint(ctx, network.EndpointRequest{
		ContainerID: c.ID, Name: strings.TrimPrefix(c.Name, "/"), Hostname: c.Config.Hostname,
		Network: net, Settings: es,
	})
	if err != nil {
		return err
	}
	if nw.Resolver.IsValid() {
		s.useResolver(c, nw.Resolver)
	}
	s.editHosts(c, nw.Addrs, nil)
	if es == nil {
		es = &apinet.EndpointSettings{}
	}
	endpointsConfig(c)[nw.Name] = es
	if err := s.save(c); err != nil {
		return err
	}
	s.networkEvent(nw, events.ActionConnect, c.ID)
	return nil
}

// useResolver points a running container's resolv.conf at the embedded
// resolver its new network gave it. The file is bind-mounted into the
// container, so it is rewritten in place (a rename would leave the
// container the old one); each start renders it anew. Callers hold c.mu.
func (s *Service) useResolver(c *Container, addr netip.Addr) {
	path := filepath.Join(s.dir(c.ID), "resolv.conf")
	cur, err := os.ReadFile(path)
	if err == nil {
		err = os.WriteFile(path, network.UseResolver(cur, addr), 0o644)
	}
	if err != nil {
		s.log.Warn("switching resolv.conf to the embedded resolver", "id", c.ID, "err", err)
	}
}

// editHosts adds (connect) or removes (disconnect) a running container's
// own lines in its /etc/hosts, as dockerd: rewritten in place, as
// useResolver. Callers hold c.mu.
func (s *Service) editHosts(c *Container, add, remove []netip.Addr) {
	if len(add) == 0 && len(remove) == 0 {
		return
	}
	path := filepath.Join(s.dir(c.ID), "hosts")
	cur, err := os.ReadFile(path)
	if err == nil {
		err = os.WriteFile(path, network.EditHosts(cur, add, remove, c.Config.Hostname, c.Config.Domainname), 0o644)
	}
	if err != nil {
		s.log.Warn("updating /etc/hosts for a network change", "id", c.ID, "err", err)
	}
}

// DisconnectNetwork is `network disconnect`. force makes a missing
// container no error, as in docker.
func (s *Service) DisconnectNetwork(ctx context.Context, ref, net string, force bool) error {
	if s.cfg.Networks == nil {
		return errs.Invalid("disconnect is not available")
	}
	c, err := s.get(ref)
	if err != nil {
		if force && errdefs.IsNotFound(err) {
			return nil
		}
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := checkConnectable(c); err != nil {
		return err
	}
	nw, found, err := s.cfg.Networks.DetachEndpoint(ctx, c.ID, net)
	if err != nil {
		return err
	}
	cfg := endpointsConfig(c)
	if _, ok := cfg[nw.Name]; !ok && !found && string(c.HostConfig.NetworkMode) != nw.Name {
		return errs.Wrap(errdefs.ErrPermissionDenied, fmt.Errorf("container %s is not connected to network %s", c.ID, nw.Name))
	}
	delete(cfg, nw.Name)
	s.editHosts(c, nil, nw.Addrs)
	if err := s.save(c); err != nil {
		return err
	}
	s.networkEvent(nw, events.ActionDisconnect, c.ID)
	return nil
}

// checkConnectable refuses containers that cannot change networks.
// Callers hold c.mu.
func checkConnectable(c *Container) error {
	if c.removed {
		return errs.NotFound("No such container: %s", c.ID)
	}
	if m := c.HostConfig.NetworkMode; m.IsHost() || m.IsNone() || m.IsContainer() {
		return errs.Invalid("container cannot be disconnected from host network or connected to host network")
	}
	return nil
}

// endpointsConfig is c's per-network endpoint configuration, made if
// missing. Callers hold c.mu.
func endpointsConfig(c *Container) map[string]*apinet.EndpointSettings {
	if c.Networking == nil {
		c.Networking = &networkingConfig{}
	}
	if c.Networking.EndpointsConfig == nil {
		c.Networking.EndpointsConfig = map[string]*apinet.EndpointSettings{}
	}
	return c.Networking.EndpointsConfig
}

// networkEvent publishes a network connect or disconnect with docker's
// attributes.
func (s *Service) networkEvent(nw network.NetworkRef, action events.Action, containerID string) {
	if s.cfg.Events != nil {
		s.cfg.Events.Log(events.NetworkEventType, action, nw.ID, map[string]string{"container": containerID, "name": nw.Name, "type": nw.Driver})
	}
}
