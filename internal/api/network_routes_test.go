package api

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

func TestNetworkFilters(t *testing.T) {
	n := network.Inspect{Network: network.Network{Name: "front", ID: "abc123", Driver: "bridge", Labels: map[string]string{"a": "1"}}}
	for _, c := range []struct {
		filter string
		ok     bool
	}{
		{`{"name":{"fro":true}}`, true},
		{`{"name":{"back":true}}`, false},
		{`{"id":{"abc":true}}`, true},
		{`{"label":{"a=1":true}}`, true},
		{`{"label":{"a=2":true}}`, false},
		{`{"type":{"custom":true}}`, true},
		{`{"type":{"builtin":true}}`, false},
		{`{"driver":{"bridge":true}}`, true},
	} {
		r := httptest.NewRequest("GET", "/networks?filters="+c.filter, nil)
		f, err := filtersValue(r)
		if err != nil {
			t.Fatal(err)
		}
		if got := networkMatches(f, n); got != c.ok {
			t.Errorf("%s: got %v", c.filter, got)
		}
	}
}
