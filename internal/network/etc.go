package network

import (
	"bytes"
	"fmt"
	"net/netip"
	"slices"
	"strings"
)

// hostsFile renders a container's /etc/hosts as dockerd writes it: the
// defaults, extra hosts, links, then the container's own addresses (each
// network's IPv4 and, on an IPv6 network, IPv6 one).
func hostsFile(own []netip.Addr, hostname, domain string, extra []string, links []hostEntry) []byte {
	var b bytes.Buffer
	b.WriteString("127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n")
	b.WriteString("fe00::0\tip6-localnet\nff00::0\tip6-mcastprefix\nff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n")
	for _, h := range extra {
		name, addr, ok := cutHost(h)
		if ok {
			fmt.Fprintf(&b, "%s\t%s\n", addr, name)
		}
	}
	for _, l := range links {
		fmt.Fprintf(&b, "%s\t%s\n", l.IP, strings.Join(l.Names, " "))
	}
	for _, ip := range own {
		b.WriteString(ownEntry(ip, hostname, domain))
	}
	return b.Bytes()
}

// ownEntry is the hosts line naming the container at ip.
func ownEntry(ip netip.Addr, hostname, domain string) string {
	names := hostname
	if domain != "" {
		names = hostname + "." + domain + " " + hostname
	}
	return fmt.Sprintf("%s\t%s\n", ip, names)
}

// EditHosts is a running container's /etc/hosts after a network connect
// (add: the new endpoint's addresses) or disconnect (remove: the old
// one's), as dockerd keeps it: a line per own address, other lines kept.
func EditHosts(cur []byte, add, remove []netip.Addr, hostname, domain string) []byte {
	var b bytes.Buffer
	for _, line := range strings.SplitAfter(string(cur), "\n") {
		f := strings.Fields(line)
		if len(f) > 1 {
			if a, err := netip.ParseAddr(f[0]); err == nil && slices.Contains(remove, a) {
				continue
			}
		}
		b.WriteString(line)
	}
	if b.Len() > 0 && !bytes.HasSuffix(b.Bytes(), []byte("\n")) {
		b.WriteByte('\n')
	}
	for _, ip := range add {
		b.WriteString(ownEntry(ip, hostname, domain))
	}
	return b.Bytes()
}

type hostEntry struct {
	IP    netip.Addr
	Names []string
}

// cutHost splits an --add-host entry, "name:ip" or "name=ip".
func cutHost(h string) (name, ip string, ok bool) {
	if i := strings.IndexAny(h, ":="); i > 0 {
		return h[:i], h[i+1:], true
	}
	return "", "", false
}

// resolvConf renders /etc/resolv.conf. With an embedded resolver it is the
// only nameserver (docker's "options ndots:0" included); otherwise the
// host's file is used without loopback nameservers, which mean nothing in
// the container's namespace (docker falls back to Google's then).
// --dns, --dns-search and --dns-option replace the respective parts.
func resolvConf(host []byte, embedded netip.Addr, dns, search, options []string) []byte {
	var ns, srch, opts []string
	for _, line := range strings.Split(string(host), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 || strings.HasPrefix(f[0], "#") || strings.HasPrefix(f[0], ";") {
			continue
		}
		switch f[0] {
		case "nameserver":
			if a, err := netip.ParseAddr(f[1]); err == nil && !a.IsLoopback() && a.Is4() {
				ns = append(ns, f[1])
			}
		case "search":
			srch = f[1:]
		case "options":
			opts = append(opts, f[1:]...)
		}
	}
	if len(ns) == 0 {
		ns = []string{"8.8.8.8", "8.8.4.4"}
	}
	if len(dns) > 0 {
		ns = dns
	}
	if embedded.IsValid() {
		ns = []string{embedded.String()}
		if !slices.ContainsFunc(opts, func(o string) bool { return strings.HasPrefix(o, "ndots:") }) {
			opts = append([]string{"ndots:0"}, opts...)
		}
	}
	if len(search) > 0 {
		srch = search
	}
	if len(options) > 0 {
		opts = options
	}
	var b bytes.Buffer
	for _, n := range ns {
		fmt.Fprintf(&b, "nameserver %s\n", n)
	}
	if len(srch) > 0 {
		fmt.Fprintf(&b, "search %s\n", strings.Join(srch, " "))
	}
	if len(opts) > 0 {
		fmt.Fprintf(&b, "options %s\n", strings.Join(opts, " "))
	}
	return b.Bytes()
}

// UseResolver rewrites a container's resolv.conf to ask the embedded
// resolver at addr, keeping its search domains and options, as dockerd's
// rebuildDNS does when a running container joins a user-defined network.
// The nameservers it had stay the resolver's upstreams (the sandbox's
// --dns, else the host's).
func UseResolver(cur []byte, addr netip.Addr) []byte {
	return resolvConf(cur, addr, nil, nil, nil)
}

// hostNameservers returns the host's usable upstream resolvers
// ("addr:53"), loopback ones included: the embedded resolver runs in the
// host's namespace, where they work.
func hostNameservers(host []byte) []string {
	var out []string
	for _, line := range strings.Split(string(host), "\n") {
		f := strings.Fields(line)
		if len(f) >= 2 && f[0] == "nameserver" {
			if a, err := netip.ParseAddr(f[1]); err == nil {
				out = append(out, netip.AddrPortFrom(a, 53).String())
			}
		}
	}
	return out
}
