package overlay

import (
	"context"
	"fmt"
	"net/netip"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/moby/swarmkit/v2/api"
)

// The routing mesh, built as dockerd builds it. Every node of the swarm
// has an address on the ingress overlay network (its node attachment,
// from the managers' allocator) and an "ingress sandbox": a network
// namespace holding that address on the ingress network and a veth to
// the node (ingress_sandbox.go). A port published through the mesh is
// DNATed on the node to the sandbox (ingress_host.go); in the sandbox
// nf_tables spreads new connections over the service's tasks' ingress
// addresses, round robin, and SNATs them to the sandbox's own ingress
// address, so replies come back through the same sandbox and node
// whatever node the task runs on. Every node learns the published ports
// and the tasks behind them from the peer table: a task's entry on the
// ingress network carries its service's published ports.

// ingressKey stands for the sandbox among the node's endpoints (n.tasks)
// and a network's users: its address is announced like a task's, so
// tasks on other nodes reach it.
const ingressKey = "ingress-sbox"

// ingressSandboxName is the sandbox namespace's file under NodeConfig.Root.
const ingressSandboxName = "ingress_sbox"

// sandboxTable is the nf_tables table in the sandbox.
const sandboxTable = "wharf_ingress"

// ingress is the node's sandbox as set up; zero when there is none.
// Guarded by Node.mu.
type ingress struct {
	netID  string
	addr   netip.Prefix // the node's address on the ingress network
	subnet netip.Prefix
}

// ingressRules are the rules last written for the mesh: the sandbox's
// nf_tables script and the node's DNAT rules.
//
// Lock order: mu is taken before Node.mu (refreshIngress reads the
// table under it) and held across nft and iptables runs.
type ingressRules struct {
	mu    sync.Mutex
	nft   string
	host  *hostRules
	ready bool // the node's chains and jumps are made
	ports map[portKey]bool
}

// portKey is one port published through the mesh.
type portKey struct {
	proto string // tcp, udp or sctp
	port  uint32
}

func (n *Node) sandboxPath() string { return filepath.Join(n.cfg.Root, ingressSandboxName) }

// SetupIngress gives this node its ingress sandbox on network nw (the
// ingress network), at addr (the node's attachment address, CIDR form).
// Called whenever the managers send the node object; a sandbox already
// there (a restarted daemon) is kept.
func (n *Node) SetupIngress(ctx context.Context, nw *api.Network, addr string) error {
	spec, ok, err := specOf(nw)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("ingress network %s has no overlay allocation yet", nw.ID)
	}
	pfx, err := netip.ParsePrefix(addr)
	if err != nil {
		return fmt.Errorf("ingress address %q: %w", addr, err)
	}
	n.mu.Lock()
	cur := n.ingress
	n.mu.Unlock()
	if cur.netID == spec.ID && cur.addr == pfx {
		n.refreshIngress()
		return nil
	}
	if cur.netID != "" {
		n.ReleaseIngress()
	}
	n.mu.Lock()
	nn, err := n.ensure(nw)
	if err != nil {
		n.mu.Unlock()
		return err
	}
	if err := ensureSandbox(n.sandboxPath(), nn.ns, pfx); err != nil {
		if len(nn.users) == 0 {
			nn.remove()
			delete(n.nets, spec.ID)
			if len(n.nets) == 0 {
				n.trackVXLAN()
			}
		}
		n.mu.Unlock()
		return fmt.Errorf("ingress sandbox: %w", err)
	}
	nn.users[ingressKey] = true
	n.tasks[ingressKey] = localTask{eps: []localEP{{Net: spec.ID, Addr: pfx}}}
	n.ingress = ingress{netID: spec.ID, addr: pfx, subnet: spec.Subnet}
	n.bump()
	g := n.gossip
	n.mu.Unlock()
	n.refreshLB()
	if g != nil {
		g.announce()
	}
	return nil
}

