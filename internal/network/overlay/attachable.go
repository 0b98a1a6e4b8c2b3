package overlay

import (
	"fmt"
	"net"
	"net/netip"

	"github.com/moby/swarmkit/v2/api"
	"golang.org/x/sys/unix"
)

// Containers on attachable overlay networks (`docker run --network ov`):
// the managers hand the address out through a network-attachment task
// (swarmkit's ResourceAllocator), and the node joins the container's
// sandbox to the network as it joins a task's container, under the
// attachment task's ID. Other nodes resolve the container by its name,
// its aliases and its short ID.

// Attachment is what a container joined to an overlay network got.
type Attachment struct {
	NetworkID string
	Addr      netip.Prefix
	Gateway   netip.Addr // the network's resolver
}

// JoinContainer gives the network namespace at nsPath an interface on
// att's overlay network and announces it as name (with aliases), under
// the attachment task id. A repeated call (a restarted daemon) changes
// nothing.
func (n *Node) JoinContainer(id, nsPath string, att *api.NetworkAttachment, name string, aliases []string) (Attachment, error) {
	spec, ok, err := specOf(att.Network)
	if err != nil {
		return Attachment{}, err
	}
	ep, hasAddr, err := endpointOf(att, name, aliases)
	if err != nil {
		return Attachment{}, err
	}
	if !ok || !hasAddr {
		return Attachment{}, fmt.Errorf("network %s is not an overlay network with an address for this container", att.Network.GetID())
	}
	if err := n.join(id, nsPath, []*api.NetworkAttachment{att}, []localEP{ep}); err != nil {
		return Attachment{}, err
	}
	return Attachment{NetworkID: spec.ID, Addr: ep.Addr, Gateway: spec.Gateway}, nil
}

// MACFor is the MAC an endpoint with address ip has: docker's 02:42 and
// the IPv4 bytes.
func MACFor(ip netip.Addr) net.HardwareAddr { return macFor(ip) }

// LeaveContainer is a disconnect: the container at nsPath, which keeps
// running, loses its interface on the attachment id's network (the veth
// pair goes with its end there), and the endpoint is forgotten.
func (n *Node) LeaveContainer(id, nsPath string) {
	n.mu.Lock()
	lt := n.tasks[id]
	n.mu.Unlock()
	for _, ep := range lt.eps {
		if err := detachAddr(nsPath, ep.Addr.Addr()); err != nil {
			n.cfg.Log.Warn("overlay: removing a disconnected interface", "netns", nsPath, "addr", ep.Addr, "err", err)
		}
	}
	n.Leave(id)
}

// detachAddr deletes the interface holding addr in the namespace at
// nsPath.
func detachAddr(nsPath string, addr netip.Addr) error {
	h, err := inNS(nsPath)
	if err != nil {
		return err
	}
	defer h.Close()
	links, err := h.LinkList()
	if err != nil {
		return err
	}
	for _, l := range links {
		as, _ := h.AddrList(l, unix.AF_INET)
		for _, a := range as {
			if ip, ok := netip.AddrFromSlice(a.IP.To4()); ok && ip == addr {
				return h.LinkDel(l)
			}
		}
	}
	return nil
}
