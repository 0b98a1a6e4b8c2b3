package container

import (
	"context"
	"errors"
	"io"
	"maps"
	"slices"
	"strings"

	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	"github.com/moby/moby/api/types/container"

	"github.com/wharf/wharf/internal/api/backend"
	"github.com/wharf/wharf/internal/errs"
	"github.com/wharf/wharf/internal/image"
)

// Committer makes an image of a parent image and one more layer; the
// image store provides it.
type Committer interface {
	Commit(ctx context.Context, parentID string, layer io.Reader, o image.CommitOptions) (string, error)
}

// CommitOptions are the query parameters and body of POST /commit (the API
// layer's type).
type CommitOptions = backend.ContainerCommitOptions

// Commit is POST /commit: a new image made of the container's image and
// its writable layer, whiteouts turned into ".wh." entries. It returns
// the image ID.
func (s *Service) Commit(ctx context.Context, ref string, o CommitOptions) (string, error) {
	committer, ok := s.cfg.Images.(Committer)
	if !ok {
		return "", errs.Invalid("commit is not supported by this image store")
	}
	c, err := s.get(ref)
	if err != nil {
		return "", err
	}
	c.mu.Lock()
	pause := o.Pause && c.State.Running && !c.State.Paused
	c.mu.Unlock()
	if pause {
		s.markPausedForCommit(c, true)
		err := s.Pause(ctx, c.ID)
		// One that has just exited is committed stopped, as dockerd does.
		pause = err == nil
		if err != nil {
			s.markPausedForCommit(c, false)
		}
		if err != nil && !errors.Is(err, errNotRunning) {
			return "", err
		}
	}
	if pause {
		defer func() {
			if err := s.Unpause(context.WithoutCancel(ctx), c.ID); err != nil {
				s.log.Warn("unpause after commit", "id", c.ID, "err", err)
			}
			s.markPausedForCommit(c, false)
		}()
	}

	c.mu.Lock()
	defer c.mu.Unlock()
	if c.removed || c.State.Status == container.StateRemoving {
		return "", errs.NotFound("No such container: %s", ref)
	}
	layer, err := s.layerDiff(ctx, c)
	if err != nil {
		return "", err
	}
	defer layer.Close()
	return committer.Commit(ctx, c.ImageID, layer, image.CommitOptions{
		Repo:      o.Repo,
		Tag:       o.Tag,
		Comment:   o.Comment,
		Author:    o.Author,
		CreatedBy: strings.Join(c.Config.Cmd, " "),
		Config:    imageConfig(c.Config, o.Config),
		Changes:   o.Changes,
	})
}

// imageConfig is the image configuration of a container's cfg, with the
// fields that override sets replacing cfg's.
func imageConfig(cfg, override *container.Config) dockerspec.DockerOCIImageConfig {
	var ic dockerspec.DockerOCIImageConfig
	if cfg == nil {
		return ic
	}
	ic.User = cfg.User
	ic.Env = slices.Clone(cfg.Env)
	ic.Entrypoint = slices.Clone(cfg.Entrypoint)
	ic.Cmd = slices.Clone(cfg.Cmd)
	ic.WorkingDir = cfg.WorkingDir
	ic.Labels = maps.Clone(cfg.Labels)
	ic.StopSignal = cfg.StopSignal
	ic.Volumes = maps.Clone(cfg.Volumes)
	ic.Healthcheck = cfg.Healthcheck
	ic.OnBuild = slices.Clone(cfg.OnBuild)
	ic.Shell = slices.Clone(cfg.Shell)
	for p := range cfg.ExposedPorts {
		if ic.ExposedPorts == nil {
			ic.ExposedPorts = map[string]struct{}{}
		}
		ic.ExposedPorts[p.String()] = struct{}{}
	}
	if override != nil {
		if override.User != "" {
			ic.User = override.User
		}
		if len(override.Env) > 0 {
			ic.Env = override.Env
		}
		if len(override.Entrypoint) > 0 {
			ic.Entrypoint = override.Entrypoint
		}
		if len(override.Cmd) > 0 {
			ic.Cmd = override.Cmd
		}
		if override.WorkingDir != "" {
			ic.WorkingDir = override.WorkingDir
		}
		if len(override.Labels) > 0 {
			ic.Labels = override.Labels
		}
	}
	return ic
}

// markPausedForCommit records that a commit is about to freeze c (or has
// thawed it), before it does, so that a crash meanwhile is undone at the
// next start (reconcilePause).
func (s *Service) markPausedForCommit(c *Container, on bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.PausedForCommit != on {
		c.PausedForCommit = on
		s.save(c)
	}
}
