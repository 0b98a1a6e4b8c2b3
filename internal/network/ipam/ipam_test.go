package ipam

import (
	"net/netip"
	"testing"
)

func TestNextSubnetSkipsUsed(t *testing.T) {
	used := []netip.Prefix{netip.MustParsePrefix("172.17.0.0/16"), netip.MustParsePrefix("172.18.5.0/24")}
	got, err := NextSubnet(DefaultPools(), used)
	if err != nil || got != netip.MustParsePrefix("172.19.0.0/16") {
		t.Fatalf("got %v %v", got, err)
	}
	got, err = NextSubnet([]PoolSpec{{Base: netip.MustParsePrefix("10.10.0.0/16"), Size: 24}}, []netip.Prefix{netip.MustParsePrefix("10.10.0.0/23")})
	if err != nil || got != netip.MustParsePrefix("10.10.2.0/24") {
		t.Fatalf("got %v %v", got, err)
	}
	if _, err := NextSubnet([]PoolSpec{{Base: netip.MustParsePrefix("10.10.0.0/24"), Size: 24}}, []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}); err != ErrNoSubnet {
		t.Fatalf("want ErrNoSubnet, got %v", err)
	}
}

func TestAllocate(t *testing.T) {
	subnet := netip.MustParsePrefix("10.1.0.0/29")
	gw := Gateway(subnet)
	if gw != netip.MustParseAddr("10.1.0.1") {
		t.Fatalf("gateway %v", gw)
	}
	used := map[netip.Addr]bool{}
	var got []string
	for {
		a, err := Allocate(subnet, netip.Prefix{}, gw, used, netip.Addr{})
		if err != nil {
			if err != ErrNoAddress {
				t.Fatal(err)
			}
			break
		}
		used[a] = true
		got = append(got, a.String())
	}
	want := "[10.1.0.2 10.1.0.3 10.1.0.4 10.1.0.5 10.1.0.6]"
	if s := fmtSlice(got); s != want {
		t.Fatalf("got %s want %s", s, want)
	}
	// A freed address is handed out again.
	delete(used, netip.MustParseAddr("10.1.0.3"))
	if a, _ := Allocate(subnet, netip.Prefix{}, gw, used, netip.Addr{}); a.String() != "10.1.0.3" {
		t.Fatalf("reuse: %v", a)
	}
	// A range limits the choice; a wanted address must be free.
	a, err := Allocate(netip.MustParsePrefix("10.2.0.0/16"), netip.MustParsePrefix("10.2.5.0/24"), netip.MustParseAddr("10.2.0.1"), nil, netip.Addr{})
	if err != nil || a.String() != "10.2.5.0" {
		t.Fatalf("range: %v %v", a, err)
	}
	if _, err := Allocate(subnet, netip.Prefix{}, gw, used, gw); err == nil {
		t.Fatal("gateway handed out")
	}
	if a, err := Allocate(subnet, netip.Prefix{}, gw, map[netip.Addr]bool{}, netip.MustParseAddr("10.1.0.6")); err != nil || a.String() != "10.1.0.6" {
		t.Fatalf("want: %v %v", a, err)
	}
}

func TestValidate(t *testing.T) {
	for _, c := range []struct {
		subnet, gw, rng string
		ok              bool
	}{
		{"10.5.0.0/16", "10.5.0.1", "", true},
		{"10.5.0.0/16", "10.6.0.1", "", false},
		{"10.5.0.1/16", "", "", false},
		{"10.5.0.0/16", "", "10.5.1.0/24", true},
		{"10.5.0.0/16", "", "10.7.1.0/24", false},
	} {
		var gw netip.Addr
		var rng netip.Prefix
		if c.gw != "" {
			gw = netip.MustParseAddr(c.gw)
		}
		if c.rng != "" {
			rng = netip.MustParsePrefix(c.rng)
		}
		if err := Validate(netip.MustParsePrefix(c.subnet), gw, rng); (err == nil) != c.ok {
			t.Errorf("%+v: %v", c, err)
		}
	}
}

func fmtSlice(s []string) string {
	out := "["
	for i, x := range s {
		if i > 0 {
			out += " "
		}
		out += x
	}
	return out + "]"
}
