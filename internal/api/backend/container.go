package backend

import (
	"errors"
	"io"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/wharf/wharf/internal/filters"
)

// ContainerCreateOptions is the body of POST /containers/create plus its name.
type ContainerCreateOptions struct {
	Name             string
	Config           *container.Config
	HostConfig       *container.HostConfig
	NetworkingConfig *network.NetworkingConfig
	// Platform, when the client asks for one (API 1.41+), is the
	// platform the image must be for.
	Platform *ocispec.Platform
}

// ContainerListOptions are the query parameters of GET /containers/json.
type ContainerListOptions struct {
	All     bool
	Limit   int
	Size    bool
	Filters filters.Args
}

// ContainerStopOptions are the query parameters of POST /containers/{id}/stop
// and /restart.
type ContainerStopOptions struct {
	Signal  string
	Timeout *int // seconds; nil means the container's or docker's default; -1 waits forever
}

// ContainerRemoveOptions are the query parameters of DELETE /containers/{id}.
type ContainerRemoveOptions struct {
	Force         bool
	RemoveVolumes bool
}

// ContainerWaitResult is what POST /containers/{id}/wait returns.
type ContainerWaitResult struct {
	StatusCode int64
	Err        error
}

// ContainerLogsOptions are the query parameters of GET /containers/{id}/logs.
type ContainerLogsOptions struct {
	Stdout, Stderr bool
	Since, Until   time.Time
	Timestamps     bool
	Tail           int // -1 for all
	Follow         bool
	Details        bool // the log driver's extra attributes before each line
}

// ContainerAttachOptions describe one client joining a container's stdio.
type ContainerAttachOptions struct {
	Stdin          io.Reader // nil unless the client sends stdin
	Stdout, Stderr io.Writer // nil for streams the client does not want
	Logs           bool      // replay the log first
	Stream         bool      // then follow the live streams
	DetachKeys     []byte    // a key sequence that ends the attach (TTY only)
}

// ErrDetached ends an attach whose client typed the detach keys: the
// attach ended as asked, not in failure.
var ErrDetached = errors.New("detached from container")

// ContainerStatsOptions are the query parameters of GET /containers/{id}/stats.
type ContainerStatsOptions struct {
	Stream  bool
	OneShot bool // with Stream false: no second sample, so no precpu_stats
}

// ContainerExtractOptions are the query parameters of PUT /containers/{id}/archive.
type ContainerExtractOptions struct {
	NoOverwriteDirNonDir bool
	CopyUIDGID           bool
}

// ContainerCommitOptions are the query parameters and body of POST /commit.
type ContainerCommitOptions struct {
	Repo, Tag, Comment, Author string
	Changes                    []string
	Pause                      bool
	Config                     *container.Config // fields set here override the container's
}

// ExecStartOptions carry the client's streams for an exec.
type ExecStartOptions struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer // the same writer for a TTY
	Detach         bool
	ConsoleSize    *[2]uint
}
