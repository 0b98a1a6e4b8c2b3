package dashboard

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sync"
)

// apiSocket is a unix socket serving the Engine API for programs the
// dashboard runs (docker compose), made on first use in a directory only
// the daemon's user can enter, and removed when the dashboard stops. It
// is the API handler the daemon's own socket serves, so compose sees what
// the docker CLI sees. Its lock guards dir and is held only while the
// socket is made.
type apiSocket struct {
	serve func(net.Listener) // serves the API on a listener until shutdown
	mu    sync.Mutex
	dir   string
	ln    net.Listener
}

// path returns the socket's path, making it on first use.
func (a *apiSocket) path() (string, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.dir != "" {
		return filepath.Join(a.dir, "api.sock"), nil
	}
	dir, err := os.MkdirTemp("", "wharf-dashboard-")
	if err != nil {
		return "", fmt.Errorf("dashboard: api socket: %w", err)
	}
	p := filepath.Join(dir, "api.sock")
	ln, err := net.Listen("unix", p)
	if err != nil {
		os.RemoveAll(dir)
		return "", fmt.Errorf("dashboard: api socket: %w", err)
	}
	a.dir, a.ln = dir, ln
	go a.serve(ln)
	return p, nil
}

// close removes the socket and its directory.
func (a *apiSocket) close() {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.ln != nil {
		a.ln.Close()
		os.RemoveAll(a.dir)
		a.ln, a.dir = nil, ""
	}
}
