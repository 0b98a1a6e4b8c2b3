// Package bridge sets up Linux bridges and the veth pairs that connect
// container network namespaces to them, through netlink.
package bridge

import (
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strings"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// Ensure creates the bridge name with address gw in subnet if it does not
// exist, and brings it up. An existing bridge gets the address added.
func Ensure(name string, gw netip.Addr, subnet netip.Prefix) error {
	link, err := netlink.LinkByName(name)
	if err != nil {
		var nf netlink.LinkNotFoundError
		if !errors.As(err, &nf) {
			return err
		}
		br := &netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: name}}
		if err := netlink.LinkAdd(br); err != nil && !errors.Is(err, unix.EEXIST) {
			return fmt.Errorf("creating bridge %s: %w", name, err)
		}
		if link, err = netlink.LinkByName(name); err != nil {
			return err
		}
	}
	if _, ok := link.(*netlink.Bridge); !ok {
		return fmt.Errorf("%s exists and is not a bridge", name)
	}
	// A bridge without a MAC of its own takes its ports' lowest one, so
	// its address (the containers' gateway) would change as containers
	// come and go, leaving their ARP caches wrong for seconds.
	if t, err := os.ReadFile("/sys/class/net/" + name + "/addr_assign_type"); err != nil || strings.TrimSpace(string(t)) != "3" {
		if err := netlink.LinkSetHardwareAddr(link, randomMAC()); err != nil {
			return fmt.Errorf("setting the MAC address of %s: %w", name, err)
		}
	}
	addr := &netlink.Addr{IPNet: ipNet(netip.PrefixFrom(gw, subnet.Bits()))}
	if err := netlink.AddrAdd(link, addr); err != nil && !errors.Is(err, unix.EEXIST) {
		return fmt.Errorf("address %s on %s: %w", addr.IPNet, name, err)
	}
	if err := netlink.LinkSetUp(link); err != nil {
		return err
	}
	// Loopback-sourced packets DNATed to a container may leave through
	// the bridge (then get masqueraded): -p on 127.0.0.1.
	return sysctl("net/ipv4/conf/"+name+"/route_localnet", "1")
}

// EnsureAddr6 gives the bridge name its IPv6 gateway address in subnet
// (without duplicate address detection, so containers reach it at once).
func EnsureAddr6(name string, gw netip.Addr, subnet netip.Prefix) error {
	if err := sysctl("net/ipv6/conf/"+name+"/disable_ipv6", "0"); err != nil {
		return err
	}
	link, err := netlink.LinkByName(name)
	if err != nil {
		return err
	}
	addr := &netlink.Addr{IPNet: ipNet(netip.PrefixFrom(gw, subnet.Bits())), Flags: unix.IFA_F_NODAD}
	if err := netlink.AddrAdd(link, addr); err != nil && !errors.Is(err, unix.EEXIST) {
		return fmt.Errorf("address %s on %s: %w", addr.IPNet, name, err)
	}
	return nil
}

// Delete removes the link (a bridge, a veth); a missing one is fine.
func Delete(name string) error {
	link, err := netlink.LinkByName(name)
	if err != nil {
		return nil
	}
	return netlink.LinkDel(link)
}

// Exists reports whether a link called name exists.
func Exists(name string) bool {
	_, err := netlink.LinkByName(name)
	return err == nil
}

// Endpoint is one container interface to create.
type Endpoint struct {
	Bridge   string
	HostVeth string       // host-side name, at most 15 bytes
	IfName   string       // name inside the namespace, e.g. eth0
	NetNS    string       // path of the container's namespace
	Addr     netip.Prefix // address with the subnet's length
	Gateway  netip.Addr   // default route, unless invalid
	Addr6    netip.Prefix // IPv6 address, on an IPv6 network
	Gateway6 netip.Addr   // IPv6 default route, unless invalid
	MAC      net.HardwareAddr
	MTU      int
}

// AddEndpoint creates a veth pair, plugs one end into the bridge and
// configures the other inside the namespace. It returns the MAC address.
func AddEndpoint(ep Endpoint) (net.HardwareAddr, error) {
	macs, err := AddEndpoints(ep.NetNS, []Endpoint{ep}, false)
	if err != nil {
		return nil, err
	}
	return macs[0], nil
}

