// Package executor runs swarmkit tasks as Wharf containers: swarmkit's
// agent asks the Executor for a Controller per task, and each controller
// drives one container named <service>.<slot>.<task ID> through the
// container service, as dockerd's daemon/cluster/executor/container
// does. Because Wharf's containers outlive wharfd, a restarted agent
// finds its tasks' containers by name (Prepare's create conflicts and
// Start sees a running container) and waits on them instead of making
// new ones.
package executor

import (
	"context"
	"errors"
	"log/slog"
	goruntime "runtime"
	"sort"
	"sync"

	"github.com/moby/swarmkit/v2/agent"
	"github.com/moby/swarmkit/v2/agent/exec"
	"github.com/moby/swarmkit/v2/api"
	"github.com/moby/swarmkit/v2/template"
)

// Config is what the executor runs tasks with.
type Config struct {
	Hostname      string // the node's name in `node ls`
	EngineVersion string
	NCPU          int
	MemTotal      int64
	Labels        map[string]string // engine labels (node.platform constraints read them)
	// TaskRoot holds each task's secret and config files, on a tmpfs
	// (see files.go): <exec root>/swarm/tasks.
	TaskRoot   string
	Containers Containers
	Images     Images
	Overlay    Overlay // nil: tasks get no overlay interfaces
	Log        *slog.Logger
}

// Executor is swarmkit's exec.Executor over Wharf's services.
//
// Lock order: mu guards the node description and the tmpfs check and is
// held for no call to another service; controllers call the container and image services, which never
// call back.
type Executor struct {
	cfg  Config
	deps exec.DependencyManager

	mu         sync.Mutex
	node       *api.NodeDescription
	tmpfsReady bool // TaskRoot is a tmpfs

	att attachments // network-attachment tasks (attachment.go)
}

var _ exec.Executor = (*Executor)(nil)

// New returns an executor over cfg.
func New(cfg Config) *Executor {
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	return &Executor{cfg: cfg, deps: agent.NewDependencyManager(nil)}
}

// Describe is this node as the managers see it: name, platform, engine
// and resources, which placement constraints and the scheduler use.
func (e *Executor) Describe(ctx context.Context) (*api.NodeDescription, error) {
	plugins := []api.PluginDescription{
		{Type: "Log", Name: "k8s-file"},
		{Type: "Network", Name: "bridge"},
		{Type: "Network", Name: "host"},
		{Type: "Network", Name: "null"},
		{Type: "Network", Name: "overlay"}, // swarmkit's scheduler places overlay tasks only on nodes listing it
		{Type: "Volume", Name: "local"},
	}
	sort.Slice(plugins, func(i, j int) bool {
		if plugins[i].Type != plugins[j].Type {
			return plugins[i].Type < plugins[j].Type
		}
		return plugins[i].Name < plugins[j].Name
	})
	d := &api.NodeDescription{
		Hostname: e.cfg.Hostname,
		Platform: &api.Platform{Architecture: archName(), OS: "linux"},
		Engine: &api.EngineDescription{
			EngineVersion: e.cfg.EngineVersion,
			Labels:        e.cfg.Labels,
			Plugins:       plugins,
		},
		Resources: &api.Resources{NanoCPUs: int64(e.cfg.NCPU) * 1e9, MemoryBytes: e.cfg.MemTotal},
	}
	e.mu.Lock()
	e.node = d
	e.mu.Unlock()
	return d, nil
}

// archName is the architecture as docker reports it (uname -m), which
// constraints like node.platform.arch==x86_64 match.
func archName() string {
	switch goruntime.GOARCH {
	case "amd64":
		return "x86_64"
	case "arm64":
		return "aarch64"
	}
	return goruntime.GOARCH
}

// Configure is called with this node's object: its address is where
// the overlay peer table is gossiped and VXLAN traffic arrives.
func (e *Executor) Configure(ctx context.Context, node *api.Node) error {
	e.configureOverlay(node)
	e.configureIngress(ctx, node)
	return nil
}

// SetNetworkBootstrapKeys receives the overlay encryption keys, which
// have no use until overlay networks exist.
func (e *Executor) SetNetworkBootstrapKeys([]*api.EncryptionKey) error { return nil }

// Secrets is the agent's store of the secrets assigned to this node.
func (e *Executor) Secrets() exec.SecretsManager { return e.deps.Secrets() }

// Configs is the agent's store of the configs assigned to this node.
func (e *Executor) Configs() exec.ConfigsManager { return e.deps.Configs() }

// Volumes is the agent's store of cluster volumes (none run here).
func (e *Executor) Volumes() exec.VolumesManager { return e.deps.Volumes() }

// Controller returns the controller of task t.
func (e *Executor) Controller(t *api.Task) (exec.Controller, error) {
	if t.Spec.GetAttachment() != nil {
		return &attachController{e: e, task: t, closed: make(chan struct{})}, nil
	}
	if t.Spec.GetContainer() == nil {
		return nil, exec.ErrRuntimeUnsupported
	}
	e.mu.Lock()
	node := e.node
	e.mu.Unlock()
	deps := template.NewTemplatedDependencyGetter(agent.Restrict(e.deps, t), t, node)
	return newController(e, t, node, deps)
}

// taskRootReady makes sure the task files' root is a tmpfs, once.
func (e *Executor) taskRootReady() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.tmpfsReady {
		return nil
	}
	if e.cfg.TaskRoot == "" {
		return errors.New("secrets and configs are not available: no task root")
	}
	if err := ensureTmpfs(e.cfg.TaskRoot); err != nil {
		return err
	}
	e.tmpfsReady = true
	return nil
}
