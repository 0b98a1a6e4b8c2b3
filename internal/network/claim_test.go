package network

import (
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/api/types/network"
)

// claimTestService is a service with no networks of its own but one
// record, on a bridge whose claim directory other daemons share.
func claimTestService(t *testing.T, claimDir string) (*Service, *record) {
	t.Helper()
	s := &Service{
		cfg:       Config{ClaimDir: claimDir, RunRoot: t.TempDir()},
		networks:  map[string]*record{},
		sandboxes: map[string]*sandbox{},
		foreign:   map[string]map[netip.Addr]time.Time{},
	}
	r := &record{Network: network.Network{ID: "n1", Name: "net1", IPAM: network.IPAM{Config: []network.IPAMConfig{{
		Subnet: netip.MustParsePrefix("10.9.0.0/24"), Gateway: netip.MustParseAddr("10.9.0.1"),
	}}}}, Bridge: "br-test"}
	s.networks[r.ID] = r
	return s, r
}

// Addresses another daemon claims are skipped, and only the first start
// looks at each of their claims.
func TestClaimsOfOthersAreRemembered(t *testing.T) {
	dir := t.TempDir()
	s, r := claimTestService(t, dir)
	// Another daemon's live containers: .2 to .51, claims made just now.
	if err := os.MkdirAll(filepath.Join(dir, r.Bridge), 0o700); err != nil {
		t.Fatal(err)
	}
	for i := 2; i <= 51; i++ {
		p := filepath.Join(dir, r.Bridge, netip.AddrFrom4([4]byte{10, 9, 0, byte(i)}).String())
		if err := os.WriteFile(p, []byte("/run/other/netns/x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	ep, err := s.newEndpoint(r, nil, AttachRequest{ContainerID: strings.Repeat("1", 64)}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if want := netip.MustParseAddr("10.9.0.52"); ep.IP != want {
		t.Fatalf("got %s, want %s", ep.IP, want)
	}
	if n := len(s.foreign[r.Bridge]); n != 50 {
		t.Fatalf("%d foreign claims remembered, want 50", n)
	}
	// The next allocation probes no foreign claim again: remove them
	// from disk, and it still skips them.
	os.RemoveAll(filepath.Join(dir, r.Bridge))
	s.sandboxes["c1"] = &sandbox{ContainerID: strings.Repeat("1", 64), Endpoints: []*endpoint{ep}}
	ep2, err := s.newEndpoint(r, nil, AttachRequest{ContainerID: strings.Repeat("2", 64)}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if want := netip.MustParseAddr("10.9.0.53"); ep2.IP != want {
		t.Fatalf("got %s, want %s", ep2.IP, want)
	}
}

// A subnet that seems full of other daemons' addresses is asked again.
func TestForeignClaimsForgottenWhenFull(t *testing.T) {
	s, r := claimTestService(t, t.TempDir())
	r.IPAM.Config[0].Subnet = netip.MustParsePrefix("10.9.0.0/29") // .2 to .6
	for i := 2; i <= 6; i++ {
		s.noteForeign(r.Bridge, netip.AddrFrom4([4]byte{10, 9, 0, byte(i)}))
	}
	ep, err := s.newEndpoint(r, nil, AttachRequest{ContainerID: strings.Repeat("1", 64)}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if want := netip.MustParseAddr("10.9.0.2"); ep.IP != want {
		t.Fatalf("got %s, want %s", ep.IP, want)
	}
}
