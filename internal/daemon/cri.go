package daemon

import (
	"context"
	"log/slog"
	"path/filepath"

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

// runtimes are the daemon's OCI runtimes' names (each a runtime handler);
// runtimePath is the default runtime's binary, which runs the pods'
// containers.
func newCRI(ctx context.Context, cfg config.Config, runtimes []string, containers *container.Service, images *image.Service, bus *events.Bus, log *slog.Logger, runtimePath string) (*criServer, error) {
	if !cfg.CRI.Enabled {
		return nil, nil
	}
	srv, err := cri.New(cri.Config{
		Runtimes:      runtimes,
		Root:          filepath.Join(cfg.Root, "cri"),
		RunRoot:       filepath.Join(cfg.ExecRoot, "cri"),
		ImageRoot:     filepath.Join(cfg.Root, "image"),
		CNIConfDir:    cfg.CRI.CNIConfDir,
		CNIBinDirs:    cfg.CRI.CNIBinDirs,
		StreamAddress: cfg.CRI.StreamAddress,
		PauseProgram:  findExecInit(),
		// Pods' user namespaces need ID-mapped mounts from the runtime.
		UserNamespaces: idmapMounts(ctx, runtimePath),
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
