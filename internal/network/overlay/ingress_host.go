package overlay

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/coreos/go-iptables/iptables"
)

// The node's side of the routing mesh, dockerd's DOCKER-INGRESS chains
// under Wharf's name: in nat, WHARF-INGRESS (reached from PREROUTING and,
// for the node's own connections, OUTPUT, for local destinations) DNATs
// each published port to the ingress sandbox; in filter, WHARF-INGRESS
// (reached first from FORWARD, after the user's WHARF-USER) lets those
// connections through even under a FORWARD policy of DROP; in nat
// POSTROUTING, the node's own connections (127.0.0.1 among them) get the
// veth's address.
const chainIngress = "WHARF-INGRESS"

// chainUser is the user's chain that stays first in FORWARD
// (internal/network/firewall's ChainUser).
const chainUser = "WHARF-USER"

type hostRules struct {
	ipt *iptables.IPTables
}

func newHostRules() (*hostRules, error) {
	ipt, err := iptables.New(iptables.IPFamily(iptables.ProtocolIPv4), iptables.Timeout(5))
	if err != nil {
		return nil, fmt.Errorf("iptables: %w", err)
	}
	return &hostRules{ipt: ipt}, nil
}

type iptRule struct {
	table, chain string
	args         []string
}

// jumps are the rules leading into the mesh's chains, and its masquerade.
func ingressJumps() []iptRule {
	return []iptRule{
		{"nat", "PREROUTING", []string{"-m", "addrtype", "--dst-type", "LOCAL", "-j", chainIngress}},
		{"nat", "OUTPUT", []string{"-m", "addrtype", "--dst-type", "LOCAL", "-j", chainIngress}},
		{"nat", "POSTROUTING", []string{"-o", ingressHostIf, "-m", "addrtype", "--src-type", "LOCAL", "-j", "MASQUERADE"}},
		{"filter", "FORWARD", []string{"-j", chainIngress}},
	}
}

// forwardRules let DNATed connections into the sandbox and their
// replies out; nothing else crosses the veth.
func forwardRules() [][]string {
	return [][]string{
		{"-o", ingressHostIf, "-m", "conntrack", "--ctstate", "DNAT", "-j", "ACCEPT"},
		{"-i", ingressHostIf, "-m", "conntrack", "--ctstate", "RELATED,ESTABLISHED", "-j", "ACCEPT"},
	}
}

// setup makes the chains and the jumps into them; it is idempotent. The
// DNAT rules an earlier daemon left are removed: the peer table decides
// which ports are published now.
func (h *hostRules) setup() error {
	for _, t := range []string{"nat", "filter"} {
		// ClearChain makes the chain, or empties it.
		if err := h.ipt.ClearChain(t, chainIngress); err != nil {
			return err
		}
	}
	for _, r := range forwardRules() {
		if err := h.ipt.AppendUnique("filter", chainIngress, r...); err != nil {
			return err
		}
	}
	for _, r := range ingressJumps() {
		ok, err := h.ipt.Exists(r.table, r.chain, r.args...)
		if err != nil {
			return err
		}
		if ok {
			continue
		}
		if err := h.ipt.Insert(r.table, r.chain, 1, r.args...); err != nil {
			return fmt.Errorf("iptables -t %s -I %s %s: %w", r.table, r.chain, strings.Join(r.args, " "), err)
		}
		if r.chain == "FORWARD" {
			// The user's chain stays first, as dockerd keeps DOCKER-USER.
			if ok, _ := h.ipt.Exists("filter", "FORWARD", "-j", chainUser); ok {
				h.ipt.Delete("filter", "FORWARD", "-j", chainUser)
				h.ipt.Insert("filter", "FORWARD", 1, "-j", chainUser)
			}
		}
	}
	return nil
}

func dnatRule(k portKey) []string {
	p := strconv.FormatUint(uint64(k.port), 10)
	return []string{"-p", k.proto, "-m", k.proto, "--dport", p, "-j", "DNAT", "--to-destination", ingressSboxAddr.Addr().String() + ":" + p}
}

// publish DNATs port k to the sandbox.
func (h *hostRules) publish(k portKey) error {
	return h.ipt.AppendUnique("nat", chainIngress, dnatRule(k)...)
}

// unpublish removes port k's DNAT.
func (h *hostRules) unpublish(k portKey) {
	h.ipt.DeleteIfExists("nat", chainIngress, dnatRule(k)...)
}

// teardown removes the jumps and the chains.
func (h *hostRules) teardown() {
	for _, r := range ingressJumps() {
		h.ipt.DeleteIfExists(r.table, r.chain, r.args...)
	}
	for _, t := range []string{"nat", "filter"} {
		if ok, err := h.ipt.ChainExists(t, chainIngress); err == nil && ok {
			h.ipt.ClearAndDeleteChain(t, chainIngress)
		}
	}
}
