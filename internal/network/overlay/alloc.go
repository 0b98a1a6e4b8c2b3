// Package overlay is Wharf's overlay networking for swarm mode: on
// managers, the swarmkit network allocator that hands out overlay
// subnets, VXLAN IDs, task addresses and service VIPs; on every node,
// the VXLAN plumbing that carries a network's traffic between nodes.
//
// moby's daemon/libnetwork/cnmallocator and drivers/overlay/ovmanager are
// the reference for the allocator: the same pools, the same VNI range,
// the same fields written into swarmkit's objects, so a swarm's raft
// store reads the same under dockerd and Wharf.
package overlay

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"sync"

	"github.com/moby/swarmkit/v2/api"
	"github.com/moby/swarmkit/v2/manager/allocator/networkallocator"

	"github.com/wharf/wharf/internal/network/ipam"
)

// Driver is the one global-scope network driver.
const Driver = "overlay"

// OptVNIs is where the allocator records a network's VXLAN IDs
// (docker's option, one ID per subnet, comma-separated).
const OptVNIs = "com.docker.network.driver.overlay.vxlanid_list"

// OptEncrypted asks for IPsec between nodes.
const OptEncrypted = "encrypted"

// VNIs from 4096 up, as dockerd: lower IDs are left to hand-made
// networks.
const (
	vniFirst = 4096
	vniLast  = 1<<24 - 1
)

// Swarm's default address pool when swarm init names none: 10.0.0.0/8
// in /24s.
var defaultPoolBase = netip.MustParsePrefix("10.0.0.0/8")

const defaultSubnetSize = 24

// ErrPoolOverlap is docker's word for a subnet that overlaps another.
var ErrPoolOverlap = errors.New("invalid pool request: Pool overlaps with other one on this address space")

// Allocator is swarmkit's NetworkAllocator for overlay networks. Node-
// local drivers (bridge, host, ...) get no resources, as in moby.
//
// swarmkit calls it from its allocator goroutine, but the state sits
// behind mu so that a read from elsewhere (the tests, a future
// OnGetNetwork) is safe. mu is a leaf lock.
type Allocator struct {
	mu       sync.Mutex
	pools    []ipam.PoolSpec
	networks map[string]*netState
	vnis     map[uint32]bool
	services map[string]bool
	tasks    map[string]bool
	nodes    map[string]map[string]bool // node ID → network IDs attached
}

type netState struct {
	nw        *api.Network
	nodeLocal bool
	subnet    netip.Prefix
	rng       netip.Prefix
	gateway   netip.Addr
	vnis      []uint32
	used      map[netip.Addr]bool
}

// NewAllocator returns an allocator cutting subnets from pools (swarm
// init's --default-addr-pool and --default-addr-pool-mask-length), or
// from DefaultPool when none are given.
func NewAllocator(pools []string, size uint32) (*Allocator, error) {
	a := &Allocator{
		networks: map[string]*netState{}, vnis: map[uint32]bool{},
		services: map[string]bool{}, tasks: map[string]bool{}, nodes: map[string]map[string]bool{},
	}
	if size == 0 {
		size = defaultSubnetSize
	}
	for _, p := range pools {
		pfx, err := netip.ParsePrefix(p)
		if err != nil {
			return nil, fmt.Errorf("invalid default address pool %q: %w", p, err)
		}
		a.pools = append(a.pools, ipam.PoolSpec{Base: pfx.Masked(), Size: int(size)})
	}
	if len(a.pools) == 0 {
		a.pools = []ipam.PoolSpec{{Base: defaultPoolBase, Size: int(size)}}
	}
	return a, nil
}

var _ networkallocator.NetworkAllocator = (*Allocator)(nil)

func driverName(n *api.Network) string {
	if n.Spec.DriverConfig != nil && n.Spec.DriverConfig.Name != "" {
		return n.Spec.DriverConfig.Name
	}
	return Driver
}

// IsAllocated reports whether n has its resources.
func (a *Allocator) IsAllocated(n *api.Network) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	_, ok := a.networks[n.ID]
	return ok
}

