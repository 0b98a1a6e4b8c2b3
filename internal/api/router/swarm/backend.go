package swarm

import (
	"context"
	"io"

	types "github.com/moby/moby/api/types/swarm"

	"github.com/wharf/wharf/internal/api/backend"
	"github.com/wharf/wharf/internal/filters"
)

// Cluster is the swarm itself: /swarm.
type Cluster interface {
	Init(ctx context.Context, req types.InitRequest) (string, error)
	Join(ctx context.Context, req types.JoinRequest) error
	Leave(ctx context.Context, force bool) error
	Inspect(ctx context.Context) (types.Swarm, error)
	Update(ctx context.Context, version uint64, spec types.Spec, flags backend.SwarmUpdateFlags) error
	UnlockKey(ctx context.Context) (string, error)
	Unlock(ctx context.Context, req types.UnlockRequest) error
}

// Services are /services and /tasks.
type Services interface {
	Services(ctx context.Context, f filters.Args, status bool) ([]types.Service, error)
	Service(ctx context.Context, ref string, insertDefaults bool) (types.Service, error)
	CreateService(ctx context.Context, spec types.ServiceSpec, encodedAuth string) (types.ServiceCreateResponse, error)
	UpdateService(ctx context.Context, ref string, version uint64, spec types.ServiceSpec, o backend.ServiceUpdateOptions) (types.ServiceUpdateResponse, error)
	RemoveService(ctx context.Context, ref string) error
	Tasks(ctx context.Context, f filters.Args) ([]types.Task, error)
	Task(ctx context.Context, ref string) (types.Task, error)
	// LogsTTY says whether the service's (task false) or task's
	// containers have a TTY, which makes their logs one raw stream.
	LogsTTY(ctx context.Context, ref string, task bool) (bool, error)
	Logs(ctx context.Context, ref string, task bool, o backend.ServiceLogsOptions, stdout, stderr io.Writer) error
}

// Nodes are /nodes.
type Nodes interface {
	Nodes(ctx context.Context, f filters.Args) ([]types.Node, error)
	Node(ctx context.Context, ref string) (types.Node, error)
	UpdateNode(ctx context.Context, ref string, version uint64, spec types.NodeSpec) error
	RemoveNode(ctx context.Context, ref string, force bool) error
}

// Secrets are /secrets.
type Secrets interface {
	Secrets(ctx context.Context, f filters.Args) ([]types.Secret, error)
	Secret(ctx context.Context, ref string) (types.Secret, error)
	CreateSecret(ctx context.Context, spec types.SecretSpec) (string, error)
	UpdateSecret(ctx context.Context, ref string, version uint64, spec types.SecretSpec) error
	RemoveSecret(ctx context.Context, ref string) error
}

// Configs are /configs.
type Configs interface {
	Configs(ctx context.Context, f filters.Args) ([]types.Config, error)
	Config(ctx context.Context, ref string) (types.Config, error)
	CreateConfig(ctx context.Context, spec types.ConfigSpec) (string, error)
	UpdateConfig(ctx context.Context, ref string, version uint64, spec types.ConfigSpec) error
	RemoveConfig(ctx context.Context, ref string) error
}

// Backend is all of Swarm mode's routes.
type Backend interface {
	Cluster
	Services
	Nodes
	Secrets
	Configs
}
