package overlay

import (
	"net/netip"
	"testing"

	"github.com/moby/swarmkit/v2/api"
)

// LocalNetworks shows a network's endpoints here (the ingress sandbox
// under dockerd's key) and, as peers, this node and every remote node
// with an endpoint on it, not the nodes on other networks only.
func TestLocalNetworks(t *testing.T) {
	n := NewNode(NodeConfig{Root: t.TempDir()})
	n.self, n.vtep = "nodeA", netip.MustParseAddr("10.1.0.1")
	ingress := &api.Network{ID: "ing"}
	n.nets["ing"] = &nodeNet{net: ingress, users: map[string]bool{}}
	n.nets["ov"] = &nodeNet{net: &api.Network{ID: "ov"}, users: map[string]bool{}}
	n.tasks[ingressKey] = localTask{eps: []localEP{{Net: "ing", Addr: netip.MustParsePrefix("10.0.0.2/24")}}}
	n.tasks["task1"] = localTask{ns: "/proc/1/ns/net", eps: []localEP{
		{Net: "ing", Addr: netip.MustParsePrefix("10.0.0.5/24")},
		{Net: "ov", Addr: netip.MustParsePrefix("10.0.1.3/24")},
	}}
	n.remote["nodeB"] = nodeState{Entries: []Entry{{Net: "ing", IP: netip.MustParseAddr("10.0.0.3"), VTEP: netip.MustParseAddr("10.1.0.2")}}}
	n.remote["nodeC"] = nodeState{Entries: []Entry{
		{Net: "ing", IP: netip.MustParseAddr("10.0.0.4"), VTEP: netip.MustParseAddr("10.1.0.3")},
		{Net: "ov", IP: netip.MustParseAddr("10.0.1.4"), VTEP: netip.MustParseAddr("10.1.0.3")},
	}}
	got := n.LocalNetworks()
	if len(got) != 2 || got[0].Network != ingress {
		t.Fatalf("networks: %+v", got)
	}
	ing, ov := got[0], got[1]
	if len(ing.Endpoints) != 2 || ing.Endpoints[0].ID != IngressSandbox || len(ing.Endpoints[0].EndpointID) != 64 ||
		ing.Endpoints[0].MAC.String() != "02:42:0a:00:00:02" || ing.Endpoints[1].ID != "task1" || ing.Endpoints[1].EndpointID != "task1" {
		t.Errorf("ingress endpoints: %+v", ing.Endpoints)
	}
	if len(ing.Peers) != 3 || ing.Peers[0] != (Peer{"nodeA", n.vtep}) || ing.Peers[2].IP.String() != "10.1.0.3" {
		t.Errorf("ingress peers: %+v", ing.Peers)
	}
	if len(ov.Endpoints) != 1 || ov.Endpoints[0].Addr.String() != "10.0.1.3/24" {
		t.Errorf("ov endpoints: %+v", ov.Endpoints)
	}
	if len(ov.Peers) != 2 || ov.Peers[1].Name != "nodeC" {
		t.Errorf("ov peers, without nodeB: %+v", ov.Peers)
	}
}

// ContainerEndpoints finds a task's endpoints by its container, named by
// their networks, with the task's DNS names; another container has none.
func TestContainerEndpoints(t *testing.T) {
	n := NewNode(NodeConfig{Root: t.TempDir()})
	n.nets["ing"] = &nodeNet{net: &api.Network{ID: "ing", Spec: api.NetworkSpec{Annotations: api.Annotations{Name: "ingress"}}}, users: map[string]bool{}}
	n.nets["ov"] = &nodeNet{net: &api.Network{ID: "ov", Spec: api.NetworkSpec{Annotations: api.Annotations{Name: "back"}}}, users: map[string]bool{}}
	n.tasks[ingressKey] = localTask{eps: []localEP{{Net: "ing", Addr: netip.MustParsePrefix("10.0.0.2/24")}}}
	n.tasks["task1"] = localTask{ns: "/proc/1/ns/net", ctr: "c1", dnsNames: []string{"web.1.task1", "c1c1c1c1c1c1"}, eps: []localEP{
		{Net: "ing", Addr: netip.MustParsePrefix("10.0.0.5/24")},
		{Net: "ov", Addr: netip.MustParsePrefix("10.0.1.3/24")},
	}}
	got := n.ContainerEndpoints("c1")
	if len(got) != 2 {
		t.Fatalf("endpoints: %+v", got)
	}
	back, ing := got[0], got[1]
	if back.NetworkName != "back" || back.NetworkID != "ov" || back.EndpointID != "task1" || back.Addr.String() != "10.0.1.3/24" ||
		back.MAC.String() != "02:42:0a:00:01:03" || len(back.DNSNames) != 2 || back.DNSNames[0] != "web.1.task1" {
		t.Errorf("back: %+v", back)
	}
	if ing.NetworkName != "ingress" || ing.Addr.String() != "10.0.0.5/24" {
		t.Errorf("ingress: %+v", ing)
	}
	if eps := n.ContainerEndpoints("c2"); eps != nil {
		t.Errorf("another container: %+v", eps)
	}
	if eps := n.ContainerEndpoints(""); eps != nil {
		t.Errorf("no container: %+v", eps)
	}
}
