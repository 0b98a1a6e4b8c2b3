package network

import (
	"errors"
	"fmt"
	"net/netip"
	"sort"
	"strconv"
	"strings"
	"syscall"

	"github.com/moby/moby/api/types/network"

	"github.com/wharf/wharf/internal/errs"
)

// PortMapping is one resolved published port.
type PortMapping struct {
	Proto         string     `json:"proto"`
	HostIP        netip.Addr `json:"hostIP"`
	HostPort      int        `json:"hostPort"`
	ContainerPort int        `json:"containerPort"`
	// HostPortEnd > HostPort means any free port of the range will do
	// (only while resolving; the chosen one is HostPort).
	HostPortEnd int `json:"-"`
}

// Key is the container port as docker writes it, "80/tcp".
func (m PortMapping) Key() string { return strconv.Itoa(m.ContainerPort) + "/" + m.Proto }

// ResolvePorts turns -p bindings (and -P's exposed ports) into mappings,
// sorted by container port. Host port 0 means "pick one".
func ResolvePorts(bindings network.PortMap, exposed network.PortSet, publishAll bool) ([]PortMapping, error) {
	var out []PortMapping
	seen := map[network.Port]bool{}
	for port, bs := range bindings {
		seen[port] = true
		for _, b := range bs {
			m := PortMapping{Proto: string(port.Proto()), HostIP: b.HostIP, ContainerPort: int(port.Num())}
			if m.Proto == "" {
				m.Proto = "tcp"
			}
			if m.Proto != "tcp" && m.Proto != "udp" {
				return nil, errs.Invalid("unsupported protocol %s", m.Proto)
			}
			if b.HostPort != "" {
				lo, hi, err := parseRange(b.HostPort)
				if err != nil {
					return nil, errs.Invalid("invalid port specification: %q", b.HostPort)
				}
				m.HostPort, m.HostPortEnd = lo, hi
			}
			out = append(out, m)
		}
	}
	if publishAll {
		for port := range exposed {
			if seen[port] {
				continue
			}
			proto := string(port.Proto())
			if proto == "" {
				proto = "tcp"
			}
			out = append(out, PortMapping{Proto: proto, ContainerPort: int(port.Num())})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].ContainerPort != out[j].ContainerPort {
			return out[i].ContainerPort < out[j].ContainerPort
		}
		if out[i].Proto != out[j].Proto {
			return out[i].Proto < out[j].Proto
		}
		return out[i].HostPort < out[j].HostPort
	})
	return out, nil
}

func parseRange(s string) (int, int, error) {
	a, b, isRange := strings.Cut(s, "-")
	lo, err := strconv.Atoi(a)
	if err != nil || lo < 0 || lo > 65535 {
		return 0, 0, fmt.Errorf("bad port %q", s)
	}
	hi := lo
	if isRange {
		if hi, err = strconv.Atoi(b); err != nil || hi < lo || hi > 65535 {
			return 0, 0, fmt.Errorf("bad port range %q", s)
		}
	}
	if hi == lo {
		hi = 0
	}
	return lo, hi, nil
}

// hostAddr is the address a mapping binds: 0.0.0.0 unless one was given.
func (m PortMapping) hostAddr() netip.Addr {
	if m.HostIP.IsValid() {
		return m.HostIP
	}
	return netip.IPv4Unspecified()
}

// reservation holds a bound (not listening) socket so no other process
// takes a published port while the DNAT rule sends its traffic elsewhere.
type reservation struct{ fd int }

func (r reservation) close() {
	if r.fd > 0 {
		syscall.Close(r.fd)
	}
}

// reserve binds m's host port; a zero port gets a free one from the kernel,
// a range the first free of the range. It returns m with the port chosen.
func reserve(m PortMapping) (PortMapping, reservation, error) {
	if m.HostPortEnd > m.HostPort {
		var lastErr error
		for p := m.HostPort; p <= m.HostPortEnd; p++ {
			c := m
			c.HostPort, c.HostPortEnd = p, 0
			got, r, err := reserve(c)
			if err == nil {
				return got, r, nil
			}
			lastErr = err
		}
		return m, reservation{}, lastErr
	}
	typ := syscall.SOCK_STREAM
	if m.Proto == "udp" {
		typ = syscall.SOCK_DGRAM
	}
	addr := m.hostAddr()
	if !addr.Is4() {
		return m, reservation{}, errs.Invalid("only IPv4 host addresses can be published: %s", addr)
	}
	fd, err := syscall.Socket(syscall.AF_INET, typ|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return m, reservation{}, err
	}
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Port: m.HostPort, Addr: addr.As4()}); err != nil {
		syscall.Close(fd)
		if errors.Is(err, syscall.EADDRINUSE) {
			return m, reservation{}, errs.Conflict("Bind for %s:%d failed: port is already allocated", addr, m.HostPort)
		}
		return m, reservation{}, fmt.Errorf("failed to bind host port for %s:%d/%s: %w", addr, m.HostPort, m.Proto, err)
	}
	if m.HostPort == 0 {
		sa, err := syscall.Getsockname(fd)
		if err != nil {
			syscall.Close(fd)
			return m, reservation{}, err
		}
		m.HostPort = sa.(*syscall.SockaddrInet4).Port
	}
	return m, reservation{fd: fd}, nil
}
