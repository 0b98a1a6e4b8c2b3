// Package firewall generates the iptables rules that give wharf's bridges
// outbound NAT, forwarding and published ports, and applies them.
//
// Everything lives in wharf's own chains, reached from one jump each in
// the built-in chains: nat WHARF (DNAT of published ports, from PREROUTING
// and OUTPUT for local destinations, so 127.0.0.1:port works),
// nat WHARF-POSTROUTING (masquerade), filter WHARF-FORWARD (inserted first
// in FORWARD, so a FORWARD policy of DROP set by dockerd does not stop our
// traffic). An IPv6 network's rules go in the same chains of ip6tables,
// made with its first rule.
package firewall

import (
	"net/netip"
	"strconv"
)

// Chain names.
const (
	ChainNAT     = "WHARF"
	ChainPost    = "WHARF-POSTROUTING"
	ChainForward = "WHARF-FORWARD"
	// ChainUser is the user's, as docker's DOCKER-USER: wharf makes it
	// and jumps to it first from FORWARD, and never changes what is in it.
	ChainUser = "WHARF-USER"
)

// Rule is one iptables rule: table, chain and match/target arguments,
// the options in the order iptables-save prints them (-s -d -i -o -p,
// then matches, then the target), so that a rule is found in its output
// as written (Add).
type Rule struct {
	Table string
	Chain string
	Args  []string
	// Insert puts the rule first in its chain instead of last.
	Insert bool
	// IPv6 makes it an ip6tables rule (an IPv6 network's; wharf's chains
	// are made in ip6tables the first time one is added).
	IPv6 bool
}

// Chains are wharf's own chains, by table.
func Chains() []Rule {
	return []Rule{{Table: "nat", Chain: ChainNAT}, {Table: "nat", Chain: ChainPost}, {Table: "filter", Chain: ChainForward}}
}

// Jumps are the rules that lead from the built-in chains into ours.
func Jumps() []Rule {
	return []Rule{
		{Table: "nat", Chain: "PREROUTING", Args: []string{"-m", "addrtype", "--dst-type", "LOCAL", "-j", ChainNAT}},
		{Table: "nat", Chain: "OUTPUT", Args: []string{"-m", "addrtype", "--dst-type", "LOCAL", "-j", ChainNAT}},
		{Table: "nat", Chain: "POSTROUTING", Args: []string{"-j", ChainPost}},
		{Table: "filter", Chain: "FORWARD", Args: []string{"-j", ChainForward}, Insert: true},
	}
}

// Bridge describes one bridge network for rule generation.
type Bridge struct {
	Name       string       // host interface, e.g. wharf0
	Subnet     netip.Prefix // its IPv4 subnet
	Subnet6    netip.Prefix // its IPv6 subnet, on an IPv6 network (--ipv6)
	Internal   bool         // no traffic in or out of the bridge
	Masquerade bool         // NAT outbound traffic to the host's address
	NoICC      bool         // containers on the bridge cannot reach each other (enable_icc=false)
	// Family is a wildcard matching every wharf bridge ("wharf+"), so
	// traffic between two wharf networks can be refused.
	Family string
}

// BridgeRules are the rules one bridge needs while it exists.
func BridgeRules(b Bridge) []Rule {
	return append(bridgeRules4(b), bridgeRules6(b)...)
}

func bridgeRules4(b Bridge) []Rule {
	f := func(args ...string) Rule { return Rule{Table: "filter", Chain: ChainForward, Args: args} }
	icc := "ACCEPT"
	if b.NoICC {
		icc = "DROP"
	}
	rules := []Rule{f("-i", b.Name, "-o", b.Name, "-j", icc)}
	if b.Internal {
		return append(rules,
			f("-i", b.Name, "!", "-o", b.Name, "-j", "DROP"),
			f("!", "-i", b.Name, "-o", b.Name, "-j", "DROP"))
	}
	if b.Family != "" {
		// No traffic between two wharf networks, as between docker's.
		rules = append(rules, f("-i", b.Name, "-o", b.Family, "-j", "DROP"))
	}
	rules = append(rules,
		f("-i", b.Name, "-j", "ACCEPT"),
		f("-o", b.Name, "-m", "conntrack", "--ctstate", "RELATED,ESTABLISHED", "-j", "ACCEPT"),
		f("-o", b.Name, "-m", "conntrack", "--ctstate", "DNAT", "-j", "ACCEPT"),
		// Connections from the host's loopback DNATed to a container
		// leave with a 127.0.0.1 source: give them the bridge's address.
		Rule{Table: "nat", Chain: ChainPost, Args: []string{"-o", b.Name, "-m", "addrtype", "--src-type", "LOCAL", "-j", "MASQUERADE"}},
	)
	if b.Masquerade {
		rules = append(rules, Rule{Table: "nat", Chain: ChainPost, Args: []string{"-s", b.Subnet.Masked().String(), "!", "-o", b.Name, "-j", "MASQUERADE"}})
	}
	return rules
}

// bridgeRules6 are an IPv6 network's rules in ip6tables, as dockerd's
// with ip6tables on (the default since engine 27): the same forwarding,
// isolation and masquerade as for IPv4. Docker's loopback rule has no
// IPv6 counterpart (the kernel has no route_localnet for IPv6).
func bridgeRules6(b Bridge) []Rule {
	if !b.Subnet6.IsValid() {
		return nil
	}
	var out []Rule
	for _, r := range bridgeRules4(b) {
		if r.Table == "filter" {
			r.IPv6 = true
			out = append(out, r)
		}
	}
	if b.Masquerade && !b.Internal {
		out = append(out, Rule{Table: "nat", Chain: ChainPost, IPv6: true, Args: []string{"-s", b.Subnet6.Masked().String(), "!", "-o", b.Name, "-j", "MASQUERADE"}})
	}
	return out
}

// Port is one published port.
type Port struct {
	Proto         string     // tcp or udp
	HostIP        netip.Addr // unspecified means every address
	HostPort      int
	ContainerIP   netip.Addr
	ContainerPort int
}

// PortRules DNAT the host port to the container and let a container reach
// its own published port through the host (hairpin).
func PortRules(p Port) []Rule {
	dnat := []string{}
	if p.HostIP.IsValid() && !p.HostIP.IsUnspecified() {
		dnat = append(dnat, "-d", p.HostIP.String()+"/32")
	}
	dnat = append(dnat, "-p", p.Proto, "-m", p.Proto, "--dport", strconv.Itoa(p.HostPort),
		"-j", "DNAT", "--to-destination", p.ContainerIP.String()+":"+strconv.Itoa(p.ContainerPort))
	return []Rule{
		{Table: "nat", Chain: ChainNAT, Args: dnat},
		{Table: "nat", Chain: ChainPost, Args: []string{"-s", p.ContainerIP.String() + "/32", "-d", p.ContainerIP.String() + "/32",
			"-p", p.Proto, "-m", p.Proto, "--dport", strconv.Itoa(p.ContainerPort), "-j", "MASQUERADE"}},
	}
}
