package overlay

import (
	"context"
	"fmt"
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

	"github.com/moby/swarmkit/v2/api"

	"github.com/wharf/wharf/internal/network/dns"
)

// NodeConfig is where a node keeps its overlay namespaces and how it
// talks to its peers.
type NodeConfig struct {
	// Root holds one bind-mounted network namespace per overlay network
	// with endpoints here: <exec root>/overlay.
	Root       string
	VXLANPort  int // 0: 4789
	GossipPort int // 0: 7946, as dockerd's networkdb
	// NoIPTables: the daemon manages no iptables rules, so the routing
	// mesh publishes no port on this node (as dockerd's --iptables=false).
	NoIPTables bool
	Log        *slog.Logger
}

// Node is one node's overlay data plane and its share of the peer
// table: the networks its tasks use, their endpoints, and the remote
// endpoints other nodes announced.
//
// Lock order: mu is held across netlink calls into the node's own
// namespaces (and the iptables runs for VXLAN's NOTRACK rules, when the
// first network comes and the last goes) and never while calling
// memberlist (whose callbacks take mu).
type Node struct {
	cfg NodeConfig

	mu      sync.Mutex
	nets    map[string]*nodeNet  // network ID → its data plane here
	tasks   map[string]localTask // task ID → its container's pid and endpoints
	remote  map[string]nodeState // node ID → what it announced
	self    string               // this node's ID
	vtep    netip.Addr           // this node's data path address
	version uint64               // of this node's announced state
	gossip  *gossip
	ingress ingress // the routing mesh's sandbox here (ingress.go)

	lb  lbState
	ing ingressRules

	pushPull time.Duration // the gossip's full-state exchange; 0: pushPullInterval (tests lengthen it)
}

type nodeNet struct {
	spec  netSpec
	net   *api.Network // as the managers last sent it, for network ls and inspect
	ns    string
	users map[string]bool // task IDs
	dns   *dns.Server
}

// remove stops the network's resolver and removes its namespace.
func (nn *nodeNet) remove() {
	if nn.dns != nil {
		nn.dns.Close()
		nn.dns = nil
	}
	deleteNetwork(nn.ns, nn.spec.VNI)
}

type localEP struct {
	Net     string
	Addr    netip.Prefix
	Svc     string
	VIP     netip.Addr
	Aliases string
	Ports   string // on the ingress network: the service's published ports (Entry.Ports)
}

// localTask is a task's (or an attached container's) endpoints here and
// the network namespace they are in: /proc/<pid>/ns/net for a task, the
// sandbox's bind mount for a container (attachable.go).
type localTask struct {
	ns  string
	eps []localEP
	// The task's container and its DNS names, for the container's
	// inspect (ContainerEndpoints); empty for attachments and the
	// ingress sandbox.
	ctr      string
	dnsNames []string
}

// Entry is one endpoint in the peer table.
type Entry struct {
	Net  string     `json:"n"`
	VNI  uint32     `json:"v"`
	IP   netip.Addr `json:"i"`
	VTEP netip.Addr `json:"t"`
	Svc  string     `json:"s,omitempty"` // the task's service name
	VIP  netip.Addr `json:"p,omitzero"`  // its VIP on Net; zero in dnsrr mode
	// Aliases are the service's other names on Net (compose's service
	// name in a stack), comma-separated so that an Entry is comparable.
	Aliases string `json:"a,omitempty"`
	// Ports are, on the ingress network, the service's ports published
	// through the routing mesh: "proto:published:target", comma-separated.
	Ports string `json:"o,omitempty"`
}

type nodeState struct {
	Version uint64  `json:"version"`
	Entries []Entry `json:"entries"`
}

