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
	buildrouter "github.com/wharf/wharf/internal/api/router/build"
	containerrouter "github.com/wharf/wharf/internal/api/router/container"
	distributionrouter "github.com/wharf/wharf/internal/api/router/distribution"
	eventsrouter "github.com/wharf/wharf/internal/api/router/events"
	execrouter "github.com/wharf/wharf/internal/api/router/exec"
	imagerouter "github.com/wharf/wharf/internal/api/router/image"
	networkrouter "github.com/wharf/wharf/internal/api/router/network"
	swarmrouter "github.com/wharf/wharf/internal/api/router/swarm"
	systemrouter "github.com/wharf/wharf/internal/api/router/system"
	unsupportedrouter "github.com/wharf/wharf/internal/api/router/unsupported"
	volumerouter "github.com/wharf/wharf/internal/api/router/volume"
	"github.com/wharf/wharf/internal/build"
	"github.com/wharf/wharf/internal/config"
	"github.com/wharf/wharf/internal/container"
	"github.com/wharf/wharf/internal/events"
	"github.com/wharf/wharf/internal/execinit"
	"github.com/wharf/wharf/internal/image"
	"github.com/wharf/wharf/internal/inuse"
	"github.com/wharf/wharf/internal/network"
	"github.com/wharf/wharf/internal/network/overlay"
	"github.com/wharf/wharf/internal/runtime"
	"github.com/wharf/wharf/internal/store/content"
	"github.com/wharf/wharf/internal/store/layer"
	"github.com/wharf/wharf/internal/system"
	"github.com/wharf/wharf/internal/volume"
)

