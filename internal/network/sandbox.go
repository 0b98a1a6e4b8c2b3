package network

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"

	"github.com/wharf/wharf/internal/errs"
	"github.com/wharf/wharf/internal/fsutil"
	"github.com/wharf/wharf/internal/network/bridge"
	"github.com/wharf/wharf/internal/network/firewall"
	"github.com/wharf/wharf/internal/network/ipam"
	"github.com/wharf/wharf/internal/network/netns"
)

// endpoint is a container's interface on one network.
type endpoint struct {
	NetworkID  string
	EndpointID string
	IP         netip.Addr
	PrefixLen  int
	Gateway    netip.Addr
	MAC        string
	HostVeth   string
	IfName     string
	// Bridge is the network's bridge, so that the endpoint can be torn
	// down without the network's record (empty in records of old versions).
	Bridge string `json:",omitempty"`
	MTU    int    `json:",omitempty"` // the network's com.docker.network.driver.mtu; 0: 1500
	// IP6 is the address on an IPv6 network (--ipv6), with the subnet's
	// length and the network's IPv6 gateway.
	IP6        netip.Addr `json:",omitempty"`
	PrefixLen6 int        `json:",omitempty"`
	Gateway6   netip.Addr `json:",omitempty"`
	// Links are --link aliases on a user-defined network: names only
	// this container resolves, to another container on the network.
	Links    []linkAlias `json:",omitempty"`
	Aliases  []string
	DNSNames []string
}

// linkAlias is a link on a user-defined network: Alias resolves, for the
// linking container alone, to the container called Target.
type linkAlias struct {
	Alias, Target string
}

// linkAliases parses "name[:alias]" links.
func linkAliases(links []string) []linkAlias {
	var out []linkAlias
	for _, l := range links {
		name, alias, ok := strings.Cut(l, ":")
		name = strings.TrimPrefix(name, "/")
		if !ok {
			alias = name
		}
		out = append(out, linkAlias{Alias: alias[strings.LastIndex(alias, "/")+1:], Target: name})
	}
	return out
}

// sandbox is a container's network namespace and what is attached to it.
type sandbox struct {
	ContainerID string
	Name        string // without docker's "/"
	NetNS       string
	Endpoints   []*endpoint
	Ports       []PortMapping
	Exposed     []string // exposed container ports, "80/tcp"
	DNS         []string `json:",omitempty"` // --dns: the embedded resolver's upstreams
}

// Link is a --link to another container on the default bridge.
type Link struct {
	ContainerID string
	Name        string // the target's name, without "/"
	Alias       string
	Env         []string // the target's environment, exported as ALIAS_ENV_*
}

// AttachRequest describes a container about to start in bridge mode or
// on a user-defined network.
type AttachRequest struct {
	ContainerID                string
	Name                       string // without "/"
	Hostname                   string
	Domainname                 string
	Mode                       string // "bridge" or a network's name or id
	Endpoints                  map[string]*network.EndpointSettings
	PortBindings               network.PortMap
	ExposedPorts               network.PortSet
	PublishAll                 bool
	DNS, DNSSearch, DNSOptions []string
	ExtraHosts                 []string
	Links                      []Link
	// Background has Attach return once the namespace exists and the
	// addresses are chosen, and make the interfaces and published ports
	// while the caller goes on (the runtime creates the container
	// meanwhile); AttachResult.Ready waits for them.
	Background bool
}

// AttachResult is what the container needs to run in its namespace.
type AttachResult struct {
	NetNS      string // path to join
	Hosts      []byte // /etc/hosts
	ResolvConf []byte // /etc/resolv.conf
	LinkEnv    []string
	// Ready waits until the interfaces and published ports are made and
	// says whether they were: a container may run only after a nil
	// error. After an error the caller detaches the container. It may be
	// called more than once.
	Ready func() error
}

func (s *Service) sandboxPath(id string) string { return filepath.Join(s.sandboxDir(), id+".json") }

func (s *Service) saveSandbox(sb *sandbox) error {
	return fsutil.WriteJSONAtomic(s.sandboxPath(sb.ContainerID), sb, false)
}

