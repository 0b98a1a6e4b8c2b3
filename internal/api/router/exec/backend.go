package exec

import (
	"context"

	"github.com/moby/moby/api/types/container"

	"github.com/wharf/wharf/internal/api/backend"
)

// Backend is what the exec routes need; the container service implements
// it, as execs belong to their container.
type Backend interface {
	ExecCreate(ctx context.Context, ref string, cfg container.ExecCreateRequest) (string, error)
	ExecStart(ctx context.Context, id string, o backend.ExecStartOptions) error
	ExecInspect(ctx context.Context, id string) (container.ExecInspectResponse, error)
	ExecIsTTY(id string) (bool, error)
	ExecResize(ctx context.Context, id string, height, width uint) error
}