// Daemon is wharfd's services, wired, behind the API.
type Daemon struct {
	API *api.Server
	// What a reload changes (reload.go): the settings in force, and the
	// services that take the reloadable ones.
	cfg      config.Config
	images   *image.Service
	system   *system.Service
	networks *network.Service
	cri      *criServer // the kubelet's CRI (cri.go); nil when off
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
		path, env, err := runtimeCommand(name, rc.Path)
		if err != nil {
			log.Debug("runtime not installed", "runtime", name, "path", rc.Path)
			continue
		}
		log.Debug("runtime", "name", name, "path", path, "env", env)
		runtimes[name] = &runtime.Runtime{
			Name: name, Path: path, Conmon: conmon, Log: log,
			Root: filepath.Join(cfg.ExecRoot, "runtime", name),
			Args: rc.RuntimeArgs, Env: env,
		}
	}
	// The configured default, else wharfd's choice (kept out of cfg, which
	// a reload compares with daemon.json).
	defaultRuntime := cfg.DefaultRuntime
	if defaultRuntime == "" {
		defaultRuntime = chooseDefaultRuntime(ctx, runtimes, log)
	}
	log.Debug("default runtime", "name", defaultRuntime)
	if _, ok := runtimes[defaultRuntime]; !ok {
		return nil, fmt.Errorf("default runtime %q not found (install runc)", defaultRuntime)
	}
	// Which containers use which images and volumes: written by the
	// container service, read by the image and volume services.
	uses := inuse.New()
	// Every service publishes its own events on the bus.
	bus := events.New()
	images, layers, err := openImages(cfg, uses, bus, log)
	if err != nil {
		return nil, err
	}
	volumes, err := volume.New(volume.Config{Root: filepath.Join(cfg.Root, "volumes"), Users: uses, Events: bus, Log: log})
	if err != nil {
		return nil, fmt.Errorf("volumes: %w", err)
	}
	networks, err := newNetworks(ctx, cfg, bus, log)
	if err != nil {
		return nil, err
	}
	// The overlay data plane serves swarm tasks and containers on
	// attachable overlay networks alike.
	ov := overlay.NewNode(overlay.NodeConfig{Root: filepath.Join(cfg.ExecRoot, "overlay"), NoIPTables: !cfg.Network.IPTables, Log: log})
	attachable := newOverlayNetworks(networks, ov, filepath.Join(cfg.ExecRoot, "overlay-attach"), log)
	execInit := findExecInit()
	execInitSkip := map[string]bool{}
	for name, rt := range runtimes {
		execInitSkip[name] = setsExecLimits(ctx, rt.Path, rt.Env)
	}
	if execInit == "" {
		log.Warn(execinit.Name + " not found beside wharfd or in $PATH: with runc before 1.1.13, exec'd processes may get a soft nofile limit as high as the hard one")
	}
	containers, err := container.New(ctx, container.Config{
		Root:           filepath.Join(cfg.Root, "containers"),
		RunRoot:        filepath.Join(cfg.ExecRoot, "containers"),
		Runtimes:       containerRuntimes(runtimes),
		DefaultRuntime: defaultRuntime,
		CgroupParent:   cfg.CgroupParent,
		DefaultUlimits: cfg.DefaultUlimits,
		Defaults:       containerDefaults(cfg),
		ExecInit:       execInit,
		ExecInitSkip:   execInitSkip,
		Images:         images,
		Layers:         layers,
		Networks:       attachable,
		Volumes:        volumes,
		Uses:           uses,
		Log:            log,
		Events:         bus,
	})
	if err != nil {
		return nil, fmt.Errorf("containers: %w", err)
	}
	builder, err := build.New(filepath.Join(cfg.Root, "build"), images, containers, log)
	if err != nil {
		return nil, fmt.Errorf("builder: %w", err)
	}
	runtimePaths := map[string]string{}
	for name, rt := range runtimes {
		runtimePaths[name] = rt.Path
	}
	swarm, err := newCluster(ctx, cfg, containers, images, ov, attachable, log)
	if err != nil {
		return nil, err
	}
	sys := system.New(system.Config{
		Root: cfg.Root, DefaultRuntime: defaultRuntime, Runtimes: runtimePaths, Debug: cfg.Debug,
		Containers: containers, Images: images, Swarm: swarm,
	})
	criSrv, err := newCRI(ctx, cfg, runtimePaths, defaultRuntime, containers, images, bus, log)
	if err != nil {
		return nil, fmt.Errorf("cri: %w", err)
	}
	d := &Daemon{cfg: cfg, images: images, system: sys, networks: networks, cri: criSrv}
	d.apply(cfg)
	// Each router gets its service explicitly: a service that lacks a
	// method its router's backend needs does not compile.
	d.API = api.New(log,
		containerrouter.NewRouter(containers, log),
		execrouter.NewRouter(containers),
		imagerouter.NewRouter(images, log),
		networkrouter.NewRouter(swarmNetworks{Service: networks, swarm: swarm, ov: ov, containers: containers, attachable: attachable}, containers),
		volumerouter.NewRouter(volumes),
		systemrouter.NewRouter(sys, systemrouter.DiskUsage{Containers: containers, Images: images, Volumes: volumes}),
		eventsrouter.NewRouter(bus),
		buildrouter.NewRouter(builder),
		distributionrouter.NewRouter(images),
		unsupportedrouter.NewRouter(),
		swarmrouter.NewRouter(swarm),
	)
	go pruneSeccompCaches(ctx, runtimes, log)
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

// openImages opens the image service over its stores. The blob and layer
// stores share the image service's root, where their files always were;
// the containers' read-write layers stay in the containers' directories.
// Blobs are synced before they are named: an image record that survives a
// power loss must not point at a blob that did not.
func openImages(cfg config.Config, users image.Users, bus events.Logger, log *slog.Logger) (*image.Service, layer.Store, error) {
	root := filepath.Join(cfg.Root, "image")
	blobs, err := content.NewLocal(root, content.LocalOptions{Sync: true})
	if err != nil {
		return nil, nil, fmt.Errorf("content store: %w", err)
	}
	layers, err := layer.NewOverlay(layer.OverlayConfig{Root: root, RWRoot: filepath.Join(cfg.Root, "containers"), Log: log})
	if err != nil {
		return nil, nil, fmt.Errorf("layer store: %w", err)
	}
	images, err := image.New(image.Config{Root: root, Content: blobs, Layers: layers, Users: users, Events: bus, Log: log})
	if err != nil {
		return nil, nil, fmt.Errorf("image store: %w", err)
	}
	return images, layers, nil
}
