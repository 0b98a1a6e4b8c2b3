//go:build integration

package integration

import (
	"os"
	"os/exec"
	"strings"

	"github.com/vishvananda/netlink"

	"github.com/wharf/wharf/internal/network/firewall"
)

// hostNet is the host's network state the suite's wharfd may change:
// forwarding, the FORWARD policy, the default bridge and wharf's chains.
type hostNet struct {
	ipForward     string
	forwardPolicy string
	hadBridge     bool
	// IPv6 forwarding and ip6tables' FORWARD policy, which an IPv6
	// network changes (as dockerd with ip6tables on).
	ip6Forward     string
	forwardPolicy6 string
}

const defaultBridge = "wharf0"

func saveHostNet() hostNet {
	var h hostNet
	if data, err := os.ReadFile("/proc/sys/net/ipv4/ip_forward"); err == nil {
		h.ipForward = strings.TrimSpace(string(data))
	}
	if fw, err := firewall.NewIPTables(); err == nil {
		h.forwardPolicy, _ = fw.ForwardPolicy()
	}
	if data, err := os.ReadFile("/proc/sys/net/ipv6/conf/all/forwarding"); err == nil {
		h.ip6Forward = strings.TrimSpace(string(data))
	}
	if out, err := exec.Command("ip6tables", "-S", "FORWARD").Output(); err == nil {
		if f := strings.Fields(strings.SplitN(string(out), "\n", 2)[0]); len(f) == 3 && f[0] == "-P" {
			h.forwardPolicy6 = f[2]
		}
	}
	_, err := netlink.LinkByName(defaultBridge)
	h.hadBridge = err == nil
	return h
}

// restore puts the host back as it was before the suite, unless another
// wharfd (a developer's) still runs and needs the bridge and chains.
func (h hostNet) restore() []string {
	if out, _ := exec.Command("pgrep", "-x", "wharfd").Output(); len(strings.TrimSpace(string(out))) > 0 {
		return nil
	}
	var problems []string
	if !h.hadBridge {
		if link, err := netlink.LinkByName(defaultBridge); err == nil {
			if err := netlink.LinkDel(link); err != nil {
				problems = append(problems, "deleting "+defaultBridge+": "+err.Error())
			}
		}
		if fw, err := firewall.NewIPTables(); err == nil {
			if err := fw.Purge(); err != nil {
				problems = append(problems, "removing wharf's iptables chains: "+err.Error())
			}
			if h.forwardPolicy != "" {
				fw.SetForwardPolicy(h.forwardPolicy)
			}
		}
	}
	if h.ipForward != "" {
		os.WriteFile("/proc/sys/net/ipv4/ip_forward", []byte(h.ipForward), 0o644)
	}
	if h.ip6Forward != "" {
		os.WriteFile("/proc/sys/net/ipv6/conf/all/forwarding", []byte(h.ip6Forward), 0o644)
	}
	if h.forwardPolicy6 != "" {
		exec.Command("ip6tables", "-P", "FORWARD", h.forwardPolicy6).Run()
	}
	// Bridges of networks the tests created must all be gone.
	links, _ := netlink.LinkList()
	for _, l := range links {
		name := l.Attrs().Name
		if (strings.HasPrefix(name, "wharf") && name != defaultBridge) || strings.HasPrefix(name, "veth") {
			problems = append(problems, "link left: "+name)
		}
	}
	return problems
}
