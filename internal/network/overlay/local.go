package overlay

import (
	"crypto/sha256"
	"encoding/hex"
	"net"
	"net/netip"
	"sort"

	"github.com/moby/swarmkit/v2/api"
)

// What `network ls` and `network inspect` show of the overlay networks
// this node has (dockerd's libnetwork view, which every node has, worker
// or manager): the networks with endpoints here, those endpoints, and
// the nodes taking part in each network (dockerd's Peers).

// IngressSandbox is the ingress sandbox's key among an ingress network's
// containers in `network inspect`, and IngressEndpoint its endpoint's
// name: dockerd's words.
const (
	IngressSandbox  = ingressKey
	IngressEndpoint = "ingress-endpoint"
)

// LocalNetwork is an overlay network as this node has it.
type LocalNetwork struct {
	Network   *api.Network // as the managers last sent it
	Endpoints []LocalEndpoint
	Peers     []Peer
}

// LocalEndpoint is one endpoint here: a task's or an attached
// container's (ID is the task or attachment task ID), or the ingress
// sandbox's (ID is IngressSandbox).
type LocalEndpoint struct {
	ID         string
	EndpointID string
	Addr       netip.Prefix
	MAC        net.HardwareAddr
}

// Peer is a node with endpoints on a network: its gossip name (its swarm
// node ID) and its data path address.
type Peer struct {
	Name string
	IP   netip.Addr
}

// LocalNetworks lists the overlay networks this node has endpoints on.
func (n *Node) LocalNetworks() []LocalNetwork {
	n.mu.Lock()
	defer n.mu.Unlock()
	out := make([]LocalNetwork, 0, len(n.nets))
	for id, nn := range n.nets {
		if nn.net == nil {
			continue
		}
		ln := LocalNetwork{Network: nn.net}
		for key, lt := range n.tasks {
			for _, ep := range lt.eps {
				if ep.Net == id {
					ln.Endpoints = append(ln.Endpoints, LocalEndpoint{ID: key, EndpointID: endpointID(id, key), Addr: ep.Addr, MAC: macFor(ep.Addr.Addr())})
				}
			}
		}
		sort.Slice(ln.Endpoints, func(i, j int) bool { return ln.Endpoints[i].ID < ln.Endpoints[j].ID })
		ln.Peers = n.peersOn(id)
		out = append(out, ln)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Network.ID < out[j].Network.ID })
	return out
}

// endpointID is the ID an endpoint shows: a task's or an attachment's
// is its task ID (as the container's inspect shows it); the ingress
// sandbox's is made from the network's ID, 64 hex digits as dockerd's.
func endpointID(netID, key string) string {
	if key != ingressKey {
		return key
	}
	sum := sha256.Sum256([]byte(netID + "/" + key))
	return hex.EncodeToString(sum[:])
}

// peersOn lists this node (it has the network) and every remote node
// with an endpoint on network id, by name. Callers hold n.mu.
func (n *Node) peersOn(id string) []Peer {
	var out []Peer
	if n.self != "" {
		out = append(out, Peer{Name: n.self, IP: n.vtep})
	}
	for node, st := range n.remote {
		if node == n.self {
			continue
		}
		for _, e := range st.Entries {
			if e.Net == id {
				out = append(out, Peer{Name: node, IP: e.VTEP})
				break
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// ContainerEndpoint is a task container's endpoint on one overlay
// network, as its inspect shows it.
type ContainerEndpoint struct {
	NetworkID, NetworkName string
	EndpointID             string
	Addr                   netip.Prefix
	MAC                    net.HardwareAddr
	DNSNames               []string
}

// ContainerEndpoints are the overlay endpoints here of the task whose
// container is ctrID (Join), by network name; nil if it has none.
func (n *Node) ContainerEndpoints(ctrID string) []ContainerEndpoint {
	n.mu.Lock()
	defer n.mu.Unlock()
	var out []ContainerEndpoint
	for key, lt := range n.tasks {
		if lt.ctr != ctrID || ctrID == "" {
			continue
		}
		for _, ep := range lt.eps {
			nn := n.nets[ep.Net]
			if nn == nil || nn.net == nil {
				continue
			}
			out = append(out, ContainerEndpoint{
				NetworkID: ep.Net, NetworkName: nn.net.Spec.Annotations.Name, EndpointID: endpointID(ep.Net, key),
				Addr: ep.Addr, MAC: macFor(ep.Addr.Addr()), DNSNames: lt.dnsNames,
			})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].NetworkName < out[j].NetworkName })
	return out
}
