package main

import (
	"context"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	wharfdaemon "github.com/wharf/wharf/internal/daemon"
)

// reloadOnHUP re-reads the configuration on each SIGHUP, as dockerd does:
// a file that does not load is logged and changes nothing; one that does
// has its reloadable keys applied.
func reloadOnHUP(ctx context.Context, opts *options, d *wharfdaemon.Daemon, level *slog.LevelVar, notify *notifier, log *slog.Logger) {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	for {
		select {
		case <-ctx.Done():
			return
		case <-hup:
		}
		notify.send("RELOADING=1")
		cfg, err := opts.load()
		if err != nil {
			log.Error("Error reloading configuration: not applied", "err", err)
		} else {
			d.Reload(cfg, log)
			if cfg.Debug {
				level.Set(slog.LevelDebug)
			} else {
				level.Set(slog.LevelInfo)
			}
		}
		notify.send("READY=1")
	}
}