// AddEndpoints gives the namespace at nsPath its interfaces, one veth
// pair per endpoint (all in that namespace), and brings its loopback up
// if loopback is set. It returns each endpoint's MAC address. On error
// the veths made are deleted.
//
// It is on the path of every container start, so it asks the kernel as
// little as it can, over one netlink socket on each side: the peer is
// made in the namespace under its final name, with its address, MTU and
// MAC, and the host end is made up.
func AddEndpoints(nsPath string, eps []Endpoint, loopback bool) ([]net.HardwareAddr, error) {
	ns, err := netns.GetFromPath(nsPath)
	if err != nil {
		return nil, err
	}
	defer ns.Close()
	host, err := netlink.NewHandle(unix.NETLINK_ROUTE)
	if err != nil {
		return nil, err
	}
	defer host.Close()
	in, err := netlink.NewHandleAt(ns, unix.NETLINK_ROUTE)
	if err != nil {
		return nil, err
	}
	defer in.Close()
	if loopback {
		// A new namespace's loopback is always its first interface.
		if err := in.LinkSetUp(&netlink.Device{LinkAttrs: netlink.LinkAttrs{Name: "lo", Index: 1}}); err != nil {
			return nil, fmt.Errorf("loopback up: %w", err)
		}
	}
	var made []string
	fail := func(err error) ([]net.HardwareAddr, error) {
		for _, name := range made {
			if l, lerr := host.LinkByName(name); lerr == nil {
				host.LinkDel(l)
			}
		}
		return nil, err
	}
	macs := make([]net.HardwareAddr, 0, len(eps))
	for _, ep := range eps {
		mac, err := addEndpoint(host, in, ns, ep)
		if err != nil {
			return fail(err)
		}
		made = append(made, ep.HostVeth)
		macs = append(macs, mac)
	}
	return macs, nil
}

// addEndpoint makes one endpoint through the host's handle and the
// namespace's (in, on ns).
func addEndpoint(host, in *netlink.Handle, ns netns.NsHandle, ep Endpoint) (net.HardwareAddr, error) {
	br, err := host.LinkByName(ep.Bridge)
	if err != nil {
		return nil, fmt.Errorf("bridge %s: %w", ep.Bridge, err)
	}
	veth := &netlink.Veth{
		LinkAttrs:        netlink.LinkAttrs{Name: ep.HostVeth, MasterIndex: br.Attrs().Index, MTU: ep.MTU, Flags: net.FlagUp},
		PeerName:         ep.IfName,
		PeerNamespace:    netlink.NsFd(int(ns)),
		PeerHardwareAddr: ep.MAC,
	}
	err = host.LinkAdd(veth)
	if errors.Is(err, unix.EEXIST) {
		// Left by an earlier run whose namespace is still going away.
		if old, lerr := host.LinkByName(ep.HostVeth); lerr == nil {
			host.LinkDel(old)
		}
		veth.Index = 0
		err = host.LinkAdd(veth)
	}
	if err != nil {
		return nil, fmt.Errorf("creating veth %s: %w", ep.HostVeth, err)
	}
	fail := func(err error) (net.HardwareAddr, error) {
		host.LinkDel(veth)
		return nil, err
	}
	if err := host.LinkSetHairpin(veth, true); err != nil {
		return fail(err)
	}
	peer, err := in.LinkByName(ep.IfName)
	if err != nil {
		return fail(err)
	}
	if err := in.AddrAdd(peer, &netlink.Addr{IPNet: ipNet(ep.Addr)}); err != nil {
		return fail(err)
	}
	if ep.Addr6.IsValid() {
		if err := in.AddrAdd(peer, &netlink.Addr{IPNet: ipNet(ep.Addr6), Flags: unix.IFA_F_NODAD}); err != nil {
			return fail(fmt.Errorf("address %s: %w", ep.Addr6, err))
		}
	}
	if err := in.LinkSetUp(peer); err != nil {
		return fail(err)
	}
	if ep.Gateway.IsValid() {
		gw := net.IP(ep.Gateway.AsSlice())
		if err := in.RouteAdd(&netlink.Route{LinkIndex: peer.Attrs().Index, Gw: gw}); err != nil && !errors.Is(err, unix.EEXIST) {
			return fail(fmt.Errorf("default route via %s: %w", gw, err))
		}
	}
	if ep.Gateway6.IsValid() {
		gw := net.IP(ep.Gateway6.AsSlice())
		if err := in.RouteAdd(&netlink.Route{LinkIndex: peer.Attrs().Index, Gw: gw}); err != nil && !errors.Is(err, unix.EEXIST) {
			return fail(fmt.Errorf("IPv6 default route via %s: %w", gw, err))
		}
	}
	return peer.Attrs().HardwareAddr, nil
}