// NewNode returns a node's overlay service; nothing is made until a task
// joins a network.
func NewNode(cfg NodeConfig) *Node {
	if cfg.VXLANPort == 0 {
		cfg.VXLANPort = VXLANPort
	}
	if cfg.GossipPort == 0 {
		cfg.GossipPort = 7946
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	return &Node{cfg: cfg, nets: map[string]*nodeNet{}, tasks: map[string]localTask{}, remote: map[string]nodeState{}}
}

// specOf reads what a node needs from a network object the managers
// allocated; ok is false for networks that are not overlay.
func specOf(n *api.Network) (netSpec, bool, error) {
	if n == nil || n.DriverState == nil || n.DriverState.Name != Driver || n.IPAM == nil || len(n.IPAM.Configs) == 0 {
		return netSpec{}, false, nil
	}
	vnis := strings.Split(n.DriverState.Options[OptVNIs], ",")
	v, err := strconv.ParseUint(vnis[0], 10, 32)
	if err != nil {
		return netSpec{}, false, fmt.Errorf("network %s has no VXLAN ID", n.ID)
	}
	subnet, err := netip.ParsePrefix(n.IPAM.Configs[0].Subnet)
	if err != nil {
		return netSpec{}, false, fmt.Errorf("network %s: %w", n.ID, err)
	}
	gw, err := netip.ParseAddr(n.IPAM.Configs[0].Gateway)
	if err != nil {
		return netSpec{}, false, fmt.Errorf("network %s: %w", n.ID, err)
	}
	return netSpec{ID: n.ID, VNI: uint32(v), Subnet: subnet, Gateway: gw}, true, nil
}

// HasOverlay reports whether any of the attachments is on an overlay
// network.
func HasOverlay(atts []*api.NetworkAttachment) bool {
	for _, a := range atts {
		if _, ok, _ := specOf(a.Network); ok {
			return true
		}
	}
	return false
}

// Join connects the container ctrID whose process is pid to the overlay
// networks of its task's attachments and announces its addresses;
// dnsNames are the container's names on them, as its inspect shows. A
// repeated Join (a restarted daemon finding its tasks) changes nothing.
func (n *Node) Join(ctx context.Context, t *api.Task, ctrID string, dnsNames []string, pid int) error {
	ctrNS := "/proc/" + strconv.Itoa(pid) + "/ns/net"
	var eps []localEP
	for _, a := range t.Networks {
		ep, ok, err := endpointOf(a, t.ServiceAnnotations.Name, a.Aliases)
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		if a.Network.Spec.Ingress {
			ep.Ports = ingressPorts(t)
		}
		if t.Endpoint != nil {
			for _, v := range t.Endpoint.VirtualIPs {
				if p, err := netip.ParsePrefix(v.Addr); err == nil && v.NetworkID == ep.Net {
					ep.VIP = p.Addr()
				}
			}
		}
		eps = append(eps, ep)
	}
	if err := n.join(t.ID, ctrNS, t.Networks, eps); err != nil {
		return err
	}
	n.mu.Lock()
	if lt, ok := n.tasks[t.ID]; ok {
		lt.ctr, lt.dnsNames = ctrID, dnsNames
		n.tasks[t.ID] = lt
	}
	n.mu.Unlock()
	return nil
}

// endpointOf is the local endpoint an attachment describes, named name
// (and aliases); ok is false for a network that is not overlay.
func endpointOf(a *api.NetworkAttachment, name string, aliases []string) (localEP, bool, error) {
	spec, ok, err := specOf(a.Network)
	if err != nil || !ok || len(a.Addresses) == 0 {
		return localEP{}, false, err
	}
	addr, err := netip.ParsePrefix(a.Addresses[0])
	if err != nil {
		return localEP{}, false, fmt.Errorf("task address %q: %w", a.Addresses[0], err)
	}
	return localEP{Net: spec.ID, Addr: addr, Svc: name, Aliases: strings.Join(aliases, ",")}, true, nil
}

// join gives the namespace ctrNS an interface on each endpoint's network
// and announces them under id.
func (n *Node) join(id, ctrNS string, atts []*api.NetworkAttachment, eps []localEP) error {
	nets := map[string]*api.Network{}
	for _, a := range atts {
		if _, ok, _ := specOf(a.Network); ok {
			nets[a.Network.ID] = a.Network
		}
	}
	n.mu.Lock()
	for _, ep := range eps {
		nn, err := n.ensure(nets[ep.Net])
		if err != nil {
			n.mu.Unlock()
			return err
		}
		if err := attach(nn.ns, ctrNS, ep.Addr); err != nil {
			n.mu.Unlock()
			return fmt.Errorf("joining overlay network %s: %w", ep.Net, err)
		}
		nn.users[id] = true
	}
	old, known := n.tasks[id]
	changed := len(eps) > 0 && !(known && old.ns == ctrNS && slices.Equal(old.eps, eps))
	if changed {
		n.tasks[id] = localTask{ns: ctrNS, eps: eps, ctr: old.ctr, dnsNames: old.dnsNames}
		n.bump()
	}
	g := n.gossip
	n.mu.Unlock()
	if changed {
		n.refreshLB()
		if g != nil {
			g.announce()
		}
	}
	return nil
}

// ensure returns the data plane here of network nw (an overlay), built on
// first use with the remote entries already known. Callers hold n.mu.
func (n *Node) ensure(nw *api.Network) (*nodeNet, error) {
	spec, ok, err := specOf(nw)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("network %s has no overlay allocation", nw.GetID())
	}
	if nn := n.nets[spec.ID]; nn != nil {
		nn.net = nw
		return nn, nil
	}
	nn := &nodeNet{spec: spec, net: nw, ns: filepath.Join(n.cfg.Root, spec.ID[:min(12, len(spec.ID))]), users: map[string]bool{}}
	if err := os.MkdirAll(n.cfg.Root, 0o700); err != nil {
		return nil, err
	}
	if len(n.nets) == 0 {
		n.untrackVXLAN()
	}
	if err := ensureNetwork(nn.ns, spec, n.cfg.VXLANPort); err != nil {
		return nil, fmt.Errorf("overlay network %s: %w", spec.ID, err)
	}
	if err := n.startDNS(nn); err != nil {
		n.cfg.Log.Warn("overlay: no service discovery", "network", spec.ID, "err", err)
	}
	n.nets[spec.ID] = nn
	for node, st := range n.remote {
		for _, e := range st.Entries {
			if e.Net == spec.ID && node != n.self {
				n.program(e, false)
			}
		}
	}
	return nn, nil
}