// Allocate gives n a subnet, a gateway and a VNI, or takes back the ones
// it already carries (a manager restarting, or a new leader).
func (a *Allocator) Allocate(n *api.Network) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if _, ok := a.networks[n.ID]; ok {
		return fmt.Errorf("network %s already allocated", n.ID)
	}
	if driverName(n) != Driver {
		n.DriverState = &api.Driver{Name: driverName(n)}
		n.IPAM = &api.IPAMOptions{Driver: &api.Driver{}}
		a.networks[n.ID] = &netState{nw: n, nodeLocal: true}
		return nil
	}
	st, err := a.allocatePool(n)
	if err != nil {
		return err
	}
	if err := a.allocateVNI(n, st); err != nil {
		return err
	}
	a.networks[n.ID] = st
	return nil
}

// allocatePool settles n's one IPv4 subnet, range and gateway and writes
// them into n.IPAM. Callers hold a.mu.
func (a *Allocator) allocatePool(n *api.Network) (*netState, error) {
	var ic *api.IPAMConfig
	switch {
	case n.IPAM != nil && len(n.IPAM.Configs) > 0:
		ic = n.IPAM.Configs[0]
	case n.Spec.IPAM != nil && len(n.Spec.IPAM.Configs) > 0:
		ic = n.Spec.IPAM.Configs[0].Copy()
	default:
		ic = &api.IPAMConfig{Family: api.IPAMConfig_IPV4}
	}
	if ic.Family == api.IPAMConfig_IPV6 {
		return nil, errors.New("IPv6 overlay networks are not supported")
	}
	st := &netState{nw: n, used: map[netip.Addr]bool{}}
	if ic.Subnet != "" {
		pfx, err := netip.ParsePrefix(ic.Subnet)
		if err != nil {
			return nil, fmt.Errorf("invalid subnet %s: %w", ic.Subnet, err)
		}
		var gw netip.Addr
		var rngPfx netip.Prefix
		if ic.Gateway != "" {
			if gw, err = netip.ParseAddr(ic.Gateway); err != nil {
				return nil, fmt.Errorf("invalid gateway %s: %w", ic.Gateway, err)
			}
		}
		if ic.Range != "" {
			if rngPfx, err = netip.ParsePrefix(ic.Range); err != nil {
				return nil, fmt.Errorf("invalid ip range %s: %w", ic.Range, err)
			}
		}
		if err := ipam.Validate(pfx, gw, rngPfx); err != nil {
			return nil, err
		}
		for _, o := range a.networks {
			if !o.nodeLocal && o.subnet.Overlaps(pfx) {
				return nil, ErrPoolOverlap
			}
		}
		st.subnet, st.gateway, st.rng = pfx, gw, rngPfx
	} else {
		var used []netip.Prefix
		for _, o := range a.networks {
			if !o.nodeLocal {
				used = append(used, o.subnet)
			}
		}
		pfx, err := ipam.NextSubnet(a.pools, used)
		if err != nil {
			return nil, err
		}
		st.subnet = pfx
	}
	if !st.gateway.IsValid() {
		st.gateway = ipam.Gateway(st.subnet)
	}
	ic.Subnet, ic.Gateway = st.subnet.String(), st.gateway.String()
	n.IPAM = &api.IPAMOptions{Driver: &api.Driver{Name: "default"}, Configs: []*api.IPAMConfig{ic}}
	if n.Spec.IPAM != nil && n.Spec.IPAM.Driver != nil {
		n.IPAM.Driver.Options = n.Spec.IPAM.Driver.Options
	}
	return st, nil
}

