package overlay

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strconv"

	"github.com/vishvananda/netlink"
	vnetns "github.com/vishvananda/netns"
	"golang.org/x/sys/unix"

	"github.com/wharf/wharf/internal/network/netns"
)

// The data plane of one overlay network on one node, built as dockerd
// builds it: a network namespace of its own holding a bridge (br0, with
// the network's gateway address) and a VXLAN device enslaved to it. The
// VXLAN device is created in the node's namespace and then moved, so its
// UDP socket (port 4789) stays on the node's address. Learning is off:
// remote endpoints are static FDB and neighbour entries from the peer
// table, and the device answers ARP for them itself (proxy).

// MTU of an overlay interface: 1500 less VXLAN's 50 bytes.
const MTU = 1450

// VXLANPort is VXLAN's IANA port, swarm's default data path port.
const VXLANPort = 4789

const bridgeName = "br0"

// netSpec is what a node needs to know of an overlay network.
type netSpec struct {
	ID      string
	VNI     uint32
	Subnet  netip.Prefix
	Gateway netip.Addr
}

func vxlanName(vni uint32) string { return "wvx" + strconv.FormatUint(uint64(vni), 10) }

// inNS returns a netlink handle inside the namespace at path.
func inNS(path string) (*netlink.Handle, error) {
	ns, err := netns.Open(path)
	if err != nil {
		return nil, err
	}
	defer ns.Close()
	return netlink.NewHandleAt(ns)
}

// ensureNetwork builds (or finds, after a daemon restart) the network's
// namespace at nsPath, its bridge and its VXLAN device.
func ensureNetwork(nsPath string, n netSpec, port int) error {
	if netns.Exists(nsPath) {
		h, err := inNS(nsPath)
		if err == nil {
			_, berr := h.LinkByName(bridgeName)
			_, verr := h.LinkByName(vxlanName(n.VNI))
			h.Close()
			if berr == nil && verr == nil {
				return nil
			}
		}
		deleteNetwork(nsPath, n.VNI)
	} else if _, err := os.Stat(nsPath); err == nil {
		os.Remove(nsPath)
	}
	if err := netns.Create(nsPath); err != nil {
		return err
	}
	if err := buildNetwork(nsPath, n, port); err != nil {
		deleteNetwork(nsPath, n.VNI)
		return err
	}
	return nil
}

func buildNetwork(nsPath string, n netSpec, port int) error {
	h, err := inNS(nsPath)
	if err != nil {
		return err
	}
	defer h.Close()
	if lo, err := h.LinkByName("lo"); err == nil {
		h.LinkSetUp(lo)
	}
	br := &netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: bridgeName, MTU: MTU}}
	if err := h.LinkAdd(br); err != nil {
		return fmt.Errorf("overlay bridge: %w", err)
	}
	brLink, err := h.LinkByName(bridgeName)
	if err != nil {
		return err
	}
	if err := h.AddrAdd(brLink, &netlink.Addr{IPNet: prefixNet(netip.PrefixFrom(n.Gateway, n.Subnet.Bits()))}); err != nil {
		return fmt.Errorf("overlay bridge address: %w", err)
	}
	ns, err := netns.Open(nsPath)
	if err != nil {
		return err
	}
	defer ns.Close()
	vx := &netlink.Vxlan{
		LinkAttrs: netlink.LinkAttrs{Name: vxlanName(n.VNI), MTU: MTU},
		VxlanId:   int(n.VNI), Port: port, Learning: false, Proxy: true, L2miss: true, L3miss: true,
	}
	// Created here, in the node's namespace, so its socket is bound here.
	if err := netlink.LinkAdd(vx); err != nil {
		if errors.Is(err, unix.EEXIST) {
			return fmt.Errorf("a VXLAN device with VNI %d already exists in this node's namespace: %w", n.VNI, err)
		}
		return fmt.Errorf("vxlan device: %w", err)
	}
	vxl, err := netlink.LinkByName(vx.Name)
	if err != nil {
		return err
	}
	if err := netlink.LinkSetNsFd(vxl, int(ns)); err != nil {
		netlink.LinkDel(vxl)
		return fmt.Errorf("moving the vxlan device: %w", err)
	}
	if vxl, err = h.LinkByName(vx.Name); err != nil {
		return err
	}
	if err := h.LinkSetMaster(vxl, brLink); err != nil {
		return err
	}
	if err := h.LinkSetUp(vxl); err != nil {
		return err
	}
	return h.LinkSetUp(brLink)
}

// deleteNetwork removes the network's namespace; its bridge, VXLAN device
// and the host ends of its veths go with it. A VXLAN device left in the
// node's namespace by a half-done build is removed too.
func deleteNetwork(nsPath string, vni uint32) {
	if l, err := netlink.LinkByName(vxlanName(vni)); err == nil {
		netlink.LinkDel(l)
	}
	if netns.Exists(nsPath) {
		if h, err := inNS(nsPath); err == nil {
			if l, err := h.LinkByName(vxlanName(vni)); err == nil {
				h.LinkDel(l)
			}
			h.Close()
		}
	}
	netns.Delete(nsPath)
}

