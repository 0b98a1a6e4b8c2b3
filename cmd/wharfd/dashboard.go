package main

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/wharf/wharf/internal/config"
	"github.com/wharf/wharf/internal/dashboard"
)

// withDashboard starts the web dashboard when cfg asks for one, over
// api, the handler the socket serves, and returns the socket's handler
// with the dashboard's login route (`wharf dashboard`) added.
func withDashboard(ctx context.Context, cfg config.Dashboard, api http.Handler, log *slog.Logger) (http.Handler, error) {
	if cfg.Addr == "" {
		return api, nil
	}
	d, err := dashboard.Start(ctx, cfg, api, log)
	if err != nil {
		return nil, err
	}
	return d.Control(api), nil
}
