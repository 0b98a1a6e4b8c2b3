package container

import (
	"context"
	"io"

	"github.com/moby/moby/api/types/container"

	"github.com/wharf/wharf/internal/api/backend"
	"github.com/wharf/wharf/internal/filters"
)

// stateBackend creates containers and moves them through their lifecycle.
type stateBackend interface {
	Create(ctx context.Context, o backend.ContainerCreateOptions) (container.CreateResponse, error)
	Start(ctx context.Context, ref string) error
	Stop(ctx context.Context, ref string, o backend.ContainerStopOptions) error
	Restart(ctx context.Context, ref string, o backend.ContainerStopOptions) error
	Kill(ctx context.Context, ref, signal string) error
	Remove(ctx context.Context, ref string, o backend.ContainerRemoveOptions) error
	RemoveLink(ctx context.Context, name string) error
	Wait(ctx context.Context, ref string, condition container.WaitCondition) (<-chan backend.ContainerWaitResult, error)
	Rename(ctx context.Context, ref, name string) error
	Pause(ctx context.Context, ref string) error
	Unpause(ctx context.Context, ref string) error
	Update(ctx context.Context, ref string, u container.UpdateConfig) (container.UpdateResponse, error)
	Resize(ctx context.Context, ref string, height, width uint) error
}

// monitorBackend reports on containers.
type monitorBackend interface {
	List(ctx context.Context, o backend.ContainerListOptions) ([]container.Summary, error)
	Inspect(ctx context.Context, ref string, size bool) (container.InspectResponse, error)
	Top(ctx context.Context, ref, psArgs string) (container.TopResponse, error)
	Stats(ctx context.Context, ref string, o backend.ContainerStatsOptions, out func(container.StatsResponse) error) error
	Changes(ctx context.Context, ref string) ([]container.FilesystemChange, error)
}

// streamBackend joins a container's output and stdio. IsTTY (LogsTTY for
// logs, which also says whether the log can be read back) tells which
// framing the streams get before they start.
type streamBackend interface {
	IsTTY(ref string) (bool, error)
	LogsTTY(ref string) (bool, error)
	Logs(ctx context.Context, ref string, stdout, stderr io.Writer, o backend.ContainerLogsOptions) (bool, error)
	Attach(ctx context.Context, ref string, o backend.ContainerAttachOptions) error
}

// copyBackend copies files in and out of a container (docker cp, export).
type copyBackend interface {
	StatPath(ctx context.Context, ref, path string) (container.PathStat, error)
	ArchivePath(ctx context.Context, ref, path string) (io.ReadCloser, container.PathStat, error)
	ExtractToDir(ctx context.Context, ref, path string, content io.Reader, o backend.ContainerExtractOptions) error
	Export(ctx context.Context, ref string) (io.ReadCloser, error)
}

// commitBackend makes an image of a container (POST /commit).
type commitBackend interface {
	Commit(ctx context.Context, ref string, o backend.ContainerCommitOptions) (string, error)
}

// pruneBackend removes stopped containers (POST /containers/prune).
type pruneBackend interface {
	Prune(ctx context.Context, f filters.Args) (container.PruneReport, error)
}

// Backend is what the container routes need; the container service
// implements it.
type Backend interface {
	stateBackend
	monitorBackend
	streamBackend
	copyBackend
	commitBackend
	pruneBackend
}
