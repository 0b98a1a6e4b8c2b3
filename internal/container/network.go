package container

import (
	"context"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/moby/moby/api/types/container"
	apinet "github.com/moby/moby/api/types/network"

	"github.com/wharf/wharf/internal/errs"
	"github.com/wharf/wharf/internal/fsutil"
	"github.com/wharf/wharf/internal/network"
)

// Networks is what the container service needs from the network service.
// The network service never calls back: the container service holds a
// container's lock while it calls these, so lock order is always
// container → network.
type Networks interface {
	Exists(ref string) (string, error)
	Attach(ctx context.Context, req network.AttachRequest) (*network.AttachResult, error)
	Detach(ctx context.Context, containerID string)
	AttachEndpoint(ctx context.Context, req network.EndpointRequest) (network.NetworkRef, error)
	DetachEndpoint(ctx context.Context, containerID, ref string) (network.NetworkRef, bool, error)
	Attached() []string
	Rename(ctx context.Context, containerID, oldName, newName string)
	NetNS(containerID string) string
	Settings(containerID, mode string, configured map[string]*apinet.EndpointSettings) *container.NetworkSettings
	PortSummaries(containerID string) []container.PortSummary
}

// checkNetworkMode refuses what dockerd refuses at create. Unknown
// networks and containers are only found out at start, as with dockerd
// (a 404 from create would make the CLI try to pull the image).
func (s *Service) checkNetworkMode(hc *container.HostConfig) error {
	if hc.NetworkMode.IsContainer() && (len(hc.PortBindings) > 0 || hc.PublishAllPorts) {
		return errs.Invalid("conflicting options: port publishing and the container type network mode")
	}
	return nil
}

// setupNetwork gives c its network before the runtime creates it: for
// bridge networks a new namespace with its endpoints and ports, and the
// hosts and resolv.conf that go with them. It returns the namespace to
// join ("" for a new, empty one), the environment links add and, if not
// nil, a function that waits for the namespace's interfaces and ports:
// they are made while the runtime creates the container (the namespace
// and the files are there before), unless a sysctl of the container's
// may name an interface, which must exist when the runtime sets it.
func (s *Service) setupNetwork(ctx context.Context, c *Container) (string, []string, func() error, error) {
	mode := c.HostConfig.NetworkMode
	switch {
	case mode.IsHost(), mode.IsNone():
		return "", nil, nil, nil
	case mode.IsContainer():
		ns, env, err := s.joinContainerNetwork(c)
		return ns, env, nil, err
	case s.cfg.Networks == nil:
		return "", nil, nil, nil
	}
	req := network.AttachRequest{
		ContainerID:  c.ID,
		Name:         strings.TrimPrefix(c.Name, "/"),
		Hostname:     c.Config.Hostname,
		Domainname:   c.Config.Domainname,
		Mode:         string(mode),
		PortBindings: c.HostConfig.PortBindings,
		ExposedPorts: c.Config.ExposedPorts,
		PublishAll:   c.HostConfig.PublishAllPorts,
		ExtraHosts:   c.HostConfig.ExtraHosts,
		Background:   !netSysctls(c.HostConfig.Sysctls),
	}
	req.DNS, req.DNSSearch, req.DNSOptions = s.dnsFor(c.HostConfig)
	if c.Networking != nil {
		req.Endpoints = c.Networking.EndpointsConfig
	}
	for _, l := range c.HostConfig.Links {
		link, err := s.resolveLink(c, l)
		if err != nil {
			return "", nil, nil, err
		}
		req.Links = append(req.Links, link)
	}
	res, err := s.cfg.Networks.Attach(ctx, req)
	if err != nil {
		return "", nil, nil, err
	}
	dir := s.dir(c.ID)
	if err := fsutil.WriteFileAtomic(filepath.Join(dir, "hosts"), res.Hosts, 0o644, false); err != nil {
		return "", nil, res.Ready, err
	}
	if err := fsutil.WriteFileAtomic(filepath.Join(dir, "resolv.conf"), res.ResolvConf, 0o644, false); err != nil {
		return "", nil, res.Ready, err
	}
	return res.NetNS, res.LinkEnv, res.Ready, nil
}

// netSysctls reports whether any of a container's sysctls is a network
// one (net.*), which may name one of its interfaces.
func netSysctls(sysctls map[string]string) bool {
	for k := range sysctls {
		if strings.HasPrefix(k, "net.") || strings.HasPrefix(k, "net/") {
			return true
		}
	}
	return false
}

// networkWritesEtc reports whether setupNetwork writes c's hosts and
// resolv.conf (those of a bridge or user-defined network, from the
// network service), so that writeEtcFiles need not.
func (s *Service) networkWritesEtc(c *Container) bool {
	mode := c.HostConfig.NetworkMode
	return s.cfg.Networks != nil && !mode.IsHost() && !mode.IsNone() && !mode.IsContainer()
}

