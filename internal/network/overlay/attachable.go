package overlay

import (
	"fmt"
	"net"
	"net/netip"

	"github.com/moby/swarmkit/v2/api"
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
