// Package network is the network service: bridge networks (the default
// "bridge" on wharf0 and user-defined ones), each container's network
// namespace and endpoints, published ports and the embedded DNS.
//
// State is one JSON file per network (<root>/networks/<id>.json) and one
// per attached container (<root>/sandboxes/<container id>.json). A
// container's addresses are recorded in its sandbox file before any
// interface is made, and the addresses in use are read back from those
// files, so a crash can leave at worst a namespace to delete, never an
// address handed out twice.
package network

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/network"

	"github.com/wharf/wharf/internal/errs"
	wevents "github.com/wharf/wharf/internal/events"
	"github.com/wharf/wharf/internal/fsutil"
	"github.com/wharf/wharf/internal/network/bridge"
	"github.com/wharf/wharf/internal/network/dns"
	"github.com/wharf/wharf/internal/network/firewall"
	"github.com/wharf/wharf/internal/network/ipam"
)

// DefaultBridge is the host interface of the default "bridge" network.
const DefaultBridge = "wharf0"

// bridgeFamily matches every bridge wharf names itself.
const bridgeFamily = "wharf+"

// Config is the network service's configuration.
type Config struct {
	Root     string // <data root>/network
	RunRoot  string // <exec root>/netns: container namespaces
	ClaimDir string // host-wide address claims (claim.go); "" for none
	BIP      string // default bridge address, e.g. "172.17.0.1/16"; "" picks one
	// IPv6 and FixedCIDRv6 (an IPv6 subnet) give the default bridge IPv6
	// (daemon.json's ipv6 and fixed-cidr-v6).
	IPv6        bool
	FixedCIDRv6 string
	Pools       []ipam.PoolSpec   // default-address-pools; nil for docker's
	IPTables    bool              // manage iptables rules
	IPMasq      bool              // masquerade outbound traffic
	Firewall    firewall.Firewall // nil: iptables (or nothing when IPTables is off)
	Events      wevents.Logger    // nil: no events are published
	Log         *slog.Logger
}

// record is a network as persisted.
type record struct {
	network.Network
	Bridge string `json:"WharfBridge"`
	// UserSubnet: the subnet was given at create, so --ip may be used.
	UserSubnet bool `json:"WharfUserSubnet,omitempty"`
	// AutoGateway: the user gave the subnet but not the gateway, which
	// was chosen; inspect shows the IPAM config as given, as dockerd.
	AutoGateway bool `json:"WharfAutoGateway,omitempty"`
	// Creating: the record is written before the bridge and its rules
	// are made, so that a crash meanwhile leaves a record naming them;
	// the next start removes them and it (load).
	Creating bool `json:"WharfCreating,omitempty"`
}

func (r *record) subnet() netip.Prefix {
	if len(r.IPAM.Config) == 0 {
		return netip.Prefix{}
	}
	return r.IPAM.Config[0].Subnet
}

// ipv6 is the network's IPv6 IPAM config (EnableIPv6 with a v6 subnet),
// or nil.
func (r *record) ipv6() *network.IPAMConfig {
	if !r.EnableIPv6 {
		return nil
	}
	for i, c := range r.IPAM.Config {
		if c.Subnet.Addr().Is6() {
			return &r.IPAM.Config[i]
		}
	}
	return nil
}

func (r *record) gateway() netip.Addr {
	if len(r.IPAM.Config) == 0 {
		return netip.Addr{}
	}
	return r.IPAM.Config[0].Gateway
}

func (r *record) ipRange() netip.Prefix {
	if len(r.IPAM.Config) == 0 {
		return netip.Prefix{}
	}
	return r.IPAM.Config[0].IPRange
}

func (r *record) isDefault() bool { return r.Name == network.NetworkBridge }

// Bridge driver options (docker's names) that wharf applies.
const (
	optMTU = "com.docker.network.driver.mtu"
	optICC = "com.docker.network.bridge.enable_icc"
)

// mtu is the network's MTU option; 0 when unset (the default, 1500).
func (r *record) mtu() int {
	n, _ := strconv.Atoi(r.Options[optMTU])
	return n
}

// auxAddresses are the addresses the IPAM config keeps for the user.
func (r *record) auxAddresses() []netip.Addr {
	var out []netip.Addr
	for _, c := range r.IPAM.Config {
		for _, a := range c.AuxAddress {
			out = append(out, a)
		}
	}
	return out
}