// allocateVNI takes the VNI n already carries, or the first free one.
// Callers hold a.mu.
func (a *Allocator) allocateVNI(n *api.Network, st *netState) error {
	opts := map[string]string{}
	if n.Spec.DriverConfig != nil {
		for k, v := range n.Spec.DriverConfig.Options {
			opts[k] = v
		}
	}
	if n.DriverState != nil {
		for k, v := range n.DriverState.Options {
			opts[k] = v
		}
	}
	if list := opts[OptVNIs]; list != "" {
		for _, s := range strings.Split(list, ",") {
			v, err := strconv.ParseUint(strings.TrimSpace(s), 10, 32)
			if err != nil || v == 0 || v > vniLast {
				return fmt.Errorf("invalid VXLAN ID %q", s)
			}
			if a.vnis[uint32(v)] {
				return fmt.Errorf("could not assign vxlan id %d to pool %s: already in use", v, st.subnet)
			}
			st.vnis = append(st.vnis, uint32(v))
		}
	}
	if len(st.vnis) == 0 {
		v := uint32(vniFirst)
		for ; v <= vniLast && a.vnis[v]; v++ {
		}
		if v > vniLast {
			return fmt.Errorf("could not obtain vxlan id for pool %s: no VXLAN ID left", st.subnet)
		}
		st.vnis = []uint32{v}
	}
	for _, v := range st.vnis {
		a.vnis[v] = true
	}
	opts[OptVNIs] = strconv.FormatUint(uint64(st.vnis[0]), 10)
	n.DriverState = &api.Driver{Name: Driver, Options: opts}
	return nil
}

// Deallocate frees n's subnet and VNI.
func (a *Allocator) Deallocate(n *api.Network) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	st, ok := a.networks[n.ID]
	if !ok {
		return fmt.Errorf("could not get networker state for network %s", n.ID)
	}
	for _, v := range st.vnis {
		delete(a.vnis, v)
	}
	delete(a.networks, n.ID)
	return nil
}

// serviceNetworks are the networks a service's tasks join; older specs
// kept them on the service.
func serviceNetworks(s *api.Service) []*api.NetworkAttachmentConfig {
	if len(s.Spec.Task.Networks) == 0 && len(s.Spec.Networks) != 0 {
		return s.Spec.Networks
	}
	return s.Spec.Task.Networks
}

func dnsrr(s *api.Service) bool {
	return s.Spec.Endpoint != nil && s.Spec.Endpoint.Mode == api.ResolutionModeDNSRoundRobin
}

// AllocateService gives s a VIP on each overlay network it joins (none
// in dnsrr mode), and on the ingress network when it publishes ports
// there.
func (a *Allocator) AllocateService(s *api.Service) (err error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if s.Endpoint == nil {
		s.Endpoint = &api.Endpoint{}
	}
	s.Endpoint.Spec = s.Spec.Endpoint.Copy()
	if dnsrr(s) {
		for _, vip := range s.Endpoint.VirtualIPs {
			a.releaseVIP(vip)
		}
		s.Endpoint.VirtualIPs = nil
		delete(a.services, s.ID)
		return nil
	}
	want := a.wantedNetworks(s)
	var vips []*api.Endpoint_VirtualIP
	defer func() {
		if err != nil {
			for _, v := range vips {
				a.releaseVIP(v)
			}
			s.Endpoint.VirtualIPs = nil
			delete(a.services, s.ID)
		}
	}()
	have := map[string]bool{}
	for _, vip := range s.Endpoint.VirtualIPs {
		if !want[vip.NetworkID] || have[vip.NetworkID] {
			a.releaseVIP(vip)
			continue
		}
		if err := a.claimVIP(vip); err != nil {
			return err
		}
		have[vip.NetworkID] = true
		vips = append(vips, vip)
	}
	for _, n := range serviceNetworks(s) {
		if have[n.Target] {
			continue
		}
		vip := &api.Endpoint_VirtualIP{NetworkID: n.Target}
		if err := a.claimVIP(vip); err != nil {
			return err
		}
		have[n.Target] = true
		vips = append(vips, vip)
	}
	for id := range want {
		if have[id] {
			continue
		}
		vip := &api.Endpoint_VirtualIP{NetworkID: id}
		if err := a.claimVIP(vip); err != nil {
			return err
		}
		vips = append(vips, vip)
	}
	s.Endpoint.VirtualIPs = vips
	if len(vips) > 0 {
		a.services[s.ID] = true
	} else {
		delete(a.services, s.ID)
	}
	return nil
}