// clone copies sb and its endpoints: a sandbox in s.sandboxes is never
// changed in place, so that work done outside s.mu on a copy races with
// no reader.
func (sb *sandbox) clone() *sandbox {
	c := *sb
	c.Endpoints = make([]*endpoint, len(sb.Endpoints))
	for i, ep := range sb.Endpoints {
		e := *ep
		e.Aliases, e.DNSNames = slices.Clone(ep.Aliases), slices.Clone(ep.DNSNames)
		c.Endpoints[i] = &e
	}
	c.Ports = slices.Clone(sb.Ports)
	return &c
}

// Attach creates the container's namespace, connects it to its networks
// and publishes its ports. On error nothing is left behind. Addresses are
// chosen under s.mu; the namespace, interfaces and rules are made outside
// it, so containers attach in parallel. With req.Background the
// interfaces and ports are made after Attach returns (see
// AttachRequest.Background); their failure is the result's Ready's, and
// the caller's Detach then undoes the rest.
func (s *Service) Attach(ctx context.Context, req AttachRequest) (*AttachResult, error) {
	start := time.Now()
	s.Detach(ctx, req.ContainerID) // what an earlier run may have left
	sb, primary, err := s.reserveSandbox(req)
	reserved := time.Since(start)
	if err == nil {
		err = s.makeNamespace(sb)
	}
	namespaced := time.Since(start)
	if err != nil {
		s.Detach(ctx, req.ContainerID)
		return nil, err
	}
	done := make(chan struct{})
	s.mu.Lock()
	res := s.etcFiles(sb, req)
	s.building[sb.ContainerID] = done
	s.mu.Unlock()
	var buildErr error
	build := func() {
		defer close(done)
		resv, err := s.buildSandbox(sb, req, primary)
		s.mu.Lock()
		s.sandboxes[sb.ContainerID] = sb
		s.resv[sb.ContainerID] = resv
		delete(s.building, sb.ContainerID)
		s.mu.Unlock()
		buildErr = err
		s.log.Debug("network attach", "id", req.ContainerID, "took", time.Since(start), "reserved", reserved, "namespace", namespaced, "background", req.Background)
	}
	res.Ready = func() error {
		<-done
		return buildErr
	}
	if req.Background {
		go build()
		return res, nil
	}
	build()
	if buildErr != nil {
		s.Detach(ctx, req.ContainerID)
		return nil, buildErr
	}
	return res, nil
}

// reserveSandbox chooses the container's networks and addresses and
// registers its sandbox, so that no other container gets them. It returns
// a copy of the sandbox for buildSandbox to fill in.
func (s *Service) reserveSandbox(req AttachRequest) (*sandbox, *record, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	mode := req.Mode
	if mode == "" || mode == "default" {
		mode = network.NetworkBridge
	}
	primary, err := s.find(mode)
	if err != nil {
		return nil, nil, err
	}
	nets := []*record{primary}
	var extra []string
	for name := range req.Endpoints {
		if r, err := s.find(name); err == nil && r != primary {
			extra = append(extra, name)
		}
	}
	sort.Strings(extra)
	for _, name := range extra {
		r, _ := s.find(name)
		nets = append(nets, r)
	}
	sb := &sandbox{ContainerID: req.ContainerID, Name: req.Name, NetNS: filepath.Join(s.cfg.RunRoot, req.ContainerID), DNS: req.DNS}
	for p := range req.ExposedPorts {
		sb.Exposed = append(sb.Exposed, p.String())
	}
	sort.Strings(sb.Exposed)
	// Registered first, so that a failure releases what was claimed.
	s.sandboxes[sb.ContainerID] = sb
	for i, r := range nets {
		es := req.Endpoints[r.Name]
		if es == nil {
			es = req.Endpoints[r.ID]
		}
		if es == nil && i == 0 {
			es = req.Endpoints[req.Mode] // an id prefix
		}
		if es == nil && r.isDefault() {
			es = req.Endpoints["default"] // the CLI's key without --network
		}
		ep, err := s.newEndpoint(r, es, req, i)
		if err != nil {
			return nil, nil, err
		}
		sb.Endpoints = append(sb.Endpoints, ep)
	}
	return sb.clone(), primary, nil
}