func (ep *endpoint) mtu() int {
	if ep.MTU > 0 {
		return ep.MTU
	}
	return 1500
}

// validateOptions checks the driver options wharf applies, as docker's
// bridge driver parses them.
func validateOptions(opts map[string]string, subnet netip.Prefix, aux map[string]netip.Addr) error {
	if v, ok := opts[optMTU]; ok {
		if n, err := strconv.Atoi(v); err != nil || n < 68 || n > 65535 {
			return errs.Invalid("invalid MTU number: %s", v)
		}
	}
	if v, ok := opts[optICC]; ok {
		if _, err := strconv.ParseBool(v); err != nil {
			return errs.Invalid("failed to parse %s value: %s", optICC, v)
		}
	}
	for name, a := range aux {
		if !subnet.Contains(a) {
			return errs.Invalid("invalid auxiliary address %s (%s): it is not within the subnet %s", name, a, subnet)
		}
	}
	return nil
}

func (r *record) fwBridge(masq bool) firewall.Bridge {
	noICC := r.Options[optICC] != "" && r.Options[optICC] != "true" && r.Options[optICC] != "1"
	b := firewall.Bridge{Name: r.Bridge, Subnet: r.subnet(), Internal: r.Internal, Masquerade: masq, Family: bridgeFamily, NoICC: noICC}
	if c6 := r.ipv6(); c6 != nil {
		b.Subnet6 = c6.Subnet
	}
	return b
}

// Service manages networks and container endpoints.
type Service struct {
	cfg Config
	fw  firewall.Firewall
	log *slog.Logger

	// mu guards the maps below. It is held only to read or change them
	// (choosing addresses included), never across netlink, firewall or
	// namespace work on a container's behalf, and the service never calls
	// another service: it is a leaf in the daemon's lock order (container
	// lock → network mu → firewall mu). Calls for one container are
	// serialised by its caller (the container service holds the
	// container's lock); calls for different containers run in parallel.
	mu        sync.Mutex
	networks  map[string]*record  // by id
	busy      map[string]*record  // by id: being made or torn down outside mu; names and subnets stay taken
	sandboxes map[string]*sandbox // by container id; replaced, never changed in place
	resv      map[string][]reservation
	dns       map[string]*dns.Server // by network id
	upstreams []string
}

// New loads the networks and attached containers, makes sure the default
// bridge exists and puts back every bridge's and port's rules.
func New(ctx context.Context, cfg Config) (*Service, error) {
	s := &Service{
		cfg: cfg, log: cfg.Log, fw: cfg.Firewall,
		networks: map[string]*record{}, busy: map[string]*record{}, sandboxes: map[string]*sandbox{},
		resv: map[string][]reservation{}, dns: map[string]*dns.Server{},
	}
	if s.fw == nil {
		s.fw = firewall.Nop{}
		if cfg.IPTables {
			ipt, err := firewall.NewIPTables()
			if err != nil {
				return nil, err
			}
			s.fw = ipt
		}
	}
	if cfg.Pools == nil {
		s.cfg.Pools = ipam.DefaultPools()
	}
	if data, err := os.ReadFile("/etc/resolv.conf"); err == nil {
		s.upstreams = hostNameservers(data)
	}
	for _, d := range []string{s.netDir(), s.sandboxDir(), cfg.RunRoot} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, err
		}
	}
	if err := s.load(); err != nil {
		return nil, err
	}
	if err := s.fw.Setup(); err != nil {
		return nil, err
	}
	if on, err := bridge.EnableForwarding(); err != nil {
		s.log.Warn("enabling IPv4 forwarding", "err", err)
	} else if on {
		// As dockerd: forwarding is for the bridges' traffic only.
		if err := s.fw.DropForwarded(); err != nil {
			s.log.Warn("setting FORWARD policy to DROP", "err", err)
		}
		s.log.Info("enabled IPv4 forwarding (net.ipv4.ip_forward=1), FORWARD policy DROP")
	}
	if err := s.ensureDefault(); err != nil {
		return nil, err
	}
	if err := s.defaultIPv6(); err != nil {
		return nil, err
	}
	for _, r := range s.networks {
		if err := s.setupBridge(r); err != nil {
			s.log.Error("restoring network", "network", r.Name, "err", err)
		}
		s.startDNS(ctx, r)
	}
	s.restoreSandboxes()
	return s, nil
}

