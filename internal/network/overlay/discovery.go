package overlay

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/wharf/wharf/internal/network/dns"
	"github.com/wharf/wharf/internal/network/netns"
)

// Service discovery on an overlay network, from the peer table: each
// network's namespace runs the embedded resolver on the network's
// gateway address, where a service's name answers its VIP (its tasks'
// addresses in dnsrr mode) and tasks.<service> every task's address.
// A VIP balances in each task's own namespace, as dockerd's IPVS does,
// but with nf_tables (this kernel family has no IPVS): DNAT to the
// service's tasks, round robin.

// entriesOn lists every endpoint on network id, here and elsewhere.
// Callers hold n.mu.
func (n *Node) entriesOn(id string) []Entry {
	var out []Entry
	if nn := n.nets[id]; nn != nil {
		for _, lt := range n.tasks {
			for _, ep := range lt.eps {
				if ep.Net == id {
					out = append(out, Entry{Net: id, VNI: nn.spec.VNI, IP: ep.Addr.Addr(), VTEP: n.vtep, Svc: ep.Svc, VIP: ep.VIP, Aliases: ep.Aliases, Ports: ep.Ports})
				}
			}
		}
	}
	for node, st := range n.remote {
		if node == n.self {
			continue
		}
		for _, e := range st.Entries {
			if e.Net == id {
				out = append(out, e)
			}
		}
	}
	return out
}

// Lookup answers a name on network id: a service's VIP, or its tasks'
// addresses with the tasks. prefix or in dnsrr mode.
func (n *Node) Lookup(id, name string) ([]netip.Addr, bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	svc, tasks := name, false
	if s, ok := strings.CutPrefix(name, "tasks."); ok {
		svc, tasks = s, true
	}
	var ips []netip.Addr
	var vip netip.Addr
	for _, e := range n.entriesOn(id) {
		if e.named(svc) {
			ips = append(ips, e.IP)
			if e.VIP.IsValid() {
				vip = e.VIP
			}
		}
	}
	if len(ips) == 0 {
		return nil, false
	}
	if vip.IsValid() && !tasks {
		return []netip.Addr{vip}, true
	}
	return ips, true
}

// named reports whether the entry's service is called name (its name or
// an alias).
func (e Entry) named(name string) bool {
	if strings.EqualFold(e.Svc, name) {
		return true
	}
	for _, a := range strings.Split(e.Aliases, ",") {
		if a != "" && strings.EqualFold(a, name) {
			return true
		}
	}
	return false
}

// startDNS runs the network's resolver in its namespace, on the gateway.
// Callers hold n.mu.
func (n *Node) startDNS(nn *nodeNet) error {
	id := nn.spec.ID
	ups := hostResolvers()
	return netns.Do(nn.ns, func() error {
		srv, err := dns.Start(context.Background(), nn.spec.Gateway,
			func(_ netip.Addr, name string) ([]netip.Addr, bool) { return n.Lookup(id, name) },
			func(netip.Addr) []string { return ups })
		if err != nil {
			return fmt.Errorf("overlay resolver: %w", err)
		}
		nn.dns = srv
		return nil
	})
}

// hostResolvers are the node's nameservers ("addr:53"); the resolver
// forwards from the daemon's namespace, which reaches them.
func hostResolvers() []string {
	b, err := os.ReadFile("/etc/resolv.conf")
	if err != nil {
		return nil
	}
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) >= 2 && f[0] == "nameserver" {
			if a, err := netip.ParseAddr(f[1]); err == nil {
				out = append(out, netip.AddrPortFrom(a, 53).String())
			}
		}
	}
	return out
}

// lbTable is the nf_tables table of VIP rules in a task's namespace.
const lbTable = "wharf_vip"

// lbState remembers the rules last written into each task's namespace.
type lbState struct {
	mu    sync.Mutex        // held across nft runs, never with Node.mu
	rules map[string]string // by namespace path
}

// refreshLB rewrites the VIP rules of every local task whose services'
// backends changed.
func (n *Node) refreshLB() {
	n.mu.Lock()
	want := map[string]string{}
	for _, lt := range n.tasks {
		if lt.ns != "" { // the ingress sandbox has no container namespace
			want[lt.ns] = n.rulesFor(lt)
		}
	}
	n.mu.Unlock()
	defer n.refreshIngress()
	n.lb.mu.Lock()
	defer n.lb.mu.Unlock()
	if n.lb.rules == nil {
		n.lb.rules = map[string]string{}
	}
	for ns, r := range want {
		if n.lb.rules[ns] == r {
			continue
		}
		if err := applyNft(ns, r); err != nil {
			n.cfg.Log.Warn("overlay: VIP rules", "netns", ns, "err", err)
			continue
		}
		n.lb.rules[ns] = r
	}
	for ns := range n.lb.rules {
		if _, ok := want[ns]; !ok {
			delete(n.lb.rules, ns)
		}
	}
}

// rulesFor is the nft script for a task: one DNAT rule per VIP on its
// networks. The ingress network's VIPs are left out: no name resolves
// to them (ingress has no service discovery, in dockerd neither), and a
// task only on ingress (most published services) then has no nat table,
// so its namespace tracks no connection: every packet of the mesh
// skips a conntrack pass there. A task without VIPs gets the table
// removed. Callers hold n.mu.
func (n *Node) rulesFor(lt localTask) string {
	type svc struct {
		vip      netip.Addr
		backends []netip.Addr
	}
	vips := map[netip.Addr]*svc{}
	for _, ep := range lt.eps {
		if nn := n.nets[ep.Net]; nn != nil && nn.net != nil && nn.net.Spec.Ingress {
			continue
		}
		for _, e := range n.entriesOn(ep.Net) {
			if !e.VIP.IsValid() {
				continue
			}
			s := vips[e.VIP]
			if s == nil {
				s = &svc{vip: e.VIP}
				vips[e.VIP] = s
			}
			s.backends = append(s.backends, e.IP)
		}
	}
	keys := make([]netip.Addr, 0, len(vips))
	for k := range vips {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i].Less(keys[j]) })
	var b strings.Builder
	fmt.Fprintf(&b, "table ip %s\ndelete table ip %s\n", lbTable, lbTable)
	if len(keys) == 0 {
		return b.String()
	}
	fmt.Fprintf(&b, "table ip %s {\n chain out {\n  type nat hook output priority -100; policy accept;\n", lbTable)
	for _, k := range keys {
		s := vips[k]
		sort.Slice(s.backends, func(i, j int) bool { return s.backends[i].Less(s.backends[j]) })
		var m []string
		for i, be := range s.backends {
			m = append(m, strconv.Itoa(i)+" : "+be.String())
		}
		fmt.Fprintf(&b, "  ip daddr %s dnat to numgen inc mod %d map { %s }\n", s.vip, len(s.backends), strings.Join(m, ", "))
	}
	b.WriteString(" }\n}\n")
	return b.String()
}

// applyNft loads script into the network namespace at ns.
func applyNft(ns string, script string) error {
	cmd := exec.Command("nsenter", "--net="+ns, "nft", "-f", "-")
	cmd.Stdin = strings.NewReader(script)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("nft: %v: %s", err, bytes.TrimSpace(out))
	}
	return nil
}