// ReleaseIngress removes the sandbox and the node's mesh rules (the
// ingress network was removed). A node without a sandbox changes
// nothing.
func (n *Node) ReleaseIngress() {
	n.ing.mu.Lock()
	n.mu.Lock()
	had := n.ingress.netID != ""
	n.ingress = ingress{}
	n.mu.Unlock()
	if had {
		n.dropHostRules()
	}
	n.ing.mu.Unlock()
	if had {
		// Leave refreshes the rules, which see no sandbox now.
		n.Leave(ingressKey)
		deleteSandbox(n.sandboxPath())
	}
}

// resetIngress forgets the sandbox and removes the node's mesh rules;
// Reset removes the namespaces.
func (n *Node) resetIngress() {
	n.ing.mu.Lock()
	defer n.ing.mu.Unlock()
	n.mu.Lock()
	n.ingress = ingress{}
	n.mu.Unlock()
	n.dropHostRules()
	deleteSandbox(n.sandboxPath())
}

// dropHostRules removes the node's mesh rules. Callers hold n.ing.mu.
func (n *Node) dropHostRules() {
	if h := n.hostRules(); h != nil {
		h.teardown()
	}
	n.ing.nft, n.ing.ports, n.ing.ready = "", nil, false
}

// refreshIngress rewrites the sandbox's balancing rules and the node's
// DNAT rules from the peer table, where they changed.
func (n *Node) refreshIngress() {
	n.ing.mu.Lock()
	defer n.ing.mu.Unlock()
	n.mu.Lock()
	ing := n.ingress
	var entries []Entry
	if ing.netID != "" {
		entries = n.entriesOn(ing.netID)
	}
	n.mu.Unlock()
	if ing.netID == "" {
		return
	}
	backends := meshBackends(entries)
	script := sandboxScript(ing.subnet, backends)
	if script != n.ing.nft {
		if err := nftAt(n.sandboxPath(), script); err != nil {
			n.cfg.Log.Warn("routing mesh: sandbox rules", "err", err)
			return
		}
		n.ing.nft = script
	}
	h := n.hostRules()
	if h == nil {
		return
	}
	want := map[portKey]bool{}
	for k := range backends {
		want[k.portKey] = true
	}
	if !n.ing.ready {
		if err := h.setup(); err != nil {
			n.cfg.Log.Warn("routing mesh: node rules", "err", err)
			return
		}
		n.ing.ready = true
	}
	for k := range n.ing.ports {
		if !want[k] {
			h.unpublish(k)
			delete(n.ing.ports, k)
		}
	}
	if n.ing.ports == nil {
		n.ing.ports = map[portKey]bool{}
	}
	for k := range want {
		if n.ing.ports[k] {
			continue
		}
		if err := h.publish(k); err != nil {
			n.cfg.Log.Warn("routing mesh: publishing", "port", k.port, "proto", k.proto, "err", err)
			continue
		}
		n.ing.ports[k] = true
	}
}

// hostRules is the node's iptables for the mesh, nil when the daemon
// manages no iptables rules ("iptables": false; dockerd's mesh is dead
// then too). Callers hold n.ing.mu.
func (n *Node) hostRules() *hostRules {
	if n.cfg.NoIPTables {
		return nil
	}
	if n.ing.host == nil {
		h, err := newHostRules()
		if err != nil {
			n.cfg.Log.Warn("routing mesh: no iptables", "err", err)
			return nil
		}
		n.ing.host = h
	}
	return n.ing.host
}

// ingressPorts is t's service's ports published through the mesh, in
// Entry.Ports' form.
func ingressPorts(t *api.Task) string {
	if t.Endpoint == nil {
		return ""
	}
	var out []string
	for _, p := range t.Endpoint.Ports {
		if p.PublishMode != api.PublishModeIngress || p.PublishedPort == 0 {
			continue
		}
		out = append(out, protoName(p.Protocol)+":"+strconv.FormatUint(uint64(p.PublishedPort), 10)+":"+strconv.FormatUint(uint64(p.TargetPort), 10))
	}
	sort.Strings(out)
	return strings.Join(out, ",")
}