func (s *Service) netDir() string     { return filepath.Join(s.cfg.Root, "networks") }
func (s *Service) sandboxDir() string { return filepath.Join(s.cfg.Root, "sandboxes") }

func (s *Service) load() error {
	removeCrashTemps(s.netDir())
	removeCrashTemps(s.sandboxDir())
	entries, err := os.ReadDir(s.netDir())
	if err != nil {
		return err
	}
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".json") {
			continue
		}
		var r record
		if err := readJSON(filepath.Join(s.netDir(), e.Name()), &r); err != nil {
			s.log.Error("skipping unreadable network record", "file", e.Name(), "err", err)
			continue
		}
		if r.Creating {
			s.log.Warn("removing a network whose creation a crash cut short", "network", r.Name)
			s.undoCreate(&r)
			continue
		}
		s.networks[r.ID] = &r
	}
	entries, err = os.ReadDir(s.sandboxDir())
	if err != nil {
		return err
	}
	for _, e := range entries {
		var sb sandbox
		if err := readJSON(filepath.Join(s.sandboxDir(), e.Name()), &sb); err != nil {
			s.log.Error("skipping unreadable sandbox record", "file", e.Name(), "err", err)
			continue
		}
		for _, ep := range sb.Endpoints {
			if r := s.networks[ep.NetworkID]; r != nil && ep.Bridge == "" {
				ep.Bridge = r.Bridge // a record of an older version
			}
		}
		s.sandboxes[sb.ContainerID] = &sb
	}
	return nil
}

func readJSON(path string, v any) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	return json.Unmarshal(data, v)
}

func (s *Service) saveNetwork(r *record) error {
	return fsutil.WriteJSONAtomic(filepath.Join(s.netDir(), r.ID+".json"), r, true)
}

// ensureDefault creates the record of the default bridge network if it
// is missing, choosing its subnet: bip if set, else the first default
// pool subnet that collides with no host route (docker0's 172.17/16, say).
func (s *Service) ensureDefault() error {
	var subnet netip.Prefix
	var gw netip.Addr
	if s.cfg.BIP != "" {
		p, err := netip.ParsePrefix(s.cfg.BIP)
		if err != nil || !p.Addr().Is4() {
			return fmt.Errorf("invalid bip %q", s.cfg.BIP)
		}
		subnet, gw = p.Masked(), p.Addr()
	}
	if r := s.byName(network.NetworkBridge); r != nil {
		if !subnet.IsValid() || (r.subnet() == subnet && r.gateway() == gw) {
			return nil
		}
		s.log.Info("default bridge address changed by bip", "old", r.subnet(), "new", subnet)
		r.IPAM.Config = []network.IPAMConfig{{Subnet: subnet, Gateway: gw}}
		return s.saveNetwork(r)
	}
	if !subnet.IsValid() {
		var err error
		used := s.usedSubnets("")
		// The bridge may be up from an earlier run: its own route is no collision.
		used = append(used, bridge.RoutesExcept(DefaultBridge)...)
		subnet, err = ipam.NextSubnet(s.cfg.Pools, used)
		if err != nil {
			return err
		}
		if def := s.cfg.Pools[0].Base; subnet != netip.PrefixFrom(def.Addr(), s.cfg.Pools[0].Size).Masked() {
			s.log.Info("default bridge subnet in use on this host (docker0?), using the next free pool", "subnet", subnet)
		}
		gw = ipam.Gateway(subnet)
	}
	r := &record{Bridge: DefaultBridge}
	r.Network = network.Network{
		Name: network.NetworkBridge, ID: newID(), Created: time.Now(), Scope: "local", Driver: "bridge",
		EnableIPv4: true,
		IPAM:       network.IPAM{Driver: "default", Config: []network.IPAMConfig{{Subnet: subnet, Gateway: gw}}},
		Options: map[string]string{
			"com.docker.network.bridge.default_bridge":       "true",
			"com.docker.network.bridge.enable_icc":           "true",
			"com.docker.network.bridge.enable_ip_masquerade": "true",
			"com.docker.network.bridge.host_binding_ipv4":    "0.0.0.0",
			"com.docker.network.bridge.name":                 DefaultBridge,
			"com.docker.network.driver.mtu":                  "1500",
		},
		Labels: map[string]string{},
	}
	s.networks[r.ID] = r
	return s.saveNetwork(r)
}

