package main

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/coreos/go-systemd/v22/daemon"
)

// notifyReady tells systemd (Type=notify, $NOTIFY_SOCKET) that wharfd is
// ready once the API answers a ping on one of its unix sockets; without
// $NOTIFY_SOCKET it does nothing.
func notifyReady(ctx context.Context, listeners []listener, log *slog.Logger) {
	for _, ln := range listeners {
		if ln.Addr().Network() != "unix" {
			continue
		}
		if err := ping(ctx, ln.Addr().String()); err != nil {
			log.Warn("the API does not answer its own ping", "host", ln.host, "err", err)
		}
		break
	}
	if ok, err := daemon.SdNotify(false, daemon.SdNotifyReady); err != nil {
		log.Warn("sd_notify READY", "err", err)
	} else if ok {
		log.Debug("told systemd wharfd is ready")
	}
}

// notifyStopping tells systemd wharfd is stopping.
func notifyStopping(log *slog.Logger) {
	if _, err := daemon.SdNotify(false, daemon.SdNotifyStopping); err != nil {
		log.Warn("sd_notify STOPPING", "err", err)
	}
}

// ping asks the API on the unix socket at path for /_ping.
func ping(ctx context.Context, path string) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	client := &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "unix", strings.TrimPrefix(path, "@"))
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