// macFor is docker's MAC for an address: 02:42 and the IPv4 bytes.
func macFor(ip netip.Addr) net.HardwareAddr {
	a := ip.As4()
	return net.HardwareAddr{0x02, 0x42, a[0], a[1], a[2], a[3]}
}

// attach gives the container whose process is pid an interface on the
// network: a veth from the network's bridge, with addr, docker's MAC and
// the overlay MTU. ctrNSPath is the container's network namespace. An
// interface with addr already there (a restarted daemon) is kept.
func attach(nsPath, ctrNSPath string, addr netip.Prefix) error {
	ctrNS, err := vnetns.GetFromPath(ctrNSPath)
	if err != nil {
		return fmt.Errorf("the task's network namespace: %w", err)
	}
	defer ctrNS.Close()
	return attachTo(nsPath, ctrNS, addr)
}

// attachTo is attach for the network namespace ctrNS (a task's, or the
// node's ingress sandbox).
func attachTo(nsPath string, ctrNS vnetns.NsHandle, addr netip.Prefix) error {
	ch, err := netlink.NewHandleAt(ctrNS)
	if err != nil {
		return err
	}
	defer ch.Close()
	links, err := ch.LinkList()
	if err != nil {
		return err
	}
	for _, l := range links {
		as, _ := ch.AddrList(l, unix.AF_INET)
		for _, a := range as {
			if ip, ok := netip.AddrFromSlice(a.IP.To4()); ok && ip == addr.Addr() {
				return nil
			}
		}
	}
	ifName := nextEth(links)
	h, err := inNS(nsPath)
	if err != nil {
		return err
	}
	defer h.Close()
	ovNS, err := netns.Open(nsPath)
	if err != nil {
		return err
	}
	defer ovNS.Close()
	host, peer := "wov"+randHex(5), "woc"+randHex(5)
	// Made in the overlay namespace, so no name of the node's is used.
	veth := &netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: host, MTU: MTU}, PeerName: peer}
	if err := h.LinkAdd(veth); err != nil {
		return fmt.Errorf("veth: %w", err)
	}
	ok := false
	defer func() {
		if !ok {
			if l, err := h.LinkByName(host); err == nil {
				h.LinkDel(l)
			}
		}
	}()
	br, err := h.LinkByName(bridgeName)
	if err != nil {
		return err
	}
	hl, err := h.LinkByName(host)
	if err != nil {
		return err
	}
	if err := h.LinkSetMaster(hl, br); err != nil {
		return err
	}
	if err := h.LinkSetUp(hl); err != nil {
		return err
	}
	pl, err := h.LinkByName(peer)
	if err != nil {
		return err
	}
	if err := h.LinkSetNsFd(pl, int(ctrNS)); err != nil {
		return err
	}
	if pl, err = ch.LinkByName(peer); err != nil {
		return err
	}
	if err := ch.LinkSetName(pl, ifName); err != nil {
		return err
	}
	if err := ch.LinkSetHardwareAddr(pl, macFor(addr.Addr())); err != nil {
		return err
	}
	if err := ch.AddrAdd(pl, &netlink.Addr{IPNet: prefixNet(addr)}); err != nil {
		return err
	}
	if err := ch.LinkSetUp(pl); err != nil {
		return err
	}
	ok = true
	return nil
}

// nextEth is the first ethN name the container does not use.
func nextEth(links []netlink.Link) string {
	used := map[string]bool{}
	for _, l := range links {
		used[l.Attrs().Name] = true
	}
	for i := 0; ; i++ {
		if n := "eth" + strconv.Itoa(i); !used[n] {
			return n
		}
	}
}

// setPeer adds (or, with del, removes) the static entries for a remote
// endpoint: its MAC behind its node's VTEP in the VXLAN device's FDB, and
// its address's neighbour entry, which the device's ARP proxy answers.
func setPeer(nsPath string, vni uint32, ip netip.Addr, vtep netip.Addr, del bool) error {
	h, err := inNS(nsPath)
	if err != nil {
		return err
	}
	defer h.Close()
	vx, err := h.LinkByName(vxlanName(vni))
	if err != nil {
		return err
	}
	mac := macFor(ip)
	fdb := &netlink.Neigh{
		LinkIndex: vx.Attrs().Index, Family: unix.AF_BRIDGE, State: netlink.NUD_PERMANENT,
		Flags: netlink.NTF_SELF, IP: net.IP(vtep.AsSlice()), HardwareAddr: mac,
	}
	nb := &netlink.Neigh{
		LinkIndex: vx.Attrs().Index, Family: unix.AF_INET, State: netlink.NUD_PERMANENT,
		IP: net.IP(ip.AsSlice()), HardwareAddr: mac,
	}
	if del {
		h.NeighDel(nb)
		h.NeighDel(fdb)
		return nil
	}
	if err := h.NeighSet(fdb); err != nil {
		return fmt.Errorf("fdb entry for %s: %w", ip, err)
	}
	if err := h.NeighSet(nb); err != nil {
		return fmt.Errorf("neighbour entry for %s: %w", ip, err)
	}
	return nil
}

func prefixNet(p netip.Prefix) *net.IPNet {
	return &net.IPNet{IP: net.IP(p.Addr().AsSlice()), Mask: net.CIDRMask(p.Bits(), p.Addr().BitLen())}
}

func randHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)[:n*2-1]
}