// defaultIPv6 gives the default bridge the IPv6 subnet of daemon.json's
// ipv6 and fixed-cidr-v6, or takes IPv6 away when they are gone. The
// gateway is the subnet's first address, as dockerd's.
func (s *Service) defaultIPv6() error {
	r := s.byName(network.NetworkBridge)
	var want *network.IPAMConfig
	if s.cfg.IPv6 {
		p, err := netip.ParsePrefix(s.cfg.FixedCIDRv6)
		if err != nil || !p.Addr().Is6() || p.Bits() > 126 {
			return fmt.Errorf("ipv6 needs fixed-cidr-v6, an IPv6 subnet (wharf has no default IPv6 pool): %q", s.cfg.FixedCIDRv6)
		}
		want = &network.IPAMConfig{Subnet: p.Masked()}
	}
	cur := r.ipv6()
	if (want == nil && cur == nil) || (want != nil && cur != nil && cur.Subnet == want.Subnet) {
		return nil
	}
	var configs []network.IPAMConfig
	for _, c := range r.IPAM.Config {
		if c.Subnet.Addr().Is4() {
			configs = append(configs, c)
		}
	}
	if want != nil {
		configs = append(configs, *want)
	}
	r.IPAM.Config, r.EnableIPv6 = configs, want != nil
	s.log.Info("default bridge IPv6 changed by ipv6/fixed-cidr-v6", "subnet", s.cfg.FixedCIDRv6, "enabled", r.EnableIPv6)
	return s.saveNetwork(r)
}

// usedSubnets lists the subnets of every network but skip, those being
// made or torn down included. Callers hold s.mu.
func (s *Service) usedSubnets(skip string) []netip.Prefix {
	var out []netip.Prefix
	for _, m := range []map[string]*record{s.networks, s.busy} {
		for id, r := range m {
			if id != skip && r.subnet().IsValid() {
				out = append(out, r.subnet())
			}
		}
	}
	return out
}

func (s *Service) masquerade(r *record) bool {
	if !s.cfg.IPMasq {
		return false
	}
	return r.Options["com.docker.network.bridge.enable_ip_masquerade"] != "false"
}

// setupBridge makes r's bridge and rules exist. Idempotent. It runs
// netlink and firewall work, so never under s.mu (but for New).
func (s *Service) setupBridge(r *record) error {
	if err := bridge.Ensure(r.Bridge, r.gateway(), r.subnet()); err != nil {
		return err
	}
	if c6 := r.ipv6(); c6 != nil {
		if err := bridge.EnsureAddr6(r.Bridge, gateway6(c6), c6.Subnet); err != nil {
			return err
		}
		s.forward6()
	}
	return s.fw.Add(firewall.BridgeRules(r.fwBridge(s.masquerade(r))))
}

// forward6 turns on IPv6 forwarding for an IPv6 network's traffic out
// of its bridge, as dockerd with ip6tables on: only when wharf manages the
// firewall, which then sets ip6tables' FORWARD policy to DROP if it was
// wharf that turned forwarding on (as for IPv4).
func (s *Service) forward6() {
	if !s.cfg.IPTables {
		return
	}
	on, err := bridge.EnableForwarding6()
	switch {
	case err != nil:
		s.log.Warn("enabling IPv6 forwarding", "err", err)
	case on:
		if err := s.fw.DropForwarded6(); err != nil {
			s.log.Warn("setting the IPv6 FORWARD policy to DROP", "err", err)
		}
		s.log.Info("enabled IPv6 forwarding (net.ipv6.conf.all.forwarding=1) for an IPv6 network, IPv6 FORWARD policy DROP")
	}
}

// startDNS starts the embedded resolver of a user-defined network.
// Callers hold s.mu (or are in New).
func (s *Service) startDNS(ctx context.Context, r *record) {
	if !r.isDefault() && s.dns[r.ID] == nil {
		id := r.ID
		srv, err := dns.Start(ctx, r.gateway(), func(client netip.Addr, name string) ([]netip.Addr, bool) { return s.lookup(id, client, name) }, func(client netip.Addr) []string { return s.upstreamsFor(id, client) })
		if err != nil {
			// Containers still work, by address.
			s.log.Warn("embedded DNS not started", "network", r.Name, "err", err)
		} else {
			s.dns[r.ID] = srv
		}
	}
}

