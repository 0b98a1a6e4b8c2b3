package container

import (
	"encoding/json"
	"net/http/httptest"
	"net/netip"
	"testing"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
)

func TestWithLegacyNetwork(t *testing.T) {
	resp := container.InspectResponse{NetworkSettings: &container.NetworkSettings{
		Networks: map[string]*network.EndpointSettings{network.NetworkBridge: {
			IPAddress: netip.MustParseAddr("172.17.0.2"), Gateway: netip.MustParseAddr("172.17.0.1"), IPPrefixLen: 16,
			MacAddress: network.HardwareAddr{2, 0x42, 0xac, 0x11, 0, 2},
		}},
	}}
	data, err := json.Marshal(withLegacyNetwork(httptest.NewRequest("GET", "/containers/x/json", nil), resp))
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		NetworkSettings struct {
			IPAddress, Gateway, MacAddress string
			IPPrefixLen                    int
			Networks                       map[string]any
		}
	}
	if err := json.Unmarshal(data, &got); err != nil {
		t.Fatal(err)
	}
	ns := got.NetworkSettings
	if ns.IPAddress != "172.17.0.2" || ns.Gateway != "172.17.0.1" || ns.MacAddress != "02:42:ac:11:00:02" || ns.IPPrefixLen != 16 || ns.Networks["bridge"] == nil {
		t.Fatalf("got %+v", ns)
	}
}
