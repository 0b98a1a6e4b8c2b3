package daemon

import (
	"log/slog"
	"slices"

	"github.com/wharf/wharf/internal/config"
	"github.com/wharf/wharf/internal/container"
	"github.com/wharf/wharf/internal/logger"
	"github.com/wharf/wharf/internal/system"
)

// reloadable are the daemon.json keys a reload (SIGHUP) applies, as
// dockerd's; the others take effect when wharfd next starts.
var reloadable = []string{
	"debug", "labels", "registry-mirrors", "insecure-registries",
	"max-concurrent-downloads", "max-concurrent-uploads",
}

// Reload applies cfg's reloadable settings and logs which keys changed;
// a change to any other key is logged as waiting for a restart. The
// caller sets the log level (debug) itself. Reloads are serialised by
// their caller (one signal loop).
func (d *Daemon) Reload(cfg config.Config, log *slog.Logger) {
	changed := config.Diff(&d.cfg, &cfg)
	var applied, pending []string
	for _, key := range changed {
		if slices.Contains(reloadable, key) {
			applied = append(applied, key)
		} else {
			pending = append(pending, key)
		}
	}
	next := d.cfg
	next.Overlay(&cfg, reloadable)
	d.apply(next)
	d.cfg = next
	log.Info("Reloaded configuration", "changed", applied, "debug", next.Debug, "labels", next.Labels,
		"registry-mirrors", next.RegistryMirrors, "insecure-registries", next.InsecureRegistries,
		"max-concurrent-downloads", next.MaxConcurrentDownloads, "max-concurrent-uploads", next.MaxConcurrentUploads)
	if len(pending) > 0 {
		log.Warn("configuration changed that a reload does not apply: restart wharfd for it", "keys", pending)
	}
}

// apply hands the reloadable settings to the services that use them.
func (d *Daemon) apply(cfg config.Config) {
	d.images.SetInsecureRegistries(cfg.InsecureRegistries)
	d.images.SetTransferLimits(cfg.MaxConcurrentDownloads, cfg.MaxConcurrentUploads)
	d.images.SetMirrors(cfg.Mirrors()) // checked by config.Validate
	d.system.SetSettings(system.Settings{
		Debug:              cfg.Debug,
		Labels:             cfg.Labels,
		RegistryMirrors:    cfg.RegistryMirrors,
		InsecureRegistries: cfg.InsecureRegistries,
		LogDriver:          cfg.LogDriver,
		LogDrivers:         logger.Drivers(),
		CgroupDriver:       "cgroupfs",
	})
}

// containerDefaults are the container settings daemon.json defaults.
func containerDefaults(cfg config.Config) container.Defaults {
	return container.Defaults{
		LogDriver:  cfg.LogDriver,
		LogOpts:    cfg.LogOpts,
		DNS:        cfg.DNS,
		DNSSearch:  cfg.DNSSearch,
		DNSOptions: cfg.DNSOptions,
		ShmSize:    int64(cfg.DefaultShmSize),
		IpcMode:    cfg.DefaultIpcMode,
	}
}