// program adds or removes a remote entry's FDB and neighbour entries.
// Callers hold n.mu.
func (n *Node) program(e Entry, del bool) {
	nn := n.nets[e.Net]
	if nn == nil || e.VTEP == n.vtep {
		return
	}
	if err := setPeer(nn.ns, nn.spec.VNI, e.IP, e.VTEP, del); err != nil && !del {
		n.cfg.Log.Warn("overlay: peer entry", "network", e.Net, "ip", e.IP, "vtep", e.VTEP, "err", err)
	}
}

// Leave forgets a task's endpoints (its veths went with its namespace)
// and removes a network's data plane once no task uses it.
func (n *Node) Leave(taskID string) {
	n.mu.Lock()
	lt, ok := n.tasks[taskID]
	if ok {
		delete(n.tasks, taskID)
		n.bump()
		for _, ep := range lt.eps {
			if nn := n.nets[ep.Net]; nn != nil {
				delete(nn.users, taskID)
				if len(nn.users) == 0 {
					nn.remove()
					delete(n.nets, ep.Net)
					if len(n.nets) == 0 {
						n.trackVXLAN()
					}
				}
			}
		}
	}
	g := n.gossip
	n.mu.Unlock()
	if ok {
		n.refreshLB()
		if g != nil {
			g.announce()
		}
	}
}

