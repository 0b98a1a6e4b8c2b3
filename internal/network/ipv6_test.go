package network

import (
	"net/netip"
	"testing"

	"github.com/moby/moby/api/types/network"
)

func TestAllocate6(t *testing.T) {
	subnet := netip.MustParsePrefix("fd00:1::/64")
	gw := gateway6(&network.IPAMConfig{Subnet: subnet})
	if gw != netip.MustParseAddr("fd00:1::1") {
		t.Fatalf("gateway %s", gw)
	}
	used := map[netip.Addr]bool{netip.MustParseAddr("fd00:1::2"): true}
	if a, err := allocate6(subnet, gw, used, netip.Addr{}); err != nil || a != netip.MustParseAddr("fd00:1::3") {
		t.Fatalf("first free: %s %v", a, err)
	}
	if a, err := allocate6(subnet, gw, used, netip.MustParseAddr("fd00:1::100")); err != nil || a != netip.MustParseAddr("fd00:1::100") {
		t.Fatalf("wanted: %s %v", a, err)
	}
	for _, bad := range []string{"fd00:1::1", "fd00:1::2", "fd00:2::5", "fd00:1::"} {
		if _, err := allocate6(subnet, gw, used, netip.MustParseAddr(bad)); err == nil {
			t.Errorf("%s given out", bad)
		}
	}
	small := netip.MustParsePrefix("fd00:1::/126")
	used = map[netip.Addr]bool{netip.MustParseAddr("fd00:1::2"): true, netip.MustParseAddr("fd00:1::3"): true}
	if _, err := allocate6(small, gw, used, netip.Addr{}); err == nil {
		t.Error("a full subnet gave an address")
	}
}