func protoName(p api.PortConfig_Protocol) string {
	switch p {
	case api.ProtocolUDP:
		return "udp"
	case api.ProtocolSCTP:
		return "sctp"
	}
	return "tcp"
}

// meshKey is one published port and the port its tasks listen on.
type meshKey struct {
	portKey
	target uint32
}

// meshBackends groups the entries' published ports: for each, the task
// addresses behind it, sorted. Entries that do not parse are skipped
// (they come from other nodes).
func meshBackends(entries []Entry) map[meshKey][]netip.Addr {
	out := map[meshKey][]netip.Addr{}
	for _, e := range entries {
		for _, p := range strings.Split(e.Ports, ",") {
			k, ok := parseMeshPort(p)
			if ok {
				out[k] = append(out[k], e.IP)
			}
		}
	}
	for k, ips := range out {
		sort.Slice(ips, func(i, j int) bool { return ips[i].Less(ips[j]) })
		out[k] = ips
	}
	return out
}

// parseMeshPort reads "proto:published:target".
func parseMeshPort(s string) (meshKey, bool) {
	f := strings.Split(s, ":")
	if len(f) != 3 || (f[0] != "tcp" && f[0] != "udp" && f[0] != "sctp") {
		return meshKey{}, false
	}
	pub, err1 := strconv.ParseUint(f[1], 10, 16)
	tgt, err2 := strconv.ParseUint(f[2], 10, 16)
	if err1 != nil || err2 != nil || pub == 0 || tgt == 0 {
		return meshKey{}, false
	}
	return meshKey{portKey{f[0], uint32(pub)}, uint32(tgt)}, true
}

// sandboxScript is the sandbox's nf_tables table: each published port
// DNATed round robin to the tasks behind it, connections to tasks SNATed
// to the sandbox's ingress address, and nothing else forwarded (the
// sandbox is no router for the tasks).
func sandboxScript(subnet netip.Prefix, backends map[meshKey][]netip.Addr) string {
	keys := make([]meshKey, 0, len(backends))
	for k := range backends {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].port != keys[j].port {
			return keys[i].port < keys[j].port
		}
		if keys[i].proto != keys[j].proto {
			return keys[i].proto < keys[j].proto
		}
		return keys[i].target < keys[j].target
	})
	var b strings.Builder
	fmt.Fprintf(&b, "table ip %s\ndelete table ip %s\ntable ip %s {\n", sandboxTable, sandboxTable, sandboxTable)
	b.WriteString(" chain mesh_pre {\n  type nat hook prerouting priority -100; policy accept;\n")
	// An update that changes a target port leaves old and new tasks
	// behind one published port for a while: the map carries each
	// backend's port.
	byPort := map[portKey][]string{}
	var order []portKey
	for _, k := range keys {
		if _, ok := byPort[k.portKey]; !ok {
			order = append(order, k.portKey)
		}
		for _, ip := range backends[k] {
			byPort[k.portKey] = append(byPort[k.portKey], ip.String()+" . "+strconv.FormatUint(uint64(k.target), 10))
		}
	}
	for _, p := range order {
		m := byPort[p]
		items := make([]string, len(m))
		for i, be := range m {
			items[i] = strconv.Itoa(i) + " : " + be
		}
		fmt.Fprintf(&b, "  %s dport %d dnat to numgen inc mod %d map { %s }\n", p.proto, p.port, len(m), strings.Join(items, ", "))
	}
	b.WriteString(" }\n chain mesh_post {\n  type nat hook postrouting priority 100; policy accept;\n")
	fmt.Fprintf(&b, "  ip daddr %s ct status dnat masquerade\n", subnet.Masked())
	b.WriteString(" }\n chain mesh_fwd {\n  type filter hook forward priority 0; policy drop;\n  ct status dnat accept\n  ct state established,related accept\n }\n}\n")
	return b.String()
}
