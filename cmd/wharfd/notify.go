package main

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"time"
)

// notifier speaks systemd's sd_notify protocol (Type=notify) to the
// socket in $NOTIFY_SOCKET, which it takes out of wharfd's environment
// at once: runc, run by wharfd, would otherwise take the variable as
// its own and wait for the container to notify.
type notifier struct {
	addr string // "" when not run by systemd
	log  *slog.Logger
}

func newNotifier(log *slog.Logger) *notifier {
	addr := os.Getenv("NOTIFY_SOCKET")
	os.Unsetenv("NOTIFY_SOCKET")
	if strings.HasPrefix(addr, "@") {
		addr = "\x00" + addr[1:] // an abstract socket
	}
	return &notifier{addr: addr, log: log}
}

// send sends state, such as "READY=1", if systemd listens.
func (n *notifier) send(state string) {
	if n.addr == "" {
		return
	}
	conn, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: n.addr, Net: "unixgram"})
	if err != nil {
		n.log.Warn("sd_notify", "state", state, "err", err)
		return
	}
	defer conn.Close()
	if _, err := conn.Write([]byte(state)); err != nil {
		n.log.Warn("sd_notify", "state", state, "err", err)
	}
}

// ready tells systemd wharfd is ready once the API answers a ping on one
// of its unix sockets.
func (n *notifier) ready(ctx context.Context, listeners []listener) {
	for _, ln := range listeners {
		if ln.Addr().Network() != "unix" {
			continue
		}
		if err := ping(ctx, ln.Addr().String()); err != nil {
			n.log.Warn("the API does not answer its own ping", "host", ln.host, "err", err)
		}
		break
	}
	n.send("READY=1")
}

// ping asks the API on the unix socket at path for /_ping.
func ping(ctx context.Context, path string) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	client := &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "unix", path)
		},
	}}
	defer client.CloseIdleConnections()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://wharf/_ping", nil)
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	return resp.Body.Close()
}
