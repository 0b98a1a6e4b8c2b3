package system

import (
	"context"

	"github.com/moby/moby/api/types/container"
	imagetypes "github.com/moby/moby/api/types/image"
	"github.com/moby/moby/api/types/system"
	"github.com/moby/moby/api/types/volume"

	"github.com/wharf/wharf/internal/api/backend"
	"github.com/wharf/wharf/internal/filters"
)

// Backend answers /info and /version.
type Backend interface {
	Info(ctx context.Context) (system.Info, error)
	Version(ctx context.Context) (system.VersionResponse, error)
}

// ContainerLister lists containers with their sizes, for GET /system/df.
type ContainerLister interface {
	List(ctx context.Context, o backend.ContainerListOptions) ([]container.Summary, error)
}

// ImageLister lists images and measures their layers, for GET /system/df.
type ImageLister interface {
	List(ctx context.Context, f filters.Args) ([]imagetypes.Summary, error)
	// LayersSize is every stored layer's size, each once, those no
	// image names included (a crash's leftovers until the next start).
	LayersSize(ctx context.Context) (int64, error)
}

// VolumeLister lists volumes and measures them, for GET /system/df.
type VolumeLister interface {
	List(ctx context.Context, f filters.Args) (volume.ListResponse, error)
	Size(ctx context.Context, name string) int64
}

// DiskUsage is what GET /system/df reads: the container, image and volume
// services.
type DiskUsage struct {
	Containers ContainerLister
	Images     ImageLister
	Volumes    VolumeLister
}
