package config

import (
	"fmt"
	"net"
	"strings"
)

// DefaultHost is the API socket when no host is configured.
const DefaultHost = "unix:///run/wharf/wharf.sock"

// Access is who may reach the API and how, with dockerd's daemon.json keys.
type Access struct {
	// Hosts are the API's listeners: unix:///path, tcp://addr:port (TLS
	// only) or fd:// (systemd's sockets).
	Hosts []string `json:"hosts,omitempty"`
	// Group owns the unix sockets; "" is "wharf" if that group exists,
	// else root's.
	Group string `json:"group,omitempty"`
	// TLS serves tcp:// hosts with TLSCert and TLSKey; TLSVerify also
	// requires client certificates signed by TLSCACert, which every tcp://
	// host must.
	TLS       bool   `json:"tls,omitempty"`
	TLSVerify bool   `json:"tlsverify,omitempty"`
	TLSCACert string `json:"tlscacert,omitempty"`
	TLSCert   string `json:"tlscert,omitempty"`
	TLSKey    string `json:"tlskey,omitempty"`
}

// ParseHost checks a host as dockerd's -H takes it and returns it whole:
// unix:// alone is the default socket, tcp:// without a port gets 2376
// (TLS is required), a bare host:port is tcp, fd:// is systemd's sockets.
func ParseHost(val string) (string, error) {
	host := strings.TrimSpace(val)
	proto, addr, ok := strings.Cut(host, "://")
	if !ok {
		proto, addr = "tcp", host
	}
	switch proto {
	case "unix":
		if addr == "" {
			return DefaultHost, nil
		}
		if !strings.HasPrefix(addr, "/") {
			return "", fmt.Errorf("invalid bind address format: %s: the socket path must be absolute", val)
		}
		return "unix://" + addr, nil
	case "fd":
		return "fd://" + addr, nil
	case "tcp":
		if addr == "" {
			return "", fmt.Errorf("invalid bind address format: %s", val)
		}
		if strings.ContainsAny(addr, "/?#") {
			return "", fmt.Errorf("invalid bind address format: %s: no path, query or fragment", val)
		}
		h, port, err := net.SplitHostPort(addr)
		if err != nil {
			h, port = strings.Trim(addr, "[]"), "2376"
		}
		if port == "" {
			port = "2376"
		}
		return "tcp://" + net.JoinHostPort(h, port), nil
	}
	return "", fmt.Errorf("invalid bind address format: %s: the protocol must be unix, tcp or fd", val)
}

// validate checks the hosts and that every tcp:// one has TLS.
func (a *Access) validate() error {
	tcp := false
	for i, h := range a.Hosts {
		parsed, err := ParseHost(h)
		if err != nil {
			return err
		}
		a.Hosts[i] = parsed
		tcp = tcp || strings.HasPrefix(parsed, "tcp://")
	}
	if a.TLSVerify {
		a.TLS = true
	}
	// dockerd serves TCP with --tls alone (any client may connect); a
	// client that reaches the API is root on the host, so wharfd asks
	// for client certificates on every TCP listener.
	if tcp && !a.TLSVerify {
		return fmt.Errorf("refusing to serve the API on TCP without TLS client verification: anyone who reaches the port would be root on this host; set --tlsverify with --tlscacert, --tlscert and --tlskey (or tlsverify, tlscacert, tlscert, tlskey in daemon.json)")
	}
	if a.TLS && (a.TLSCert == "" || a.TLSKey == "") {
		return fmt.Errorf("TLS needs a certificate and its key: set --tlscert and --tlskey")
	}
	if a.TLSVerify && a.TLSCACert == "" {
		return fmt.Errorf("--tlsverify needs the CA that signs client certificates: set --tlscacert")
	}
	return nil
}