// stopDNS stops a network's resolver. Callers hold s.mu.
func (s *Service) stopDNS(r *record) {
	if srv := s.dns[r.ID]; srv != nil {
		srv.Close()
		delete(s.dns, r.ID)
	}
}

// teardownBridge removes r's rules and bridge: firewall and netlink work,
// never under s.mu.
func (s *Service) teardownBridge(r *record) {
	s.fw.Remove(firewall.BridgeRules(r.fwBridge(s.masquerade(r))))
	if err := bridge.Delete(r.Bridge); err != nil {
		s.log.Warn("deleting bridge", "bridge", r.Bridge, "err", err)
	}
	if s.cfg.ClaimDir != "" {
		os.Remove(filepath.Join(s.cfg.ClaimDir, r.Bridge)) // only if empty
	}
}

// lookup answers the embedded DNS of network id for the container at
// client: names on network id first, then on the other networks that
// container is attached to.
func (s *Service) lookup(id string, client netip.Addr, name string) ([]netip.Addr, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	networks := []string{id}
	for _, sb := range s.sandboxes {
		if slices.ContainsFunc(sb.Endpoints, func(ep *endpoint) bool { return ep.NetworkID == id && ep.IP == client }) {
			// The client's own link aliases come first, as in docker.
			for _, ep := range sb.Endpoints {
				for _, l := range ep.Links {
					if strings.EqualFold(l.Alias, name) {
						if out := s.namedOn(ep.NetworkID, l.Target); len(out) > 0 {
							return out, true
						}
					}
				}
			}
			for _, ep := range sb.Endpoints {
				if !slices.Contains(networks, ep.NetworkID) {
					networks = append(networks, ep.NetworkID)
				}
			}
			break
		}
	}
	for _, nid := range networks {
		if out := s.namedOn(nid, name); len(out) > 0 {
			return out, true
		}
	}
	return nil, false
}

// namedOn lists the addresses on network id of the endpoints called name
// (IPv4 and, on an IPv6 network, IPv6: the resolver answers A and AAAA).
// Callers hold s.mu.
func (s *Service) namedOn(id, name string) []netip.Addr {
	var out []netip.Addr
	for _, sb := range s.sandboxes {
		for _, ep := range sb.Endpoints {
			if ep.NetworkID == id && slices.ContainsFunc(ep.DNSNames, func(n string) bool { return strings.EqualFold(n, name) }) {
				out = append(out, ep.IP)
				if ep.IP6.IsValid() {
					out = append(out, ep.IP6)
				}
			}
		}
	}
	return out
}

// upstreamsFor gives the resolvers for the container at client on network
// id: its --dns servers, or the host's.
func (s *Service) upstreamsFor(id string, client netip.Addr) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, sb := range s.sandboxes {
		for _, ep := range sb.Endpoints {
			if ep.NetworkID == id && ep.IP == client && len(sb.DNS) > 0 {
				var out []string
				for _, d := range sb.DNS {
					if a, err := netip.ParseAddr(d); err == nil {
						out = append(out, netip.AddrPortFrom(a, 53).String())
					}
				}
				return out
			}
		}
	}
	return s.upstreams
}

// byName finds a network by exact name. Callers hold s.mu (or are in New).
func (s *Service) byName(name string) *record {
	for _, r := range s.networks {
		if r.Name == name {
			return r
		}
	}
	return nil
}

// find resolves a network by name, full id or unique id prefix.
func (s *Service) find(ref string) (*record, error) {
	if r, ok := s.networks[ref]; ok {
		return r, nil
	}
	if r := s.byName(ref); r != nil {
		return r, nil
	}
	var found *record
	for id, r := range s.networks {
		if ref != "" && strings.HasPrefix(id, ref) {
			if found != nil {
				return nil, errs.Invalid("network %s is ambiguous (%d matches found on name)", ref, 2)
			}
			found = r
		}
	}
	if found == nil {
		return nil, errs.NotFound("network %s not found", ref)
	}
	return found, nil
}

// Exists reports whether ref names a network containers can join; it
// returns the network's name.
func (s *Service) Exists(ref string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, err := s.find(ref)
	if err != nil {
		return "", err
	}
	return r.Name, nil
}

var predefined = map[string]string{network.NetworkBridge: "bridge", network.NetworkHost: "host", network.NetworkNone: "null"}

