package image

import (
	"context"
	"io"

	"github.com/distribution/reference"
	imagetypes "github.com/moby/moby/api/types/image"
	registrytypes "github.com/moby/moby/api/types/registry"
	"github.com/moby/moby/client/pkg/progress"

	"github.com/wharf/wharf/internal/api/backend"
	"github.com/wharf/wharf/internal/filters"
)

// imageBackend reads and changes the images in the store.
type imageBackend interface {
	List(ctx context.Context, f filters.Args) ([]imagetypes.Summary, error)
	ListAll(ctx context.Context, f filters.Args) ([]imagetypes.Summary, error)
	Inspect(ctx context.Context, ref string) (*imagetypes.InspectResponse, error)
	ParentOf(ctx context.Context, id string) string
	History(ctx context.Context, ref string) ([]imagetypes.HistoryResponseItem, error)
	Tag(ctx context.Context, ref, repo, tag string) error
	Delete(ctx context.Context, ref string, force, noprune bool) ([]imagetypes.DeleteResponse, error)
	Prune(ctx context.Context, f filters.Args) (imagetypes.PruneReport, error)
}

// importExportBackend moves images in and out as archives.
type importExportBackend interface {
	Import(ctx context.Context, src io.Reader, repo, tag, msg string, changes []string) (string, error)
	Load(ctx context.Context, src io.Reader, report func(line string)) error
	Save(ctx context.Context, refs []string, w io.Writer) error
}

// registryBackend talks to registries: pull, push and login.
type registryBackend interface {
	Pull(ctx context.Context, ref reference.Named, o backend.ImagePullOptions, out progress.Output) error
	PullAllTags(ctx context.Context, repo reference.Named, o backend.ImagePullOptions, out progress.Output) error
	Push(ctx context.Context, repo, tag string, o backend.ImagePushOptions, out progress.Output) error
	Login(ctx context.Context, ac registrytypes.AuthConfig) (registrytypes.AuthResponse, error)
}

// Backend is what the image routes need; the image service implements it.
type Backend interface {
	imageBackend
	importExportBackend
	registryBackend
}
