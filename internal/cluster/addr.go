package cluster

import (
	"errors"
	"fmt"
	"net"
	"strings"

	"github.com/vishvananda/netlink"

	"github.com/wharf/wharf/internal/errs"
)

// Addresses as `swarm init` and `join` take them, with docker's checks
// and words (moby's daemon/cluster/listen_addr.go).

const defaultPort = "2377"

var (
	errNoSuchInterface    = errors.New("no such interface")
	errBadIdentifier      = errors.New("must specify a valid IP address or interface name")
	errNoIP               = errs.Invalid("could not find the system's IP address - specify one with --advertise-addr")
	errBadListenAddr      = errs.Invalid("listen address must be an IP address or network interface (with optional port number)")
	errBadAdvertiseAddr   = errs.Invalid("advertise address must be a non-zero IP address or network interface (with optional port number)")
	errJoinNeedsRemote    = errs.Invalid("at least 1 RemoteAddr is required to join")
	errInvalidEmptyAddr   = errors.New("invalid empty address")
	defaultListenAddrHost = "0.0.0.0"
)

// normalizeAddr adds the default port to an address given without one
// (the CLI's opts.ParseTCPAddr with tcp://0.0.0.0:2377 as default).
func normalizeAddr(addr string) (string, error) {
	if addr == "" {
		return "", errInvalidEmptyAddr
	}
	addr = strings.TrimPrefix(addr, "tcp://")
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		// No port: the whole is the host.
		host, port = addr, defaultPort
	}
	if host == "" {
		host = defaultListenAddrHost
	}
	if port == "" {
		port = defaultPort
	}
	out := net.JoinHostPort(host, port)
	if _, _, err := net.SplitHostPort(out); err != nil || strings.ContainsAny(host, "[]/ ") {
		return "", fmt.Errorf("invalid address %q", addr)
	}
	return out, nil
}

// resolveListenAddr splits a listen address into an IP (an interface's
// name stands for its address) and a port.
func resolveListenAddr(addr string) (string, string, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", "", errs.Invalid("could not parse listen address %s", addr)
	}
	ip, err := resolveInputIP(host, true)
	if err != nil {
		if errors.Is(err, errBadIdentifier) {
			return "", "", errBadListenAddr
		}
		return "", "", err
	}
	return ip.String(), port, nil
}

// resolveAdvertiseAddr is the address other nodes reach this one at: the
// one given, else the system's single global address.
func resolveAdvertiseAddr(addr, listenPort string) (string, string, error) {
	if addr == "" {
		ip, err := resolveSystemAddr()
		if err != nil {
			return "", "", err
		}
		return ip.String(), listenPort, nil
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		host, port = addr, listenPort
	}
	ip, err := resolveInputIP(host, false)
	if err != nil {
		if errors.Is(err, errBadIdentifier) {
			return "", "", errBadAdvertiseAddr
		}
		return "", "", err
	}
	return ip.String(), port, nil
}

func resolveInputIP(input string, unspecifiedOK bool) (net.IP, error) {
	ip, err := interfaceAddr(input)
	if err == nil {
		return ip, nil
	}
	if !errors.Is(err, errNoSuchInterface) {
		return nil, err
	}
	if ip := net.ParseIP(input); ip != nil && (unspecifiedOK || !ip.IsUnspecified()) {
		return ip, nil
	}
	return nil, errBadIdentifier
}

// interfaceAddr is the one IPv4 (else IPv6) address of interface name.
func interfaceAddr(name string) (net.IP, error) {
	intf, err := net.InterfaceByName(name)
	if err != nil {
		return nil, errNoSuchInterface
	}
	addrs, err := intf.Addrs()
	if err != nil {
		return nil, err
	}
	var v4, v6 net.IP
	for _, a := range addrs {
		ipn, ok := a.(*net.IPNet)
		if !ok {
			continue
		}
		if ipn.IP.To4() != nil {
			if v4 != nil {
				return nil, errs.Invalid("interface %s has more than one IPv4 address (%s and %s)", name, v4, ipn.IP)
			}
			v4 = ipn.IP
		} else {
			if v6 != nil {
				return nil, errs.Invalid("interface %s has more than one IPv6 address (%s and %s)", name, v6, ipn.IP)
			}
			v6 = ipn.IP
		}
	}
	switch {
	case v4 != nil:
		return v4, nil
	case v6 != nil:
		return v6, nil
	}
	return nil, errs.Invalid("interface %s has no usable IPv4 or IPv6 address", name)
}

// resolveSystemAddr is the single global unicast address of the up
// physical devices; without any, of the other up links except bridges
// (the engine's own networks) and loopback, so a veth into a network
// namespace counts, as docker's subnet check lets it.
func resolveSystemAddr() (net.IP, error) {
	links, err := netlink.LinkList()
	if err != nil {
		return nil, err
	}
	pick := func(ok func(netlink.Link) bool) (net.IP, bool, error) {
		var found net.IP
		var foundIf string
		any := false
		for _, l := range links {
			a := l.Attrs()
			if a.Flags&net.FlagUp == 0 || a.Flags&net.FlagLoopback != 0 || !ok(l) {
				continue
			}
			addrs, err := netlink.AddrList(l, netlink.FAMILY_V4)
			if err != nil {
				continue
			}
			for _, addr := range addrs {
				if !addr.IP.IsGlobalUnicast() {
					continue
				}
				any = true
				if found != nil {
					return nil, true, errs.Invalid("could not choose an IP address to advertise since this system has multiple addresses on different interfaces (%s on %s and %s on %s)", found, foundIf, addr.IP, a.Name)
				}
				found, foundIf = addr.IP, a.Name
			}
		}
		return found, any, nil
	}
	ip, any, err := pick(func(l netlink.Link) bool { return l.Type() == "device" })
	if err != nil || ip != nil {
		return ip, err
	}
	if !any {
		ip, _, err = pick(func(l netlink.Link) bool { return l.Type() != "bridge" })
		if err != nil || ip != nil {
			return ip, err
		}
	}
	return nil, errNoIP
}

func validateAddrPool(sizes []string, size uint32) error {
	if size == 0 {
		size = 24
	}
	if size > 29 {
		return errs.Invalid("subnet size is out of range: %d", size)
	}
	for _, p := range sizes {
		_, n, err := net.ParseCIDR(p)
		if err != nil {
			return errs.Invalid("invalid CIDR: %q", p)
		}
		if ones, _ := n.Mask.Size(); size < uint32(ones) {
			return errs.Invalid("invalid CIDR: %q. Subnet size is too small for pool: %d", p, size)
		}
	}
	return nil
}

func dataPathPort(p uint32) (uint32, error) {
	if p == 0 {
		return 4789, nil
	}
	if p < 1024 || p > 49151 {
		return 0, errs.Invalid("Datapath port number is not in valid range (1024-49151) : %d", p)
	}
	return p, nil
}
