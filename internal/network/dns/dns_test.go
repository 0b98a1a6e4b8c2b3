package dns

import (
	"net/netip"
	"testing"

	"github.com/miekg/dns"
)

func TestAnswer(t *testing.T) {
	client := netip.MustParseAddr("10.0.0.9")
	lookup := func(from netip.Addr, name string) ([]netip.Addr, bool) {
		if from == client && name == "web" {
			return []netip.Addr{netip.MustParseAddr("10.0.0.2"), netip.MustParseAddr("10.0.0.3")}, true
		}
		return nil, false
	}
	q := new(dns.Msg)
	q.SetQuestion("WEB.", dns.TypeA)
	m := Answer(q, client, lookup)
	if m == nil || len(m.Answer) != 2 || m.Rcode != dns.RcodeSuccess {
		t.Fatalf("got %v", m)
	}
	q.SetQuestion("web.", dns.TypeAAAA)
	if m := Answer(q, client, lookup); m == nil || len(m.Answer) != 0 || m.Rcode != dns.RcodeSuccess {
		t.Fatalf("AAAA: %v", m)
	}
	v6 := func(from netip.Addr, name string) ([]netip.Addr, bool) {
		return []netip.Addr{netip.MustParseAddr("10.0.0.2"), netip.MustParseAddr("fd00:1::2")}, true
	}
	q.SetQuestion("web.", dns.TypeAAAA)
	if m := Answer(q, client, v6); m == nil || len(m.Answer) != 1 || m.Answer[0].(*dns.AAAA).AAAA.String() != "fd00:1::2" {
		t.Fatalf("AAAA on an IPv6 network: %v", m)
	}
	q.SetQuestion("web.", dns.TypeA)
	if m := Answer(q, client, v6); m == nil || len(m.Answer) != 1 || m.Answer[0].(*dns.A).A.String() != "10.0.0.2" {
		t.Fatalf("A on an IPv6 network: %v", m)
	}
	q.SetQuestion("example.org.", dns.TypeA)
	if m := Answer(q, client, lookup); m != nil {
		t.Fatalf("foreign name answered: %v", m)
	}
}