// create makes a user-defined bridge network.
func (s *Service) create(ctx context.Context, req network.CreateRequest) (network.CreateResponse, error) {
	var resp network.CreateResponse
	if req.Name == "" {
		return resp, errs.Invalid("network name must not be empty")
	}
	if _, ok := predefined[req.Name]; ok {
		return resp, errs.Wrap(errdefs.ErrPermissionDenied, fmt.Errorf("operation is not permitted on predefined %s network ", req.Name))
	}
	if req.Driver == "" {
		req.Driver = "bridge"
	}
	if req.Driver != "bridge" {
		return resp, errs.NotFound("plugin %q not found", req.Driver)
	}
	s.mu.Lock()
	r, err := s.plan(req)
	s.mu.Unlock()
	if err != nil {
		return resp, err
	}
	// The bridge and its rules are made outside s.mu (iptables may wait
	// on the host's xtables lock); r stays in s.busy meanwhile, so its
	// name and subnet are not handed out twice.
	err = s.build(r)
	if err != nil {
		s.undoCreate(r)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.busy, r.ID)
	if err != nil {
		return resp, err
	}
	r.Creating = false
	s.networks[r.ID] = r
	s.startDNS(ctx, r)
	return network.CreateResponse{ID: r.ID}, nil
}

// plan checks a create request and chooses the new network's subnets and
// bridge; the record is in s.busy when it returns. Callers hold s.mu.
func (s *Service) plan(req network.CreateRequest) (*record, error) {
	if s.byName(req.Name) != nil {
		return nil, errs.Conflict("network with name %s already exists", req.Name)
	}
	for _, r := range s.busy {
		if r.Creating && r.Name == req.Name {
			return nil, errs.Conflict("network with name %s already exists", req.Name)
		}
	}
	var cfg network.IPAMConfig
	var v6 []network.IPAMConfig
	if req.IPAM != nil {
		var v4 []network.IPAMConfig
		for _, c := range req.IPAM.Config {
			if c.Subnet.IsValid() && !c.Subnet.Addr().Is4() {
				v6 = append(v6, c)
				continue
			}
			v4 = append(v4, c)
		}
		if len(v4) > 1 {
			return nil, errs.Invalid("only one IPv4 subnet per network is supported")
		}
		if len(v4) == 1 {
			cfg = v4[0]
		}
	}
	userSubnet := cfg.Subnet.IsValid()
	if !cfg.Subnet.IsValid() && (cfg.Gateway.IsValid() || cfg.IPRange.IsValid()) {
		return nil, errs.Invalid("gateway and ip-range need a subnet")
	}
	if cfg.Subnet.IsValid() {
		if err := ipam.Validate(cfg.Subnet, cfg.Gateway, cfg.IPRange); err != nil {
			return nil, errs.Invalid("%v", err)
		}
		for _, u := range s.usedSubnets("") {
			if u.Overlaps(cfg.Subnet) {
				return nil, errs.Wrap(errdefs.ErrPermissionDenied, errors.New("invalid pool request: Pool overlaps with other one on this address space"))
			}
		}
	} else {
		used := append(s.usedSubnets(""), bridge.Routes()...)
		subnet, err := ipam.NextSubnet(s.cfg.Pools, used)
		if err != nil {
			return nil, errs.Wrap(errdefs.ErrPermissionDenied, err)
		}
		cfg.Subnet = subnet
	}
	autoGateway := userSubnet && !cfg.Gateway.IsValid()
	if !cfg.Gateway.IsValid() {
		cfg.Gateway = ipam.Gateway(cfg.Subnet)
	}
	if err := validateOptions(req.Options, cfg.Subnet, cfg.AuxAddress); err != nil {
		return nil, err
	}
	for _, c := range v6 {
		if err := validateOptions(nil, c.Subnet, c.AuxAddress); err != nil {
			return nil, err
		}
	}
	enable6 := req.EnableIPv6 != nil && *req.EnableIPv6
	ipamConfigs := []network.IPAMConfig{cfg}
	if enable6 || len(v6) > 0 {
		c6, err := s.ipv6Config(enable6, v6)
		if err != nil {
			return nil, err
		}
		ipamConfigs = append(ipamConfigs, c6)
	}
	id := newID()
	r := &record{Bridge: "wharf-" + id[:9], UserSubnet: userSubnet, AutoGateway: autoGateway}
	if name := req.Options["com.docker.network.bridge.name"]; name != "" {
		r.Bridge = name
	}
	opts := req.Options
	if opts == nil {
		opts = map[string]string{}
	}
	labels := req.Labels
	if labels == nil {
		labels = map[string]string{}
	}
	r.Network = network.Network{
		Name: req.Name, ID: id, Created: time.Now(), Scope: "local", Driver: "bridge", EnableIPv4: true, EnableIPv6: enable6,
		IPAM:     network.IPAM{Driver: "default", Options: map[string]string{}, Config: ipamConfigs},
		Internal: req.Internal, Attachable: req.Attachable, Options: opts, Labels: labels,
	}
	r.Creating = true
	s.busy[r.ID] = r
	return r, nil
}

