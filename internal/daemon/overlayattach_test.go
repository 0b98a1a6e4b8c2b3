package daemon

import (
	"net/netip"
	"testing"

	"github.com/moby/moby/api/types/container"
	apinet "github.com/moby/moby/api/types/network"

	"github.com/wharf/wharf/internal/network/overlay"
)

// A task's overlay endpoints replace the gateway bridge in its
// NetworkSettings, each with dockerd's fields.
func TestAddTaskEndpoints(t *testing.T) {
	ns := &container.NetworkSettings{Networks: map[string]*apinet.EndpointSettings{apinet.NetworkBridge: {}}}
	addr := netip.MustParsePrefix("10.0.1.3/24")
	addTaskEndpoints(ns, []overlay.ContainerEndpoint{{
		NetworkID: "ov", NetworkName: "back", EndpointID: "task1", Addr: addr,
		MAC: overlay.MACFor(addr.Addr()), DNSNames: []string{"web.1.task1", "0123456789ab"},
	}})
	if _, ok := ns.Networks[apinet.NetworkBridge]; ok || len(ns.Networks) != 1 {
		t.Fatalf("networks: %v", ns.Networks)
	}
	es := ns.Networks["back"]
	if es.NetworkID != "ov" || es.EndpointID != "task1" || es.IPAddress != addr.Addr() || es.IPPrefixLen != 24 ||
		es.MacAddress.String() != "02:42:0a:00:01:03" || len(es.DNSNames) != 2 || es.IPAMConfig == nil || es.IPAMConfig.IPv4Address != addr.Addr() {
		t.Errorf("endpoint: %+v", es)
	}
}