// Reset removes every overlay namespace of this node (swarm leave) and
// any left in Root by an earlier daemon.
func (n *Node) Reset() {
	n.mu.Lock()
	for id, nn := range n.nets {
		nn.remove()
		delete(n.nets, id)
	}
	n.trackVXLAN()
	n.tasks = map[string]localTask{}
	n.remote = map[string]nodeState{}
	n.bump()
	g := n.gossip
	n.gossip = nil
	n.mu.Unlock()
	if g != nil {
		g.stop()
	}
	n.resetIngress()
	if des, err := os.ReadDir(n.cfg.Root); err == nil {
		for _, d := range des {
			deleteNetwork(filepath.Join(n.cfg.Root, d.Name()), 0)
		}
	}
}

// Close stops the gossip; the namespaces stay for the next daemon
// (task containers outlive wharfd).
func (n *Node) Close() {
	n.mu.Lock()
	g := n.gossip
	n.gossip = nil
	n.mu.Unlock()
	if g != nil {
		g.stop()
	}
}

// bump moves this node's state version on, past any an earlier daemon of
// this node announced. Callers hold n.mu.
func (n *Node) bump() {
	n.version = max(n.version+1, uint64(time.Now().UnixNano()))
}

// localState is this node's share of the table. Callers hold n.mu.
func (n *Node) localState() nodeState {
	st := nodeState{Version: n.version}
	for _, lt := range n.tasks {
		for _, ep := range lt.eps {
			nn := n.nets[ep.Net]
			if nn == nil {
				continue
			}
			st.Entries = append(st.Entries, Entry{Net: ep.Net, VNI: nn.spec.VNI, IP: ep.Addr.Addr(), VTEP: n.vtep, Svc: ep.Svc, VIP: ep.VIP, Aliases: ep.Aliases, Ports: ep.Ports})
		}
	}
	sort.Slice(st.Entries, func(i, j int) bool { return st.Entries[i].IP.Less(st.Entries[j].IP) })
	return st
}

// merge takes a node's announced state if it is newer than what is known,
// and programs the difference into the VXLAN devices; changed says
// whether the VIP and mesh rules need a refresh (refreshLB).
func (n *Node) merge(node string, st nodeState) (changed bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if node == n.self {
		return false
	}
	old, ok := n.remote[node]
	if ok && old.Version >= st.Version {
		return false
	}
	n.replace(node, old.Entries, st.Entries)
	n.remote[node] = st
	return true
}

// forget drops a departed node's entries, as merge.
func (n *Node) forget(node string) (changed bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	old, ok := n.remote[node]
	if ok {
		n.replace(node, old.Entries, nil)
		delete(n.remote, node)
	}
	return ok
}

// replace programs the change from old to new entries. Callers hold n.mu.
func (n *Node) replace(node string, old, new []Entry) {
	keep := map[Entry]bool{}
	for _, e := range new {
		keep[e] = true
	}
	for _, e := range old {
		if !keep[e] && !n.claimed(node, e, new) {
			n.program(e, true)
		}
	}
	had := map[Entry]bool{}
	for _, e := range old {
		had[e] = true
	}
	for _, e := range new {
		if !had[e] {
			n.program(e, false)
		}
	}
}

// claimed reports whether e's address on its network belongs to another
// remote endpoint now: in node's new entries, or another node's (a local
// task's needs no entry on the VXLAN device).
// The allocator hands a freed address out again at once, and the node
// that gained it may be heard from before the node that lost it: its
// FDB and neighbour entries (keyed by the address's MAC) must stay.
// Callers hold n.mu.
func (n *Node) claimed(node string, e Entry, new []Entry) bool {
	same := func(o Entry) bool { return o.Net == e.Net && o.IP == e.IP }
	for _, o := range new {
		if same(o) {
			return true
		}
	}
	for id, st := range n.remote {
		if id == node {
			continue
		}
		for _, o := range st.Entries {
			if same(o) {
				return true
			}
		}
	}
	return false
}

// Peers lists the remote entries known, for tests and debugging.
func (n *Node) Peers() []Entry {
	n.mu.Lock()
	defer n.mu.Unlock()
	var out []Entry
	for _, st := range n.remote {
		out = append(out, st.Entries...)
	}
	return out
}
