// Package dns is the embedded resolver of user-defined networks: it
// answers the names of the network's containers (name, aliases, short id)
// and forwards every other question to the host's resolvers.
package dns

import (
	"context"
	"math/rand/v2"
	"net"
	"net/netip"
	"strings"
	"time"

	"github.com/miekg/dns"
)

// Lookup returns the addresses of name (lower case, no trailing dot) on
// the resolver's network, and whether the name is known there at all.
//
// client is the address the query came from: a container on several
// networks resolves the names of all of them, as with docker.
type Lookup func(client netip.Addr, name string) ([]netip.Addr, bool)

// Upstreams returns the resolvers ("addr:port") that other names asked by
// client are forwarded to.
type Upstreams func(client netip.Addr) []string

// Server answers on one address, UDP and TCP port 53.
type Server struct {
	lookup    Lookup
	upstreams Upstreams
	udp, tcp  *dns.Server
}

// Start listens on addr:53 and serves until Close.
func Start(ctx context.Context, addr netip.Addr, lookup Lookup, upstreams Upstreams) (*Server, error) {
	s := &Server{lookup: lookup, upstreams: upstreams}
	hostport := netip.AddrPortFrom(addr, 53).String()
	pc, err := (&net.ListenConfig{}).ListenPacket(ctx, "udp4", hostport)
	if err != nil {
		return nil, err
	}
	ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp4", hostport)
	if err != nil {
		pc.Close()
		return nil, err
	}
	h := dns.HandlerFunc(s.serve)
	s.udp = &dns.Server{PacketConn: pc, Handler: h}
	s.tcp = &dns.Server{Listener: ln, Handler: h}
	go s.udp.ActivateAndServe()
	go s.tcp.ActivateAndServe()
	return s, nil
}

// Close stops the server.
func (s *Server) Close() {
	s.udp.Shutdown()
	s.tcp.Shutdown()
}

func (s *Server) serve(w dns.ResponseWriter, req *dns.Msg) {
	if len(req.Question) != 1 {
		m := new(dns.Msg)
		m.SetRcode(req, dns.RcodeFormatError)
		w.WriteMsg(m)
		return
	}
	var client netip.Addr
	if ap, err := netip.ParseAddrPort(w.RemoteAddr().String()); err == nil {
		client = ap.Addr().Unmap()
	}
	if m := Answer(req, client, s.lookup); m != nil {
		w.WriteMsg(m)
		return
	}
	w.WriteMsg(s.forward(req, s.upstreams(client)))
}

// Answer answers req from lookup, or returns nil when the name is not ours.
func Answer(req *dns.Msg, client netip.Addr, lookup Lookup) *dns.Msg {
	q := req.Question[0]
	name := strings.ToLower(strings.TrimSuffix(q.Name, "."))
	addrs, ok := lookup(client, name)
	if !ok {
		return nil
	}
	m := new(dns.Msg)
	m.SetReply(req)
	m.Authoritative = true
	m.RecursionAvailable = true
	// A for IPv4 addresses, AAAA for IPv6 ones (containers on an IPv6
	// network); a name known without addresses of the asked kind is an
	// empty answer, not NXDOMAIN, as docker's.
	var own []netip.Addr
	for _, a := range addrs {
		if (q.Qtype == dns.TypeA && a.Is4()) || (q.Qtype == dns.TypeAAAA && a.Is6()) {
			own = append(own, a)
		}
	}
	// Round robin between containers sharing a name.
	rand.Shuffle(len(own), func(i, j int) { own[i], own[j] = own[j], own[i] })
	hdr := dns.RR_Header{Name: q.Name, Rrtype: q.Qtype, Class: dns.ClassINET, Ttl: 600}
	for _, a := range own {
		if a.Is4() {
			m.Answer = append(m.Answer, &dns.A{Hdr: hdr, A: net.IP(a.AsSlice())})
		} else {
			m.Answer = append(m.Answer, &dns.AAAA{Hdr: hdr, AAAA: net.IP(a.AsSlice())})
		}
	}
	return m
}

func (s *Server) forward(req *dns.Msg, upstreams []string) *dns.Msg {
	c := &dns.Client{Timeout: 4 * time.Second}
	for _, up := range upstreams {
		resp, _, err := c.Exchange(req, up)
		if err == nil && resp != nil {
			return resp
		}
	}
	m := new(dns.Msg)
	m.SetRcode(req, dns.RcodeServerFailure)
	return m
}