// makeNamespace writes sb's record (before any interface exists, so
// that a crash from here on finds what to remove) and makes its network
// namespace.
func (s *Service) makeNamespace(sb *sandbox) error {
	if err := s.saveSandbox(sb); err != nil {
		return err
	}
	if netns.Exists(sb.NetNS) || fileExists(sb.NetNS) {
		netns.Delete(sb.NetNS)
	}
	return netns.Create(sb.NetNS)
}

// buildSandbox makes the interfaces of sb's namespace (makeNamespace's)
// and its published ports, and records them. It runs without s.mu and
// returns the port reservations made, also on error, for Detach to
// release.
func (s *Service) buildSandbox(sb *sandbox, req AttachRequest, primary *record) ([]reservation, error) {
	eps := make([]bridge.Endpoint, len(sb.Endpoints))
	for i, ep := range sb.Endpoints {
		var gw, gw6 netip.Addr
		if i == 0 && !primary.Internal {
			gw, gw6 = ep.Gateway, ep.Gateway6
		}
		eps[i] = bridge.Endpoint{
			Bridge: ep.Bridge, HostVeth: ep.HostVeth, IfName: ep.IfName, NetNS: sb.NetNS,
			Addr: netip.PrefixFrom(ep.IP, ep.PrefixLen), Gateway: gw, MAC: parseMAC(ep.MAC), MTU: ep.mtu(),
			Addr6: ep.prefix6(), Gateway6: gw6,
		}
	}
	macs, err := bridge.AddEndpoints(sb.NetNS, eps, true)
	if err != nil {
		return nil, err
	}
	changed := false
	for i, ep := range sb.Endpoints {
		if m := macs[i].String(); m != ep.MAC {
			ep.MAC, changed = m, true
		}
	}
	var resv []reservation
	if !primary.Internal {
		if resv, err = s.publish(sb, req); err != nil {
			return resv, err
		}
	}
	// The record written before the namespace holds all but the ports
	// and a MAC the kernel chose.
	if changed || len(sb.Ports) > 0 {
		err = s.saveSandbox(sb)
	}
	return resv, err
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// newEndpoint chooses the address, names and interface of the container's
// idx-th endpoint, on network r.
func (s *Service) newEndpoint(r *record, es *network.EndpointSettings, req AttachRequest, idx int) (*endpoint, error) {
	var want netip.Addr
	var aliases []string
	var mac string
	if es != nil {
		if es.IPAMConfig != nil && es.IPAMConfig.IPv4Address.IsValid() {
			want = es.IPAMConfig.IPv4Address
			if r.isDefault() {
				return nil, errs.Invalid("user specified IP address is supported on user defined networks only")
			}
			if !r.UserSubnet {
				return nil, errs.Invalid("user specified IP address is supported only when connecting to networks with user configured subnets")
			}
		}
		aliases = es.Aliases
		if len(aliases) > 0 && r.isDefault() {
			return nil, errs.Invalid("network-scoped alias is supported only for containers in user defined networks")
		}
		if len(es.MacAddress) > 0 {
			mac = net.HardwareAddr(es.MacAddress).String()
		}
	}
	used := map[netip.Addr]bool{}
	for _, e := range s.endpointsOf(r.ID) {
		used[e.ep.IP] = true
	}
	// The IPAM config's auxiliary addresses are the user's, never a container's.
	for _, a := range r.auxAddresses() {
		used[a] = true
	}
	nsPath := filepath.Join(s.cfg.RunRoot, req.ContainerID)
	// Addresses another daemon on the bridge claimed a moment ago are
	// skipped without asking the claim directory again (one probe each,
	// under s.mu: hundreds of them made every start wait on the others).
	// Should the subnet seem full for them, they are asked again.
	for a := range s.foreignClaims(r.Bridge) {
		if a != want {
			used[a] = true
		}
	}
	retried := false
	var ip netip.Addr
	for {
		var err error
		if ip, err = allocate(r, used, want); err != nil {
			if retried || want.IsValid() || len(s.foreign[r.Bridge]) == 0 {
				return nil, err
			}
			retried = true
			for a := range s.foreign[r.Bridge] {
				delete(used, a)
			}
			delete(s.foreign, r.Bridge)
			continue
		}
		if s.claim(r.Bridge, ip, nsPath) {
			break
		}
		if want.IsValid() {
			return nil, errs.Invalid("Address already in use")
		}
		s.noteForeign(r.Bridge, ip)
		used[ip] = true
	}
	var want6 netip.Addr
	if es != nil && es.IPAMConfig != nil {
		want6 = es.IPAMConfig.IPv6Address
	}
	var ip6 netip.Addr
	var c6 *network.IPAMConfig
	if c6 = r.ipv6(); c6 != nil {
		used6 := map[netip.Addr]bool{}
		for _, e := range s.endpointsOf(r.ID) {
			used6[e.ep.IP6] = true
		}
		for _, a := range c6.AuxAddress {
			used6[a] = true
		}
		var err error
		if ip6, err = allocate6(c6.Subnet, gateway6(c6), used6, want6); err != nil {
			s.unclaim(r.Bridge, ip, nsPath)
			return nil, err
		}
	} else if want6.IsValid() {
		s.unclaim(r.Bridge, ip, nsPath)
		return nil, errs.Invalid("user specified IP address is supported only when connecting to networks with user configured subnets")
	}
	if mac == "" {
		a := ip.As4()
		mac = net.HardwareAddr{0x02, 0x42, a[0], a[1], a[2], a[3]}.String()
	}
	ep := &endpoint{
		NetworkID: r.ID, EndpointID: newID(), IP: ip, PrefixLen: r.subnet().Bits(), Gateway: r.gateway(), MAC: mac,
		HostVeth: "wv" + req.ContainerID[:9] + strconv.Itoa(idx), IfName: "eth" + strconv.Itoa(idx), Aliases: aliases,
		Bridge: r.Bridge, MTU: r.mtu(),
	}
	if c6 != nil {
		ep.IP6, ep.PrefixLen6, ep.Gateway6 = ip6, c6.Subnet.Bits(), gateway6(c6)
	}
	if es != nil && len(es.Links) > 0 {
		if r.isDefault() {
			return nil, errs.Invalid("links are only supported for user-defined networks")
		}
		ep.Links = linkAliases(es.Links)
	}
	if idx == 0 && !r.isDefault() {
		// --link on a user-defined network: a name for this container's
		// eyes only, served by the network's DNS.
		for _, l := range req.Links {
			ep.Links = append(ep.Links, linkAlias{Alias: l.Alias, Target: l.Name})
		}
	}
	if !r.isDefault() {
		// Docker's DNS names: the container name, its aliases, its short id.
		ep.DNSNames = append([]string{req.Name}, aliases...)
		ep.DNSNames = append(ep.DNSNames, req.ContainerID[:12])
	}
	return ep, nil
}

// publish reserves the host ports and adds their DNAT rules. It returns
// the reservations made, also on error.
func (s *Service) publish(sb *sandbox, req AttachRequest) ([]reservation, error) {
	maps, err := ResolvePorts(req.PortBindings, req.ExposedPorts, req.PublishAll)
	if err != nil {
		return nil, err
	}
	ip := sb.Endpoints[0].IP
	var resv []reservation
	for _, m := range maps {
		got, r, err := reserve(m)
		if err != nil {
			if errs.Is(err, errdefs.ErrConflict) {
				return resv, errs.Conflict("driver failed programming external connectivity on endpoint %s (%s): %v", sb.Name, sb.Endpoints[0].EndpointID, err)
			}
			return resv, fmt.Errorf("driver failed programming external connectivity on endpoint %s (%s): %w", sb.Name, sb.Endpoints[0].EndpointID, err)
		}
		resv = append(resv, r)
		sb.Ports = append(sb.Ports, got)
		if err := s.fw.Add(firewall.PortRules(fwPort(got, ip))); err != nil {
			return resv, err
		}
	}
	return resv, nil
}

func fwPort(m PortMapping, ip netip.Addr) firewall.Port {
	return firewall.Port{Proto: m.Proto, HostIP: m.HostIP, HostPort: m.HostPort, ContainerIP: ip, ContainerPort: m.ContainerPort}
}

// etcFiles renders the container's hosts and resolv.conf.
func (s *Service) etcFiles(sb *sandbox, req AttachRequest) *AttachResult {
	hostConf, _ := os.ReadFile("/etc/resolv.conf")
	// Any user-defined network gives the container the embedded resolver,
	// also when its first network is the default bridge (as dockerd).
	embedded := s.resolverOf(sb)
	if embedded.IsValid() {
		req.DNS = nil // they are the embedded resolver's upstreams
	}
	var links []hostEntry
	var env []string
	for _, l := range req.Links {
		t := s.sandboxes[l.ContainerID]
		if t == nil || len(t.Endpoints) == 0 {
			continue
		}
		names := []string{l.Alias}
		if l.Alias != l.Name {
			names = append(names, l.Name)
		}
		links = append(links, hostEntry{IP: t.Endpoints[0].IP, Names: append(names, t.ContainerID[:12])})
		env = append(env, linkEnv(l, req.Name, t)...)
	}
	return &AttachResult{
		NetNS:      sb.NetNS,
		Hosts:      hostsFile(sb.ownAddrs(), req.Hostname, req.Domainname, req.ExtraHosts, links),
		ResolvConf: resolvConf(hostConf, embedded, req.DNS, req.DNSSearch, req.DNSOptions),
		LinkEnv:    env,
	}
}

// linkEnv is docker's environment for a link: ALIAS_NAME, per exposed
// port ALIAS_PORT_80_TCP{,_ADDR,_PORT,_PROTO}, and the target's own
// variables as ALIAS_ENV_<name> (but HOME and PATH, as docker).
func linkEnv(l Link, self string, t *sandbox) []string {
	prefix := strings.ToUpper(strings.NewReplacer("-", "_", ".", "_").Replace(l.Alias))
	ip := t.Endpoints[0].IP.String()
	env := []string{prefix + "_NAME=/" + self + "/" + l.Alias}
	for i, p := range t.Exposed {
		num, proto, _ := strings.Cut(p, "/")
		base := prefix + "_PORT_" + num + "_" + strings.ToUpper(proto)
		url := proto + "://" + ip + ":" + num
		if i == 0 {
			env = append(env, prefix+"_PORT="+url)
		}
		env = append(env, base+"="+url, base+"_ADDR="+ip, base+"_PORT="+num, base+"_PROTO="+proto)
	}
	for _, kv := range l.Env {
		k, v, ok := strings.Cut(kv, "=")
		if ok && k != "HOME" && k != "PATH" {
			env = append(env, prefix+"_ENV_"+k+"="+v)
		}
	}
	return env
}

// Detach undoes Attach: rules, reserved ports, interfaces, namespace,
// record. It is safe to call for a container that has nothing attached.
// Only forgetting the sandbox takes s.mu; the rest runs outside it.
func (s *Service) Detach(ctx context.Context, containerID string) {
	start := time.Now()
	s.mu.Lock()
	if done := s.building[containerID]; done != nil {
		// A background build (Attach) is still going: undo it whole.
		s.mu.Unlock()
		<-done
		s.mu.Lock()
	}
	sb, resv := s.sandboxes[containerID], s.resv[containerID]
	delete(s.sandboxes, containerID)
	delete(s.resv, containerID)
	s.mu.Unlock()
	if sb == nil && resv == nil {
		return
	}
	for _, r := range resv {
		r.close()
	}
	if sb != nil {
		s.removeSandbox(sb)
	}
	s.log.Debug("network detach", "id", containerID, "took", time.Since(start))
}

// removeSandbox deletes what sb made: port rules, the namespace (and the
// interfaces in it), address claims and the record. sb is no longer in
// s.sandboxes.
func (s *Service) removeSandbox(sb *sandbox) {
	if len(sb.Endpoints) > 0 {
		for _, m := range sb.Ports {
			s.fw.Remove(firewall.PortRules(fwPort(m, sb.Endpoints[0].IP)))
		}
	}
	// Unmounting the namespace lets the kernel destroy it and the veth
	// pairs in it in the background: deleting each veth here would cost
	// ~30 ms (an RCU grace period) on every container exit. A veth still
	// around when the name is needed again is deleted by AddEndpoint.
	if err := netns.Delete(sb.NetNS); err != nil {
		s.log.Warn("deleting network namespace", "id", sb.ContainerID, "err", err)
	}
	for _, ep := range sb.Endpoints {
		s.unclaim(ep.Bridge, ep.IP, sb.NetNS)
	}
	if err := os.Remove(s.sandboxPath(sb.ContainerID)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		s.log.Warn("removing sandbox record", "id", sb.ContainerID, "err", err)
	}
}

// Attached lists the containers that have a sandbox, for the container
// service to detach those it no longer knows (a removal cut short by a
// crash).
func (s *Service) Attached() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	ids := make([]string, 0, len(s.sandboxes))
	for id := range s.sandboxes {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// restoreSandboxes puts back the rules and port reservations of the
// containers still attached after a daemon restart. Containers that ended
// meanwhile are detached by the container service's own restore.
func (s *Service) restoreSandboxes() {
	for id, sb := range s.sandboxes {
		if !netns.Exists(sb.NetNS) || len(sb.Endpoints) == 0 {
			continue
		}
		for _, m := range sb.Ports {
			if _, r, err := reserve(m); err == nil {
				s.resv[id] = append(s.resv[id], r)
			} else {
				s.log.Warn("re-reserving published port", "id", id, "port", m.HostPort, "err", err)
			}
			if err := s.fw.Add(firewall.PortRules(fwPort(m, sb.Endpoints[0].IP))); err != nil {
				s.log.Warn("restoring port rules", "id", id, "err", err)
			}
		}
	}
}

// NetNS returns the namespace path of an attached container, or "".
func (s *Service) NetNS(containerID string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if sb := s.sandboxes[containerID]; sb != nil {
		return sb.NetNS
	}
	return ""
}

// Settings is a container's NetworkSettings as inspect shows them. mode
// and configured are the container's network mode and endpoint configs,
// used when nothing is attached (a stopped container).
func (s *Service) Settings(containerID, mode string, configured map[string]*network.EndpointSettings) *container.NetworkSettings {
	s.mu.Lock()
	defer s.mu.Unlock()
	ns := &container.NetworkSettings{Ports: network.PortMap{}, Networks: map[string]*network.EndpointSettings{}}
	sb := s.sandboxes[containerID]
	if sb == nil {
		// Not running: the networks it was created with (and connected to).
		names := []string{mode}
		if r, err := s.find(mode); err == nil {
			names[0] = r.Name
		}
		for name := range configured {
			if !slices.Contains(names, name) {
				names = append(names, name)
			}
		}
		for _, name := range names {
			es := &network.EndpointSettings{}
			if c := configured[name]; c != nil {
				es.IPAMConfig, es.Aliases, es.MacAddress, es.DNSNames = c.IPAMConfig, c.Aliases, c.MacAddress, c.DNSNames
			}
			if r, err := s.find(name); err == nil {
				es.NetworkID = r.ID
			}
			ns.Networks[name] = es
		}
		return ns
	}
	ns.SandboxID = containerID
	ns.SandboxKey = sb.NetNS
	for _, p := range sb.Exposed {
		if port, err := network.ParsePort(p); err == nil {
			ns.Ports[port] = nil
		}
	}
	for _, m := range sb.Ports {
		port, err := network.ParsePort(m.Key())
		if err != nil {
			continue
		}
		ns.Ports[port] = append(ns.Ports[port], network.PortBinding{HostIP: m.hostAddr(), HostPort: strconv.Itoa(m.HostPort)})
	}
	for _, ep := range sb.Endpoints {
		r := s.networks[ep.NetworkID]
		if r == nil {
			continue
		}
		es := &network.EndpointSettings{
			NetworkID: r.ID, EndpointID: ep.EndpointID, Gateway: ep.Gateway, IPAddress: ep.IP,
			IPPrefixLen: ep.PrefixLen, MacAddress: network.HardwareAddr(parseMAC(ep.MAC)),
			Aliases: ep.Aliases, DNSNames: ep.DNSNames,
			GlobalIPv6Address: ep.IP6, GlobalIPv6PrefixLen: ep.PrefixLen6, IPv6Gateway: ep.Gateway6,
		}
		if c := configured[r.Name]; c != nil {
			es.IPAMConfig = c.IPAMConfig
		}
		ns.Networks[r.Name] = es
	}
	return ns
}

// PortSummaries are the container's ports as `docker ps` lists them.
func (s *Service) PortSummaries(containerID string) []container.PortSummary {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []container.PortSummary{}
	sb := s.sandboxes[containerID]
	if sb == nil {
		return out
	}
	published := map[string]bool{}
	for _, m := range sb.Ports {
		published[m.Key()] = true
		out = append(out, container.PortSummary{IP: m.hostAddr(), PrivatePort: uint16(m.ContainerPort), PublicPort: uint16(m.HostPort), Type: m.Proto})
	}
	for _, p := range sb.Exposed {
		if !published[p] {
			num, proto, _ := strings.Cut(p, "/")
			n, _ := strconv.Atoi(num)
			out = append(out, container.PortSummary{PrivatePort: uint16(n), Type: proto})
		}
	}
	return out
}

// addrs are the endpoint's addresses: IPv4, and IPv6 on an IPv6 network.
func (ep *endpoint) addrs() []netip.Addr {
	if ep.IP6.IsValid() {
		return []netip.Addr{ep.IP, ep.IP6}
	}
	return []netip.Addr{ep.IP}
}

// ownAddrs are the container's addresses on all its networks, in order.
func (sb *sandbox) ownAddrs() []netip.Addr {
	var out []netip.Addr
	for _, ep := range sb.Endpoints {
		out = append(out, ep.addrs()...)
	}
	return out
}

// prefix6 is the endpoint's IPv6 address with its length, or invalid.
func (ep *endpoint) prefix6() netip.Prefix {
	if !ep.IP6.IsValid() {
		return netip.Prefix{}
	}
	return netip.PrefixFrom(ep.IP6, ep.PrefixLen6)
}

// allocate6 picks an IPv6 address in subnet: want if given (and free),
// else the first free one after the gateway, as libnetwork's IPAM.
func allocate6(subnet netip.Prefix, gateway netip.Addr, used map[netip.Addr]bool, want netip.Addr) (netip.Addr, error) {
	if want.IsValid() {
		switch {
		case !subnet.Contains(want):
			return netip.Addr{}, errs.Invalid("no available IPv6 addresses on this network's address pools: %s is not in %s", want, subnet)
		case want == gateway || used[want] || want == subnet.Addr():
			return netip.Addr{}, errs.Invalid("Address already in use")
		}
		return want, nil
	}
	for a, n := subnet.Addr().Next(), 0; subnet.Contains(a) && n < 1<<16; a, n = a.Next(), n+1 {
		if a != gateway && !used[a] {
			return a, nil
		}
	}
	return netip.Addr{}, errs.Wrap(errdefs.ErrUnavailable, fmt.Errorf("no available IPv6 addresses on this network's address pools: %s", subnet))
}

// allocate picks an address on r; a wanted one needs a user-configured subnet.
func allocate(r *record, used map[netip.Addr]bool, want netip.Addr) (netip.Addr, error) {
	ip, err := ipam.Allocate(r.subnet(), r.ipRange(), r.gateway(), used, want)
	if err != nil {
		if want.IsValid() {
			return netip.Addr{}, errs.Invalid("%v", err)
		}
		return netip.Addr{}, errs.Wrap(errdefs.ErrUnavailable, err)
	}
	return ip, nil
}

func parseMAC(s string) net.HardwareAddr {
	m, err := net.ParseMAC(s)
	if err != nil {
		return nil
	}
	return m
}