// handleIn opens a netlink handle inside the namespace at nsPath; the
// caller closes it.
func handleIn(nsPath string) (*netlink.Handle, error) {
	ns, err := netns.GetFromPath(nsPath)
	if err != nil {
		return nil, err
	}
	defer ns.Close()
	return netlink.NewHandleAt(ns)
}

// RemoveInterface deletes the interface name inside the namespace at nsPath.
func RemoveInterface(nsPath, name string) error {
	h, err := handleIn(nsPath)
	if err != nil {
		return err
	}
	defer h.Close()
	link, err := h.LinkByName(name)
	if err != nil {
		return nil
	}
	return h.LinkDel(link)
}

// LoopbackUp brings lo up in the namespace at nsPath.
func LoopbackUp(nsPath string) error {
	h, err := handleIn(nsPath)
	if err != nil {
		return err
	}
	defer h.Close()
	lo, err := h.LinkByName("lo")
	if err != nil {
		return err
	}
	return h.LinkSetUp(lo)
}

// Routes returns the IPv4 destinations routed on the host, to keep new
// subnets clear of them.
func Routes() []netip.Prefix {
	return RoutesExcept("")
}

// RoutesExcept is Routes without those through the link called skip.
func RoutesExcept(skip string) []netip.Prefix {
	skipIndex := -1
	if link, err := netlink.LinkByName(skip); skip != "" && err == nil {
		skipIndex = link.Attrs().Index
	}
	routes, err := netlink.RouteList(nil, netlink.FAMILY_V4)
	if err != nil {
		return nil
	}
	var out []netip.Prefix
	for _, r := range routes {
		if r.Dst == nil || r.LinkIndex == skipIndex {
			continue
		}
		a, ok := netip.AddrFromSlice(r.Dst.IP.To4())
		if !ok {
			continue
		}
		ones, _ := r.Dst.Mask.Size()
		if ones == 0 {
			continue
		}
		out = append(out, netip.PrefixFrom(a, ones).Masked())
	}
	return out
}

// EnableForwarding turns on IPv4 forwarding; it reports whether it was off.
func EnableForwarding() (bool, error) {
	data, err := os.ReadFile("/proc/sys/net/ipv4/ip_forward")
	if err != nil {
		return false, err
	}
	if len(data) > 0 && data[0] == '1' {
		return false, nil
	}
	return true, sysctl("net/ipv4/ip_forward", "1")
}

// EnableForwarding6 turns on IPv6 forwarding (for an IPv6 network); it
// reports whether it was off.
func EnableForwarding6() (bool, error) {
	data, err := os.ReadFile("/proc/sys/net/ipv6/conf/all/forwarding")
	if err != nil {
		return false, err
	}
	if len(data) > 0 && data[0] == '1' {
		return false, nil
	}
	return true, sysctl("net/ipv6/conf/all/forwarding", "1")
}

// randomMAC is a random locally administered unicast address.
func randomMAC() net.HardwareAddr {
	mac := make(net.HardwareAddr, 6)
	rand.Read(mac)
	mac[0] = mac[0]&0xfe | 0x02
	return mac
}

func sysctl(key, value string) error {
	return os.WriteFile("/proc/sys/"+key, []byte(value), 0o644)
}

func ipNet(p netip.Prefix) *net.IPNet {
	return &net.IPNet{IP: net.IP(p.Addr().AsSlice()), Mask: net.CIDRMask(p.Bits(), p.Addr().BitLen())}
}
