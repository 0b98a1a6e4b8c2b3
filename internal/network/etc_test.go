package network

import (
	"net/netip"
	"strings"
	"testing"
)

func TestHostsFile(t *testing.T) {
	got := string(hostsFile([]netip.Addr{netip.MustParseAddr("172.17.0.2")}, "abc123", "", []string{"db:10.0.0.5"},
		[]hostEntry{{IP: netip.MustParseAddr("172.17.0.3"), Names: []string{"web", "0123456789ab", "webserver"}}}))
	want := "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\nff00::0\tip6-mcastprefix\nff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n" +
		"10.0.0.5\tdb\n172.17.0.3\tweb 0123456789ab webserver\n172.17.0.2\tabc123\n"
	if got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
}

func TestHostsFileIPv6AndConnect(t *testing.T) {
	own := []netip.Addr{netip.MustParseAddr("10.219.0.3"), netip.MustParseAddr("fd00:77::3")}
	got := string(hostsFile(own, "abc123", "", nil, nil))
	if !strings.HasSuffix(got, "ff02::2\tip6-allrouters\n10.219.0.3\tabc123\nfd00:77::3\tabc123\n") {
		t.Fatalf("IPv6 network: %q", got)
	}
	added := []netip.Addr{netip.MustParseAddr("10.220.0.4"), netip.MustParseAddr("fd00:78::55")}
	got = string(EditHosts([]byte(got), added, nil, "abc123", "example.test"))
	if !strings.HasSuffix(got, "fd00:77::3\tabc123\n10.220.0.4\tabc123.example.test abc123\nfd00:78::55\tabc123.example.test abc123\n") {
		t.Fatalf("connect: %q", got)
	}
	got = string(EditHosts([]byte(got), nil, added, "abc123", ""))
	if !strings.HasSuffix(got, "ff02::2\tip6-allrouters\n10.219.0.3\tabc123\nfd00:77::3\tabc123\n") {
		t.Fatalf("disconnect: %q", got)
	}
}

func TestResolvConf(t *testing.T) {
	host := []byte("# comment\nnameserver 127.0.0.53\nnameserver 192.0.2.53\nsearch example.test\noptions edns0\n")
	if got := string(resolvConf(host, netip.Addr{}, nil, nil, nil)); got != "nameserver 192.0.2.53\nsearch example.test\noptions edns0\n" {
		t.Fatalf("default bridge: %q", got)
	}
	if got := string(resolvConf(host, netip.MustParseAddr("10.9.0.1"), nil, nil, nil)); got != "nameserver 10.9.0.1\nsearch example.test\noptions ndots:0 edns0\n" {
		t.Fatalf("embedded: %q", got)
	}
	if got := string(resolvConf([]byte("nameserver 127.0.0.1\n"), netip.Addr{}, nil, nil, nil)); got != "nameserver 8.8.8.8\nnameserver 8.8.4.4\n" {
		t.Fatalf("fallback: %q", got)
	}
	if got := string(resolvConf(host, netip.Addr{}, []string{"192.0.2.1"}, []string{"a.test"}, []string{"ndots:2"})); got != "nameserver 192.0.2.1\nsearch a.test\noptions ndots:2\n" {
		t.Fatalf("flags: %q", got)
	}
	if ns := hostNameservers(host); len(ns) != 2 || ns[0] != "127.0.0.53:53" {
		t.Fatalf("upstreams %v", ns)
	}
}

func TestUseResolver(t *testing.T) {
	cur := []byte("nameserver 192.0.2.53\nsearch example.test\noptions edns0\n")
	if got := string(UseResolver(cur, netip.MustParseAddr("10.9.0.1"))); got != "nameserver 10.9.0.1\nsearch example.test\noptions ndots:0 edns0\n" {
		t.Fatalf("switched: %q", got)
	}
	// A user's own ndots stays.
	if got := string(UseResolver([]byte("nameserver 192.0.2.53\noptions ndots:3\n"), netip.MustParseAddr("10.9.0.1"))); got != "nameserver 10.9.0.1\noptions ndots:3\n" {
		t.Fatalf("ndots kept: %q", got)
	}
}

func TestLinkEnv(t *testing.T) {
	target := &sandbox{ContainerID: "0123456789abcdef", Exposed: []string{"5432/tcp", "53/udp"},
		Endpoints: []*endpoint{{IP: netip.MustParseAddr("172.17.0.3")}}}
	got := linkEnv(Link{Name: "db", Alias: "my-db", Env: []string{"PATH=/bin", "POSTGRES_PASSWORD=pw", "HOME=/root"}}, "web", target)
	want := []string{
		"MY_DB_NAME=/web/my-db",
		"MY_DB_PORT=tcp://172.17.0.3:5432",
		"MY_DB_PORT_5432_TCP=tcp://172.17.0.3:5432", "MY_DB_PORT_5432_TCP_ADDR=172.17.0.3", "MY_DB_PORT_5432_TCP_PORT=5432", "MY_DB_PORT_5432_TCP_PROTO=tcp",
		"MY_DB_PORT_53_UDP=udp://172.17.0.3:53", "MY_DB_PORT_53_UDP_ADDR=172.17.0.3", "MY_DB_PORT_53_UDP_PORT=53", "MY_DB_PORT_53_UDP_PROTO=udp",
		"MY_DB_ENV_POSTGRES_PASSWORD=pw",
	}
	if len(got) != len(want) {
		t.Fatalf("got %q", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("%d: got %q want %q", i, got[i], want[i])
		}
	}
}