// resolveLink parses a --link "name[:alias]" into its running target.
func (s *Service) resolveLink(c *Container, l string) (network.Link, error) {
	name, alias, ok := strings.Cut(l, ":")
	name = strings.TrimPrefix(name, "/")
	if !ok {
		alias = name
	}
	alias = alias[strings.LastIndex(alias, "/")+1:]
	t, err := s.get(name)
	if err != nil {
		return network.Link{}, errs.Invalid("could not get container for %s", name)
	}
	if t.ID == c.ID {
		return network.Link{}, errs.Invalid("cannot link to self")
	}
	t.mu.Lock()
	running, env, onBridge := t.State.Running, t.Config.Env, onDefaultBridge(t)
	t.mu.Unlock()
	if !running {
		return network.Link{}, errs.Invalid("Cannot link to a non running container: %s AS %s/%s", t.Name, c.Name, alias)
	}
	// A legacy link lives on the default bridge: its target must be there
	// too (dockerd's words; it answers 500, a user's error is a 400).
	if onDefaultBridge(c) && !onBridge {
		return network.Link{}, errs.Invalid("Cannot link to %s, as it does not belong to the default network", t.Name)
	}
	return network.Link{ContainerID: t.ID, Name: strings.TrimPrefix(t.Name, "/"), Alias: alias, Env: env}, nil
}

// onDefaultBridge tells whether c is on the default bridge, by its
// network mode or a connect. Callers hold c.mu (or own c).
func onDefaultBridge(c *Container) bool {
	if m := c.HostConfig.NetworkMode; m == "" || m.IsDefault() || m.IsBridge() {
		return true
	}
	if c.Networking == nil {
		return false
	}
	_, ok := c.Networking.EndpointsConfig[apinet.NetworkBridge]
	return ok
}

// joinContainerNetwork is --network container:<ref>: c shares the running
// target's namespace, hosts and resolv.conf, and takes its host name, as
// in docker.
func (s *Service) joinContainerNetwork(c *Container) (string, []string, error) {
	t, err := s.get(c.HostConfig.NetworkMode.ConnectedContainer())
	if err != nil {
		return "", nil, err
	}
	if t.ID == c.ID {
		return "", nil, errs.Invalid("cannot join own network")
	}
	t.mu.Lock()
	running, pid := t.State.Running, t.State.Pid
	hostname, domainname := t.Config.Hostname, t.Config.Domainname
	t.mu.Unlock()
	if !running {
		return "", nil, errs.Conflict("cannot join network namespace of a non running container: container %s is exited", t.ID)
	}
	c.Config.Hostname, c.Config.Domainname = hostname, domainname
	for _, f := range []string{"hostname", "hosts", "resolv.conf"} {
		if data, err := os.ReadFile(filepath.Join(s.dir(t.ID), f)); err == nil {
			fsutil.WriteFileAtomic(filepath.Join(s.dir(c.ID), f), data, 0o644, false)
		}
	}
	if s.cfg.Networks != nil {
		if p := s.cfg.Networks.NetNS(t.ID); p != "" {
			return p, nil, nil
		}
	}
	if t.HostConfig.NetworkMode.IsHost() {
		return "/proc/1/ns/net", nil, nil
	}
	return "/proc/" + strconv.Itoa(pid) + "/ns/net", nil, nil
}

// teardownNetwork releases what setupNetwork made; safe to repeat.
func (s *Service) teardownNetwork(ctx context.Context, c *Container) {
	if s.cfg.Networks != nil {
		s.cfg.Networks.Detach(ctx, c.ID)
	}
}

// networkSettings is inspect's NetworkSettings.
func (s *Service) networkSettings(c *Container) *container.NetworkSettings {
	mode := c.HostConfig.NetworkMode
	if s.cfg.Networks == nil || mode.IsHost() || mode.IsNone() || mode.IsContainer() {
		return networkSettings(c)
	}
	var configured map[string]*apinet.EndpointSettings
	if c.Networking != nil {
		configured = c.Networking.EndpointsConfig
	}
	return s.cfg.Networks.Settings(c.ID, string(mode), configured)
}

// portSummaries is the PORTS column of `docker ps`.
func (s *Service) portSummaries(c *Container) []container.PortSummary {
	if s.cfg.Networks == nil {
		return []container.PortSummary{}
	}
	return s.cfg.Networks.PortSummaries(c.ID)
}

func addrStrings(as []netip.Addr) []string {
	var out []string
	for _, a := range as {
		out = append(out, a.String())
	}
	return out
}

// networkingConfig is the persisted NetworkingConfig of a container.
type networkingConfig = apinet.NetworkingConfig

// NetworkingConfig is the body part of POST /containers/create naming
// each network's endpoint settings.
type NetworkingConfig = apinet.NetworkingConfig
