package executor

import (
	"context"
	"io"

	"github.com/distribution/reference"
	"github.com/moby/moby/api/types/container"
	imagetypes "github.com/moby/moby/api/types/image"
	"github.com/moby/moby/client/pkg/progress"

	"github.com/wharf/wharf/internal/api/backend"
)

// Containers is what a task needs from the container service: a task is
// an ordinary container, created, started, waited for and removed
// through the same calls the Engine API makes.
type Containers interface {
	Create(ctx context.Context, o backend.ContainerCreateOptions) (container.CreateResponse, error)
	Start(ctx context.Context, ref string) error
	Stop(ctx context.Context, ref string, o backend.ContainerStopOptions) error
	Kill(ctx context.Context, ref, signal string) error
	Remove(ctx context.Context, ref string, o backend.ContainerRemoveOptions) error
	Inspect(ctx context.Context, ref string, size bool) (container.InspectResponse, error)
	Wait(ctx context.Context, ref string, condition container.WaitCondition) (<-chan backend.ContainerWaitResult, error)
	List(ctx context.Context, o backend.ContainerListOptions) ([]container.Summary, error)
	Logs(ctx context.Context, ref string, stdout, stderr io.Writer, o backend.ContainerLogsOptions) (tty bool, err error)
}

// Images is what a task needs from the image service: whether its image
// is here, and a pull when it is not.
type Images interface {
	Inspect(ctx context.Context, ref string) (*imagetypes.InspectResponse, error)
	Pull(ctx context.Context, ref reference.Named, o backend.ImagePullOptions, out progress.Output) error
}
