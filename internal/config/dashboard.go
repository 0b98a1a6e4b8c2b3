package config

import (
	"fmt"
	"net"
)

// Dashboard is where wharfd serves its web dashboard, daemon.json's
// "dashboard" key: {"addr": "127.0.0.1:7380"}. Off while Addr is empty:
// the dashboard is a TCP port into a root daemon, which no one gets
// without asking (as dockerd opens no TCP socket unasked), and several
// daemons on one host (one per data root) would fight over a fixed port.
type Dashboard struct {
	// Addr is host:port to listen on; port 0 picks a free one.
	Addr string `json:"addr,omitempty"`
	// TLSCert and TLSKey serve HTTPS; required for any address other
	// than loopback.
	TLSCert string `json:"tls-cert,omitempty"`
	TLSKey  string `json:"tls-key,omitempty"`
}

// Check rejects a dashboard address that is not host:port, or that is
// reachable from other hosts without TLS.
func (d Dashboard) Check() error {
	if d.Addr == "" {
		return nil
	}
	host, _, err := net.SplitHostPort(d.Addr)
	if err != nil {
		return fmt.Errorf("dashboard: addr %q: %w", d.Addr, err)
	}
	if (d.TLSCert == "") != (d.TLSKey == "") {
		return fmt.Errorf("dashboard: tls-cert and tls-key go together")
	}
	if !IsLoopback(host) && d.TLSCert == "" {
		return fmt.Errorf("dashboard: %s is reachable beyond this host: serving it there needs tls-cert and tls-key", d.Addr)
	}
	return nil
}

// IsLoopback reports whether host (an IP or "localhost") only reaches
// this host. An empty host (":7380") means every address, so it is not.
func IsLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
