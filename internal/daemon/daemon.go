// Package daemon is wharfd's composition root: it builds the stores,
// runtimes and services from the configuration and wires them to the API.
// It is the only package that knows every concrete type.
package daemon

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/wharf/wharf/internal/api"
	"github.com/wharf/wharf/internal/build"
	"github.com/wharf/wharf/internal/config"
	"github.com/wharf/wharf/internal/container"
	"github.com/wharf/wharf/internal/events"
	"github.com/wharf/wharf/internal/execinit"
	"github.com/wharf/wharf/internal/image"
	"github.com/wharf/wharf/internal/inuse"
	"github.com/wharf/wharf/internal/runtime"
	"github.com/wharf/wharf/internal/volume"
)

// Daemon holds the running services.
type Daemon struct {
	cfg        config.Config
	log        *slog.Logger
	images     *image.Service
	containers *container.Service
	runtimes   map[string]*runtime.Runtime
	API        *api.Server
}

// New builds the daemon. ctx bounds background work (the exit watcher).
func New(ctx context.Context, cfg config.Config, log *slog.Logger) (*Daemon, error) {
	for _, d := range []string{cfg.Root, cfg.ExecRoot} {
		if err := os.MkdirAll(d, 0o711); err != nil {
			return nil, err
		}
	}
	conmon, err := exec.LookPath(cfg.Conmon)
	if err != nil {
		return nil, fmt.Errorf("conmon not found (install the conmon package): %w", err)
	}
	runtimes := map[string]*runtime.Runtime{}
	for name, rc := range cfg.Runtimes {
		path, err := exec.LookPath(rc.Path)
		if err != nil {
			log.Debug("runtime not installed", "runtime", name, "path", rc.Path)
			continue
		}
		runtimes[name] = &runtime.Runtime{
			Name: name, Path: path, Conmon: conmon, Log: log,
			Root: filepath.Join(cfg.ExecRoot, "runtime", name),
		}
	}
	if _, ok := runtimes[cfg.DefaultRuntime]; !ok {
		return nil, fmt.Errorf("default runtime %q not found (install runc)", cfg.DefaultRuntime)
	}
	// Which containers use which images and volumes: written by the
	// container service, read by the image and volume services.
	uses := inuse.New()
	images, err := image.New(filepath.Join(cfg.Root, "image"), uses, log)
	if err != nil {
		return nil, fmt.Errorf("image store: %w", err)
	}
	images.SetInsecureRegistries(cfg.InsecureRegistries)
	volumes, err := volume.New(filepath.Join(cfg.Root, "volumes"), uses, log)
	if err != nil {
		return nil, fmt.Errorf("volumes: %w", err)
	}
	networks, err := newNetworks(ctx, cfg, log)
	if err != nil {
		return nil, err
	}
	execInit := findExecInit()
	if execInit == "" {
		log.Warn(execinit.Name + " not found beside wharfd or in $PATH: with runc before 1.1.13, exec'd processes may get a soft nofile limit as high as the hard one")
	}
	bus := events.New()
	containers, err := container.New(ctx, container.Config{
		Root:           filepath.Join(cfg.Root, "containers"),
		RunRoot:        filepath.Join(cfg.ExecRoot, "containers"),
		Runtimes:       runtimes,
		DefaultRuntime: cfg.DefaultRuntime,
		CgroupParent:   cfg.CgroupParent,
		DefaultUlimits: cfg.DefaultUlimits,
		ExecInit:       execInit,
		Images:         images,
		Networks:       networks,
		Volumes:        volumeEvents{volumes, bus},
		Uses:           uses,
		Log:            log,
		Events:         bus,
	})
	if err != nil {
		return nil, fmt.Errorf("containers: %w", err)
	}
	d := &Daemon{cfg: cfg, log: log, images: images, containers: containers, runtimes: runtimes}
	builder, err := build.New(filepath.Join(cfg.Root, "build"), images, containers, log)
	if err != nil {
		return nil, fmt.Errorf("builder: %w", err)
	}
	d.API = api.New(api.Backends{Containers: containers, Images: imageEvents{images, bus}, System: d, Volumes: volumeEvents{volumes, bus}, Networks: networkEvents{networks, bus}, Events: bus, Build: builder}, log)
	return d, nil
}

// findExecInit locates wharf-exec-init: beside wharfd's executable, where
// make build puts it, else in $PATH; "" if neither has it.
func findExecInit() string {
	if self, err := os.Executable(); err == nil {
		p := filepath.Join(filepath.Dir(self), execinit.Name)
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	p, _ := exec.LookPath(execinit.Name)
	return p
}
