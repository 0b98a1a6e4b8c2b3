package daemon

import (
	"context"
	"log/slog"
	"maps"
	"path/filepath"
	"slices"

	"github.com/wharf/wharf/internal/config"
	"github.com/wharf/wharf/internal/container"
	"github.com/wharf/wharf/internal/cri"
	"github.com/wharf/wharf/internal/events"
	"github.com/wharf/wharf/internal/image"
)

// criServer is the kubelet's runtime service over the same container and
// image services as the Engine API; nil when the configuration turns it off.
type criServer struct {
	srv    *cri.Server
	socket string
}

// runtimes are the daemon's OCI runtimes (each a runtime handler), by
// name, with their binaries; defaultRuntime runs the pods' containers.
func newCRI(ctx context.Context, cfg config.Config, runtimes map[string]string, defaultRuntime string, containers *container.Service, images *image.Service, bus *events.Bus, log *slog.Logger) (*criServer, error) {
	if !cfg.CRI.Enabled {
		return nil, nil
	}
	usernsRuntime, userns := podUsernsRuntime(ctx, runtimes, defaultRuntime)
	srv, err := cri.New(cri.Config{
		Runtimes:      slices.Sorted(maps.Keys(runtimes)),
		Root:          filepath.Join(cfg.Root, "cri"),
		RunRoot:       filepath.Join(cfg.ExecRoot, "cri"),
		ImageRoot:     filepath.Join(cfg.Root, "image"),
		CNIConfDir:    cfg.CRI.CNIConfDir,
		CNIBinDirs:    cfg.CRI.CNIBinDirs,
		StreamAddress: cfg.CRI.StreamAddress,
		PauseProgram:  findExecInit(),
		// Pods' user namespaces need ID-mapped mounts from the runtime.
		UserNamespaces: userns,
		UsernsRuntime:  usernsRuntime,
		Containers:     containers,
		Streamer:       containers,
		Resources:      containers,
		Images:         images,
		Events:         bus,
		Log:            log,
	})
	if err != nil {
		return nil, err
	}
	socket := cfg.CRI.Socket
	if socket == "" {
		socket = filepath.Join(cfg.ExecRoot, "cri.sock")
	}
	return &criServer{srv: srv, socket: socket}, nil
}

// podUsernsRuntime is the runtime that runs the containers of pods in
// user namespaces of their own (on the default handlers), and whether
// one can: they need ID-mapped mounts, which runc 1.2 and later say they
// have in `runc features`. The default runtime if it says so, else runc
// (wharf-runc, runc 1.4) beside a default that cannot tell: crun 1.8 has
// no `features`, and its ID-mapped mounts are not those of the OCI spec
// wharf writes (its config.json stays at 1.0 for crun), so such pods
// keep the runtime the suite proves them with.
func podUsernsRuntime(ctx context.Context, runtimes map[string]string, defaultRuntime string) (string, bool) {
	if idmapMounts(ctx, runtimes[defaultRuntime]) {
		return "", true
	}
	if runc, ok := runtimes["runc"]; ok && defaultRuntime != "runc" && idmapMounts(ctx, runc) {
		return "runc", true
	}
	return "", false
}

// ServeCRI opens the CRI socket and serves it until ctx ends; it returns
// at once, with an error only if the socket cannot be opened.
func (d *Daemon) ServeCRI(ctx context.Context, log *slog.Logger) error {
	if d.cri == nil {
		return nil
	}
	ln, err := cri.Listen(d.cri.socket)
	if err != nil {
		return err
	}
	go func() {
		if err := d.cri.srv.Serve(ctx, ln); err != nil {
			log.Error("cri server stopped", "err", err)
		}
	}()
	return nil
}
