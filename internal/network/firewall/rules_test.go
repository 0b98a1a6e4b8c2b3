package firewall

import (
	"net/netip"
	"strings"
	"testing"
)

func dump(rules []Rule) string {
	var b strings.Builder
	for _, r := range rules {
		op := "-A"
		if r.Insert {
			op = "-I"
		}
		if r.IPv6 {
			b.WriteString("6 ")
		}
		b.WriteString("-t " + r.Table + " " + op + " " + r.Chain + " " + strings.Join(r.Args, " ") + "\n")
	}
	return b.String()
}

func TestBridgeRules(t *testing.T) {
	got := dump(BridgeRules(Bridge{Name: "wharf0", Subnet: netip.MustParsePrefix("172.17.0.0/16"), Masquerade: true, Family: "wharf+"}))
	want := `-t filter -A WHARF-FORWARD -i wharf0 -o wharf0 -j ACCEPT
-t filter -A WHARF-FORWARD -i wharf0 -o wharf+ -j DROP
-t filter -A WHARF-FORWARD -i wharf0 -j ACCEPT
-t filter -A WHARF-FORWARD -o wharf0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-t filter -A WHARF-FORWARD -o wharf0 -m conntrack --ctstate DNAT -j ACCEPT
-t nat -A WHARF-POSTROUTING -o wharf0 -m addrtype --src-type LOCAL -j MASQUERADE
-t nat -A WHARF-POSTROUTING -s 172.17.0.0/16 ! -o wharf0 -j MASQUERADE
`
	if got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
	got = dump(BridgeRules(Bridge{Name: "wharf-abc", Subnet: netip.MustParsePrefix("10.9.0.0/24"), Internal: true, Masquerade: true}))
	want = `-t filter -A WHARF-FORWARD -i wharf-abc -o wharf-abc -j ACCEPT
-t filter -A WHARF-FORWARD -i wharf-abc ! -o wharf-abc -j DROP
-t filter -A WHARF-FORWARD ! -i wharf-abc -o wharf-abc -j DROP
`
	if got != want {
		t.Fatalf("internal: got\n%s\nwant\n%s", got, want)
	}
}

func TestBridgeRulesIPv6(t *testing.T) {
	got := dump(BridgeRules(Bridge{Name: "wharf-v6", Subnet: netip.MustParsePrefix("10.9.0.0/24"), Subnet6: netip.MustParsePrefix("fd00:9::/64"), Masquerade: true, Family: "wharf+"}))
	want := `6 -t filter -A WHARF-FORWARD -i wharf-v6 -o wharf-v6 -j ACCEPT
6 -t filter -A WHARF-FORWARD -i wharf-v6 -o wharf+ -j DROP
6 -t filter -A WHARF-FORWARD -i wharf-v6 -j ACCEPT
6 -t filter -A WHARF-FORWARD -o wharf-v6 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
6 -t filter -A WHARF-FORWARD -o wharf-v6 -m conntrack --ctstate DNAT -j ACCEPT
6 -t nat -A WHARF-POSTROUTING -s fd00:9::/64 ! -o wharf-v6 -j MASQUERADE
`
	if !strings.HasSuffix(got, want) || strings.Count(got, "-s 10.9.0.0/24 ! -o wharf-v6 -j MASQUERADE") != 1 {
		t.Fatalf("got\n%s\nwant the IPv4 rules, then\n%s", got, want)
	}
	got = dump(BridgeRules(Bridge{Name: "wharf-v6", Subnet: netip.MustParsePrefix("10.9.0.0/24"), Subnet6: netip.MustParsePrefix("fd00:9::/64"), Internal: true, Masquerade: true}))
	want = `6 -t filter -A WHARF-FORWARD -i wharf-v6 -o wharf-v6 -j ACCEPT
6 -t filter -A WHARF-FORWARD -i wharf-v6 ! -o wharf-v6 -j DROP
6 -t filter -A WHARF-FORWARD ! -i wharf-v6 -o wharf-v6 -j DROP
`
	if !strings.HasSuffix(got, want) || strings.Contains(got, "MASQUERADE") {
		t.Fatalf("internal: got\n%s", got)
	}
}

func TestPortRules(t *testing.T) {
	got := dump(PortRules(Port{Proto: "tcp", HostPort: 8080, ContainerIP: netip.MustParseAddr("172.17.0.2"), ContainerPort: 80}))
	want := `-t nat -A WHARF -p tcp -m tcp --dport 8080 -j DNAT --to-destination 172.17.0.2:80
-t nat -A WHARF-POSTROUTING -s 172.17.0.2/32 -d 172.17.0.2/32 -p tcp -m tcp --dport 80 -j MASQUERADE
`
	if got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
	got = dump(PortRules(Port{Proto: "udp", HostIP: netip.MustParseAddr("127.0.0.1"), HostPort: 53, ContainerIP: netip.MustParseAddr("10.0.0.2"), ContainerPort: 5353}))
	if !strings.HasPrefix(got, "-t nat -A WHARF -d 127.0.0.1/32 -p udp -m udp --dport 53 -j DNAT --to-destination 10.0.0.2:5353\n") {
		t.Fatalf("got %s", got)
	}
	if j := dump(Jumps()); !strings.Contains(j, "-t filter -I FORWARD -j WHARF-FORWARD") {
		t.Fatalf("jumps %s", j)
	}
}