// claimVIP reserves vip.Addr, or picks one. Node-local networks get no
// address. Callers hold a.mu.
func (a *Allocator) claimVIP(vip *api.Endpoint_VirtualIP) error {
	st := a.networks[vip.NetworkID]
	if st == nil {
		return fmt.Errorf("networkallocator: could not find local network state for %s", vip.NetworkID)
	}
	if st.nodeLocal {
		return nil
	}
	addr, err := st.claim(vip.Addr, true)
	if err != nil {
		return fmt.Errorf("could not allocate VIP from IPAM: %w", err)
	}
	vip.Addr = addr
	return nil
}

func (a *Allocator) releaseVIP(vip *api.Endpoint_VirtualIP) {
	if st := a.networks[vip.NetworkID]; st != nil && !st.nodeLocal {
		st.release(vip.Addr)
	}
}

// claim reserves have (an address in CIDR or plain form) if given, else
// the first free address; the answer is in CIDR form, as swarmkit keeps
// addresses. A VIP claimed again is its own (swarmkit re-allocates a
// service's VIPs whenever its networks change); a task's address is
// never handed out twice.
func (st *netState) claim(have string, again bool) (string, error) {
	var want netip.Addr
	if have != "" {
		p, err := netip.ParsePrefix(have)
		if err == nil {
			want = p.Addr()
		} else if want, err = netip.ParseAddr(have); err != nil {
			return "", fmt.Errorf("could not parse address string %s", have)
		}
		if again && st.used[want] {
			return netip.PrefixFrom(want, st.subnet.Bits()).String(), nil
		}
	}
	ip, err := ipam.Allocate(st.subnet, st.rng, st.gateway, st.used, want)
	if err != nil {
		return "", err
	}
	st.used[ip] = true
	return netip.PrefixFrom(ip, st.subnet.Bits()).String(), nil
}

func (st *netState) release(addr string) {
	if p, err := netip.ParsePrefix(addr); err == nil {
		delete(st.used, p.Addr())
	} else if ip, err := netip.ParseAddr(addr); err == nil {
		delete(st.used, ip)
	}
}

// DeallocateService frees s's VIPs.
func (a *Allocator) DeallocateService(s *api.Service) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if s.Endpoint == nil {
		return nil
	}
	for _, vip := range s.Endpoint.VirtualIPs {
		a.releaseVIP(vip)
	}
	s.Endpoint.VirtualIPs = nil
	delete(a.services, s.ID)
	return nil
}

// IsServiceAllocated reports whether s has a VIP on every network it
// needs one on, and none elsewhere.
func (a *Allocator) IsServiceAllocated(s *api.Service, _ ...func(*networkallocator.ServiceAllocationOpts)) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	if s.Endpoint == nil {
		// swarmkit copies the endpoint spec into every task, where the
		// executor reads the published ports: always allocate once.
		return false
	}
	if dnsrr(s) {
		return !a.services[s.ID] && len(s.Endpoint.VirtualIPs) == 0
	}
	want := a.wantedNetworks(s)
	if len(want) > 0 && !a.services[s.ID] {
		return false
	}
	have := map[string]bool{}
	for _, vip := range s.Endpoint.VirtualIPs {
		if !want[vip.NetworkID] {
			return false
		}
		have[vip.NetworkID] = true
	}
	return len(have) == len(want)
}

// AllocateTask gives t an address on every overlay network it joins.
func (a *Allocator) AllocateTask(t *api.Task) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	for i, att := range t.Networks {
		if err := a.claimAttachment(att); err != nil {
			a.releaseAttachments(t.Networks[:i])
			return fmt.Errorf("failed to allocate network IP for task %s network %s: %w", t.ID, att.Network.ID, err)
		}
	}
	a.tasks[t.ID] = true
	return nil
}