// build records a planned network as being created, makes its bridge and
// rules, then records it as made: a daemon killed in between finds the
// record at start and undoes it. Not under s.mu.
func (s *Service) build(r *record) error {
	if err := s.saveNetwork(r); err != nil {
		return err
	}
	if err := s.setupBridge(r); err != nil {
		return err
	}
	// A copy: r is in s.busy, where plan reads Creating under s.mu;
	// create clears r's once it holds s.mu again.
	made := *r
	made.Creating = false
	return s.saveNetwork(&made)
}

// ipv6Config checks a new network's IPv6 subnet as dockerd 20.10 does:
// one, free, its gateway (when given) in it. A subnet without --ipv6 is
// kept and unused; --ipv6 without one is refused in dockerd's words (it
// has no default IPv6 pool). Callers hold s.mu.
func (s *Service) ipv6Config(enable bool, v6 []network.IPAMConfig) (network.IPAMConfig, error) {
	switch {
	case len(v6) == 0:
		return network.IPAMConfig{}, errs.Wrap(errdefs.ErrPermissionDenied, errors.New("could not find an available, non-overlapping IPv6 address pool among the defaults to assign to the network"))
	case len(v6) > 1:
		return network.IPAMConfig{}, errs.Invalid("only one IPv6 subnet per network is supported")
	}
	c := v6[0]
	c.Subnet = c.Subnet.Masked()
	if c.Subnet.Bits() > 126 {
		return network.IPAMConfig{}, errs.Invalid("invalid IPv6 subnet %s: too small", c.Subnet)
	}
	if c.Gateway.IsValid() && !c.Subnet.Contains(c.Gateway) {
		return network.IPAMConfig{}, errs.Invalid("gateway %s is not in subnet %s", c.Gateway, c.Subnet)
	}
	if !enable {
		return c, nil
	}
	for _, r := range s.networks {
		if o := r.ipv6(); o != nil && o.Subnet.Overlaps(c.Subnet) {
			return network.IPAMConfig{}, errs.Wrap(errdefs.ErrPermissionDenied, errors.New("invalid pool request: Pool overlaps with other one on this address space"))
		}
	}
	return c, nil
}

// gateway6 is the IPv6 gateway of c: its own, else the subnet's first
// address (dockerd's, which inspect does not show either).
func gateway6(c *network.IPAMConfig) netip.Addr {
	if c.Gateway.IsValid() {
		return c.Gateway
	}
	return c.Subnet.Addr().Next()
}

// undoCreate removes the bridge, rules and record of a network whose
// creation failed or was cut short.
func (s *Service) undoCreate(r *record) {
	s.teardownBridge(r)
	if err := os.Remove(filepath.Join(s.netDir(), r.ID+".json")); err != nil && !errors.Is(err, fs.ErrNotExist) {
		s.log.Warn("removing a network record", "network", r.Name, "err", err)
	}
}

