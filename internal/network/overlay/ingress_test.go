package overlay

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/moby/swarmkit/v2/api"
)

func TestIngressPorts(t *testing.T) {
	task := &api.Task{Endpoint: &api.Endpoint{Ports: []*api.PortConfig{
		{Protocol: api.ProtocolTCP, PublishMode: api.PublishModeIngress, TargetPort: 80, PublishedPort: 8080},
		{Protocol: api.ProtocolUDP, PublishMode: api.PublishModeIngress, TargetPort: 53, PublishedPort: 30001},
		{Protocol: api.ProtocolTCP, PublishMode: api.PublishModeHost, TargetPort: 22, PublishedPort: 2222},
	}}}
	if got := ingressPorts(task); got != "tcp:8080:80,udp:30001:53" {
		t.Errorf("ingressPorts: %q", got)
	}
	if got := ingressPorts(&api.Task{}); got != "" {
		t.Errorf("no endpoint: %q", got)
	}
}

func TestParseMeshPort(t *testing.T) {
	for in, ok := range map[string]bool{
		"tcp:8080:80": true, "sctp:1:1": true, "": false, "icmp:1:1": false,
		"tcp:0:80": false, "tcp:70000:80": false, "tcp:80": false, "tcp:x:80": false,
	} {
		if _, got := parseMeshPort(in); got != ok {
			t.Errorf("parseMeshPort(%q) = %v", in, got)
		}
	}
}

func TestSandboxScript(t *testing.T) {
	ip := netip.MustParseAddr
	entries := []Entry{
		{IP: ip("10.0.0.5"), Ports: "tcp:8080:80"},
		{IP: ip("10.0.0.3"), Ports: "tcp:8080:80,udp:5353:53"},
		{IP: ip("10.0.0.2")},                       // a sandbox
		{IP: ip("10.0.0.9"), Ports: "tcp:8080:81"}, // mid-update: another target port
		{IP: ip("10.0.0.7"), Ports: "bogus"},
	}
	got := sandboxScript(netip.MustParsePrefix("10.0.0.0/24"), meshBackends(entries))
	for _, want := range []string{
		"tcp dport 8080 dnat to numgen inc mod 3 map { 0 : 10.0.0.3 . 80, 1 : 10.0.0.5 . 80, 2 : 10.0.0.9 . 81 }",
		"udp dport 5353 dnat to numgen inc mod 1 map { 0 : 10.0.0.3 . 53 }",
		"ip daddr 10.0.0.0/24 ct status dnat masquerade",
		"policy drop;",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("script lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "10.0.0.7") || strings.Contains(got, "10.0.0.2 ") {
		t.Errorf("script has entries without ports:\n%s", got)
	}
	if a, b := got, sandboxScript(netip.MustParsePrefix("10.0.0.0/24"), meshBackends(entries)); a != b {
		t.Error("script not deterministic")
	}
}

func TestClaimedKeepsReusedAddress(t *testing.T) {
	ip := netip.MustParseAddr
	n := NewNode(NodeConfig{Root: t.TempDir()})
	old := Entry{Net: "ing", IP: ip("10.0.0.5"), VTEP: ip("192.0.2.1"), Ports: "tcp:8080:80"}
	n.remote["b"] = nodeState{Entries: []Entry{{Net: "ing", IP: ip("10.0.0.5"), VTEP: ip("192.0.2.2")}}}
	if !n.claimed("a", old, nil) {
		t.Error("an address node b now holds was released")
	}
	if n.claimed("a", Entry{Net: "other", IP: ip("10.0.0.5")}, nil) {
		t.Error("an address on another network counted as held")
	}
	if !n.claimed("a", old, []Entry{{Net: "ing", IP: ip("10.0.0.5"), Ports: "tcp:8081:80"}}) {
		t.Error("an address the same node still announces was released")
	}
	delete(n.remote, "b")
	if n.claimed("a", old, nil) {
		t.Error("a free address counted as held")
	}
}
