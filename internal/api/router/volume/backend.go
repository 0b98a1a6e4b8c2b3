package volume

import (
	"context"

	"github.com/moby/moby/api/types/volume"

	"github.com/wharf/wharf/internal/filters"
)

// Backend is what the volume routes need of the volume service.
type Backend interface {
	Create(ctx context.Context, req volume.CreateRequest) (volume.Volume, error)
	Inspect(ctx context.Context, name string) (volume.Volume, error)
	List(ctx context.Context, f filters.Args) (volume.ListResponse, error)
	Remove(ctx context.Context, name string, force bool) error
	Prune(ctx context.Context, f filters.Args) (volume.PruneReport, error)
}
