package overlay

import (
	"bytes"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"strings"

	"github.com/vishvananda/netlink"
	vnetns "github.com/vishvananda/netns"
	"golang.org/x/sys/unix"

	"github.com/wharf/wharf/internal/network/netns"
)

// The ingress sandbox's link to its node: a veth whose node end is
// ingressHostIf. dockerd uses its docker_gwbridge network (172.18.0.0/16)
// for this; a point-to-point pair of link-local addresses needs no
// bridge and cannot overlap a network the user creates. One swarm node
// per network namespace (the VXLAN and gossip ports are the node's), so
// the names are fixed.
const (
	ingressHostIf = "wharf-ingress"
	ingressSboxIf = "ingress0"
)

var (
	ingressHostAddr = netip.MustParsePrefix("169.254.77.1/30")
	ingressSboxAddr = netip.MustParsePrefix("169.254.77.2/30")
)

// ensureSandbox makes (or finds, after a daemon restart) the sandbox
// namespace at path: an interface on the ingress overlay (whose
// namespace is ovNS) with addr, and the veth to the node.
func ensureSandbox(path, ovNS string, addr netip.Prefix) error {
	if sandboxReady(path, addr) {
		return nil
	}
	deleteSandbox(path)
	if err := netns.Create(path); err != nil {
		return err
	}
	if err := buildSandbox(path, ovNS, addr); err != nil {
		deleteSandbox(path)
		return err
	}
	return nil
}

// sandboxReady reports whether the sandbox at path has addr on the
// overlay and its link to the node.
func sandboxReady(path string, addr netip.Prefix) bool {
	if !netns.Exists(path) {
		return false
	}
	h, err := inNS(path)
	if err != nil {
		return false
	}
	defer h.Close()
	if _, err := netlink.LinkByName(ingressHostIf); err != nil {
		return false
	}
	l, err := h.LinkByName(ingressSboxIf)
	if err != nil || l.Attrs().OperState == netlink.OperDown {
		return false
	}
	addrs, err := h.AddrList(nil, unix.AF_INET)
	if err != nil {
		return false
	}
	for _, a := range addrs {
		if ip, ok := netip.AddrFromSlice(a.IP.To4()); ok && ip == addr.Addr() {
			return true
		}
	}
	return false
}

func buildSandbox(path, ovNS string, addr netip.Prefix) error {
	sb, err := netns.Open(path)
	if err != nil {
		return err
	}
	defer sb.Close()
	h, err := netlink.NewHandleAt(sb)
	if err != nil {
		return err
	}
	defer h.Close()
	if lo, err := h.LinkByName("lo"); err == nil {
		h.LinkSetUp(lo)
	}
	if err := attachTo(ovNS, sb, addr); err != nil {
		return fmt.Errorf("joining the ingress network: %w", err)
	}
	// The node's end is made here and moved out, so a stale one of an
	// earlier daemon is removed first.
	if l, err := netlink.LinkByName(ingressHostIf); err == nil {
		netlink.LinkDel(l)
	}
	veth := &netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: ingressSboxIf}, PeerName: ingressHostIf}
	if err := h.LinkAdd(veth); err != nil {
		return fmt.Errorf("veth: %w", err)
	}
	self, err := vnetns.Get()
	if err != nil {
		return err
	}
	defer self.Close()
	peer, err := h.LinkByName(ingressHostIf)
	if err != nil {
		return err
	}
	if err := h.LinkSetNsFd(peer, int(self)); err != nil {
		return fmt.Errorf("moving the veth to the node: %w", err)
	}
	hl, err := netlink.LinkByName(ingressHostIf)
	if err != nil {
		return err
	}
	if err := netlink.AddrAdd(hl, &netlink.Addr{IPNet: prefixNet(ingressHostAddr)}); err != nil {
		return err
	}
	if err := netlink.LinkSetUp(hl); err != nil {
		return err
	}
	sl, err := h.LinkByName(ingressSboxIf)
	if err != nil {
		return err
	}
	if err := h.AddrAdd(sl, &netlink.Addr{IPNet: prefixNet(ingressSboxAddr)}); err != nil {
		return err
	}
	if err := h.LinkSetUp(sl); err != nil {
		return err
	}
	gw := net.IP(ingressHostAddr.Addr().AsSlice())
	if err := h.RouteAdd(&netlink.Route{LinkIndex: sl.Attrs().Index, Gw: gw}); err != nil {
		return fmt.Errorf("sandbox default route: %w", err)
	}
	// Connections from the node's loopback (curl 127.0.0.1:port) leave
	// through the veth before they are masqueraded.
	if err := os.WriteFile("/proc/sys/net/ipv4/conf/"+ingressHostIf+"/route_localnet", []byte("1"), 0o644); err != nil {
		return err
	}
	if err := enableForwarding(); err != nil {
		return err
	}
	return netns.Do(path, enableForwarding)
}

// enableForwarding turns on IPv4 forwarding in the calling thread's
// network namespace, as dockerd does for the mesh.
func enableForwarding() error {
	const p = "/proc/sys/net/ipv4/ip_forward"
	if b, err := os.ReadFile(p); err == nil && strings.TrimSpace(string(b)) == "1" {
		return nil
	}
	return os.WriteFile(p, []byte("1"), 0o644)
}

// deleteSandbox removes the sandbox namespace; its interfaces (and the
// node's end of its veth) go with it.
func deleteSandbox(path string) {
	if l, err := netlink.LinkByName(ingressHostIf); err == nil {
		netlink.LinkDel(l)
	}
	if netns.Exists(path) {
		netns.Delete(path)
	} else {
		os.Remove(path)
	}
}

// nftAt loads script into the network namespace at path.
func nftAt(path, script string) error {
	cmd := exec.Command("nsenter", "--net="+path, "nft", "-f", "-")
	cmd.Stdin = strings.NewReader(script)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("nft: %v: %s", err, bytes.TrimSpace(out))
	}
	return nil
}
