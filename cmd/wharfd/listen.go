package main

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/coreos/go-systemd/v22/activation"

	"github.com/wharf/wharf/internal/config"
)

// defaultGroup owns the API sockets when no group is configured and it
// exists, as docker's "docker" group: its members may use wharf without
// sudo (and so are root on the host).
const defaultGroup = "wharf"

// listener is one API host and the listener serving it.
type listener struct {
	host string
	net.Listener
}

// listenAll opens every configured host; on error it closes what it opened.
func listenAll(cfg config.Config, log *slog.Logger) ([]listener, error) {
	var out []listener
	closeAll := func() {
		for _, l := range out {
			l.Close()
		}
	}
	gid, err := socketGroup(cfg.Group, log)
	if err != nil {
		return nil, err
	}
	var tlsConfig *tls.Config
	for _, host := range cfg.HostsOrDefault() {
		proto, addr, _ := strings.Cut(host, "://")
		var lns []net.Listener
		switch proto {
		case "unix":
			var ln net.Listener
			ln, err = listenUnix(addr, gid)
			lns = []net.Listener{ln}
		case "tcp":
			if tlsConfig == nil {
				if tlsConfig, err = serverTLS(cfg.Access); err != nil {
					break
				}
			}
			var ln net.Listener
			if ln, err = net.Listen("tcp", addr); err == nil {
				lns = []net.Listener{tls.NewListener(ln, tlsConfig)}
			}
		case "fd":
			lns, err = listenFD(addr)
		default:
			err = fmt.Errorf("invalid bind address format: %s", host)
		}
		if err != nil {
			closeAll()
			return nil, fmt.Errorf("listening on %s: %w", host, err)
		}
		for _, ln := range lns {
			out = append(out, listener{host: host, Listener: ln})
		}
	}
	// runc hands sockets named in these on to the containers it runs.
	for _, v := range []string{"LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES"} {
		os.Unsetenv(v)
	}
	return out, nil
}

// socketGroup resolves the unix sockets' group: the one named (which must
// exist), else "wharf" when it exists, else root's.
func socketGroup(name string, log *slog.Logger) (int, error) {
	if name == "" {
		g, err := user.LookupGroup(defaultGroup)
		if err != nil {
			log.Debug("no wharf group: the API socket is root's only", "group", defaultGroup)
			return 0, nil
		}
		return strconv.Atoi(g.Gid)
	}
	g, err := user.LookupGroup(name)
	if err != nil {
		if id, convErr := strconv.Atoi(name); convErr == nil {
			return id, nil
		}
		return 0, fmt.Errorf("group %s not found: %w", name, err)
	}
	return strconv.Atoi(g.Gid)
}

// listenUnix makes the socket at path, mode 0660, owned by root:gid.
func listenUnix(path string, gid int) (net.Listener, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, err
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	ln, err := net.Listen("unix", path)
	if err != nil {
		return nil, err
	}
	if err := os.Chown(path, 0, gid); err != nil {
		ln.Close()
		return nil, err
	}
	if err := os.Chmod(path, 0o660); err != nil {
		ln.Close()
		return nil, err
	}
	return ln, nil
}

// listenFD takes the sockets systemd passed (LISTEN_FDS): all of them for
// fd://, the one numbered N for fd://N.
func listenFD(addr string) ([]net.Listener, error) {
	all, err := activation.Listeners()
	if err != nil {
		return nil, err
	}
	var lns []net.Listener
	for i, ln := range all {
		if ln == nil {
			continue
		}
		if addr == "" || addr == strconv.Itoa(i+3) {
			lns = append(lns, ln)
		} else {
			ln.Close()
		}
	}
	if len(lns) == 0 {
		return nil, fmt.Errorf("no sockets found via socket activation: make sure the service was started by systemd")
	}
	return lns, nil
}

// serverTLS is the TCP listeners' TLS: the server's certificate, and
// with tlsverify client certificates required and checked against the CA.
func serverTLS(a config.Access) (*tls.Config, error) {
	cert, err := tls.LoadX509KeyPair(a.TLSCert, a.TLSKey)
	if err != nil {
		return nil, fmt.Errorf("could not load X509 key pair (cert: %q, key: %q): %w", a.TLSCert, a.TLSKey, err)
	}
	c := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	if a.TLSVerify {
		pem, err := os.ReadFile(a.TLSCACert)
		if err != nil {
			return nil, fmt.Errorf("could not read CA certificate %q: %w", a.TLSCACert, err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("failed to append certificates from PEM file: %q", a.TLSCACert)
		}
		c.ClientCAs = pool
		c.ClientAuth = tls.RequireAndVerifyClientCert
	}
	return c, nil
}