// claimAttachment reserves att's address (or picks one). Callers hold
// a.mu.
func (a *Allocator) claimAttachment(att *api.NetworkAttachment) error {
	st := a.networks[att.Network.ID]
	if st == nil {
		return fmt.Errorf("could not find network allocator state for network %s", att.Network.ID)
	}
	if st.nodeLocal {
		return nil
	}
	have := ""
	if len(att.Addresses) > 0 {
		have = att.Addresses[0]
	}
	addr, err := st.claim(have, false)
	if err != nil {
		return err
	}
	att.Addresses = []string{addr}
	return nil
}

func (a *Allocator) releaseAttachments(atts []*api.NetworkAttachment) {
	for _, att := range atts {
		st := a.networks[att.Network.ID]
		if st == nil || st.nodeLocal {
			continue
		}
		for _, addr := range att.Addresses {
			st.release(addr)
		}
		att.Addresses = nil
	}
}

// DeallocateTask frees t's addresses.
func (a *Allocator) DeallocateTask(t *api.Task) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	delete(a.tasks, t.ID)
	a.releaseAttachments(t.Networks)
	return nil
}

// IsTaskAllocated reports whether every overlay attachment of t has its
// address, and t its service's endpoint (which the executor reads for
// the published ports).
func (a *Allocator) IsTaskAllocated(t *api.Task) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	// A network-attachment task (a container on an attachable network)
	// has no service and so no endpoint.
	if !a.tasks[t.ID] || (t.Endpoint == nil && t.ServiceID != "") {
		return false
	}
	for _, att := range t.Networks {
		st := a.networks[att.Network.ID]
		if st == nil {
			return false
		}
		if st.nodeLocal {
			continue
		}
		if len(att.Addresses) == 0 || !st.used[addrOf(att.Addresses[0])] {
			return false
		}
	}
	return true
}

func addrOf(s string) netip.Addr {
	if p, err := netip.ParsePrefix(s); err == nil {
		return p.Addr()
	}
	ip, _ := netip.ParseAddr(s)
	return ip
}

// AllocateAttachment gives a node its address on a network (the ingress
// network, where the routing mesh's traffic enters the node).
func (a *Allocator) AllocateAttachment(node *api.Node, att *api.NetworkAttachment) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if err := a.claimAttachment(att); err != nil {
		return err
	}
	if a.nodes[node.ID] == nil {
		a.nodes[node.ID] = map[string]bool{}
	}
	a.nodes[node.ID][att.Network.ID] = true
	return nil
}

// DeallocateAttachment frees a node's address on a network.
func (a *Allocator) DeallocateAttachment(node *api.Node, att *api.NetworkAttachment) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	delete(a.nodes[node.ID], att.Network.ID)
	if len(a.nodes[node.ID]) == 0 {
		delete(a.nodes, node.ID)
	}
	a.releaseAttachments([]*api.NetworkAttachment{att})
	return nil
}

// IsAttachmentAllocated reports whether a node has its address on att's
// network.
func (a *Allocator) IsAttachmentAllocated(node *api.Node, att *api.NetworkAttachment) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	if node == nil || att == nil || att.Network == nil || !a.nodes[node.ID][att.Network.ID] {
		return false
	}
	st := a.networks[att.Network.ID]
	if st == nil {
		return false
	}
	if st.nodeLocal {
		return true
	}
	return len(att.Addresses) > 0 && st.used[addrOf(att.Addresses[0])]
}

// wantedNetworks is the IDs of the networks s is attached to: its own,
// and ingress when it publishes ports through the routing mesh.
func (a *Allocator) wantedNetworks(s *api.Service) map[string]bool {
	want := map[string]bool{}
	for _, n := range serviceNetworks(s) {
		want[n.Target] = true
	}
	if networkallocator.IsIngressNetworkNeeded(s) {
		for id, st := range a.networks {
			if networkallocator.IsIngressNetwork(st.nw) {
				want[id] = true
			}
		}
	}
	return want
}
