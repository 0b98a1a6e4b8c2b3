package network

import (
	"net/netip"
	"strconv"
	"testing"

	"github.com/moby/moby/api/types/network"
)

func TestResolvePorts(t *testing.T) {
	bindings := network.PortMap{
		network.MustParsePort("80/tcp"):  {{HostPort: "8080"}, {HostIP: netip.MustParseAddr("127.0.0.1"), HostPort: "9090"}},
		network.MustParsePort("53/udp"):  {{HostPort: ""}},
		network.MustParsePort("443/tcp"): {{HostPort: "8000-8010"}},
	}
	exposed := network.PortSet{network.MustParsePort("80/tcp"): {}, network.MustParsePort("22/tcp"): {}}
	got, err := ResolvePorts(bindings, exposed, true)
	if err != nil {
		t.Fatal(err)
	}
	want := []PortMapping{
		{Proto: "tcp", ContainerPort: 22},
		{Proto: "udp", ContainerPort: 53},
		{Proto: "tcp", ContainerPort: 80, HostPort: 8080},
		{Proto: "tcp", ContainerPort: 80, HostPort: 9090, HostIP: netip.MustParseAddr("127.0.0.1")},
		{Proto: "tcp", ContainerPort: 443, HostPort: 8000, HostPortEnd: 8010},
	}
	if len(got) != len(want) {
		t.Fatalf("got %+v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("%d: got %+v want %+v", i, got[i], want[i])
		}
	}
	// Without -P, exposed ports are not published.
	got, _ = ResolvePorts(nil, exposed, false)
	if len(got) != 0 {
		t.Fatalf("got %+v", got)
	}
	if _, err := ResolvePorts(network.PortMap{network.MustParsePort("80/tcp"): {{HostPort: "x"}}}, nil, false); err == nil {
		t.Fatal("bad host port accepted")
	}
}

func TestReserveConflict(t *testing.T) {
	lo := netip.MustParseAddr("127.0.0.1")
	m, r, err := reserve(PortMapping{Proto: "tcp", HostIP: lo, ContainerPort: 80})
	if err != nil {
		t.Skip("cannot bind:", err)
	}
	defer r.close()
	if m.HostPort == 0 {
		t.Fatal("no ephemeral port chosen")
	}
	_, _, err = reserve(PortMapping{Proto: "tcp", HostIP: lo, HostPort: m.HostPort, ContainerPort: 80})
	if err == nil || err.Error() != "Bind for 127.0.0.1:"+strconv.Itoa(m.HostPort)+" failed: port is already allocated" {
		t.Fatalf("got %v", err)
	}
	// A range skips the taken port.
	m2, r2, err := reserve(PortMapping{Proto: "tcp", HostIP: lo, HostPort: m.HostPort, HostPortEnd: m.HostPort + 5, ContainerPort: 80})
	if err != nil || m2.HostPort == m.HostPort {
		t.Fatalf("range: %+v %v", m2, err)
	}
	r2.close()
}