// remove deletes a user-defined network without active endpoints.
func (s *Service) remove(ctx context.Context, ref string) error {
	s.mu.Lock()
	r, err := s.detach(ref)
	s.mu.Unlock()
	if err != nil {
		return err
	}
	// Rules and bridge go outside s.mu; the subnet stays taken (s.busy)
	// until the bridge holding it is gone.
	s.teardownBridge(r)
	err = os.Remove(filepath.Join(s.netDir(), r.ID+".json"))
	s.mu.Lock()
	delete(s.busy, r.ID)
	s.mu.Unlock()
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

// detach takes an unused user-defined network out of s.networks into
// s.busy and stops its resolver. Callers hold s.mu.
func (s *Service) detach(ref string) (*record, error) {
	if _, ok := predefined[ref]; ok {
		return nil, errs.Wrap(errdefs.ErrPermissionDenied, fmt.Errorf("%s is a pre-defined network and cannot be removed", ref))
	}
	r, err := s.find(ref)
	if err != nil {
		return nil, err
	}
	if r.isDefault() {
		return nil, errs.Wrap(errdefs.ErrPermissionDenied, fmt.Errorf("%s is a pre-defined network and cannot be removed", r.Name))
	}
	if eps := s.endpointsOf(r.ID); len(eps) > 0 {
		return nil, errs.Wrap(errdefs.ErrPermissionDenied, fmt.Errorf("error while removing network: network %s id %s has active endpoints", r.Name, r.ID))
	}
	s.stopDNS(r)
	delete(s.networks, r.ID)
	s.busy[r.ID] = r
	return r, nil
}

// Prune removes every unused user-defined network that match accepts.
func (s *Service) Prune(ctx context.Context, match func(labels map[string]string, created time.Time) bool) (network.PruneReport, error) {
	s.mu.Lock()
	var names []string
	for _, r := range s.networks {
		if !r.isDefault() && len(s.endpointsOf(r.ID)) == 0 && (match == nil || match(r.Labels, r.Created)) {
			names = append(names, r.Name)
		}
	}
	s.mu.Unlock()
	sort.Strings(names)
	report := network.PruneReport{NetworksDeleted: []string{}}
	for _, n := range names {
		if err := s.remove(ctx, n); err == nil {
			report.NetworksDeleted = append(report.NetworksDeleted, n)
		}
	}
	return report, nil
}

type epRef struct {
	sb *sandbox
	ep *endpoint
}

// endpointsOf lists the endpoints on network id. Callers hold s.mu.
func (s *Service) endpointsOf(id string) []epRef {
	var out []epRef
	for _, sb := range s.sandboxes {
		for _, ep := range sb.Endpoints {
			if ep.NetworkID == id {
				out = append(out, epRef{sb, ep})
			}
		}
	}
	return out
}

// List returns every network: the predefined ones and the user's.
func (s *Service) List(ctx context.Context) []network.Inspect {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []network.Inspect{}
	for _, r := range s.networks {
		out = append(out, s.inspect(r))
	}
	out = append(out, s.pseudo()...)
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// pseudo are the "host" and "none" networks, which have no state.
func (s *Service) pseudo() []network.Inspect {
	var out []network.Inspect
	for _, n := range []string{network.NetworkHost, network.NetworkNone} {
		out = append(out, network.Inspect{Network: network.Network{
			Name: n, ID: pseudoID(n), Scope: "local", Driver: predefined[n], EnableIPv4: true,
			IPAM:    network.IPAM{Driver: "default", Config: []network.IPAMConfig{}},
			Options: map[string]string{}, Labels: map[string]string{},
		}, Containers: map[string]network.EndpointResource{}})
	}
	return out
}

// pseudoID gives host and none stable ids.
func pseudoID(name string) string {
	sum := sha256.Sum256([]byte("wharf-predefined-network-" + name))
	return hex.EncodeToString(sum[:])
}

// Inspect returns one network.
func (s *Service) Inspect(ctx context.Context, ref string) (network.Inspect, error) {
	for _, p := range s.pseudo() {
		if ref == p.Name || ref == p.ID {
			return p, nil
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	r, err := s.find(ref)
	if err != nil {
		return network.Inspect{}, err
	}
	return s.inspect(r), nil
}

func (s *Service) inspect(r *record) network.Inspect {
	in := network.Inspect{Network: r.Network, Containers: map[string]network.EndpointResource{}}
	in.IPAM.Config = append([]network.IPAMConfig(nil), r.IPAM.Config...)
	if r.AutoGateway && len(in.IPAM.Config) > 0 {
		in.IPAM.Config[0].Gateway = netip.Addr{}
	}
	for _, e := range s.endpointsOf(r.ID) {
		in.Containers[e.sb.ContainerID] = network.EndpointResource{
			Name: e.sb.Name, EndpointID: e.ep.EndpointID, MacAddress: network.HardwareAddr(parseMAC(e.ep.MAC)),
			IPv4Address: netip.PrefixFrom(e.ep.IP, r.subnet().Bits()),
		}
	}
	return in
}

func newID() string {
	var b [32]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
