package daemon

import (
	"context"
	"io"
	"strings"

	"github.com/distribution/reference"
	"github.com/moby/moby/api/types/events"
	imagetypes "github.com/moby/moby/api/types/image"
	"github.com/moby/moby/client/pkg/progress"

	wevents "github.com/wharf/wharf/internal/events"
	"github.com/wharf/wharf/internal/image"
)

// imageEvents is the image service as the API sees it: what changes the
// image store is also published on the event bus, as dockerd does. Every
// other method is the service's own.
type imageEvents struct {
	*image.Service
	bus *wevents.Bus
}

func (i imageEvents) log(action events.Action, id, name string) {
	i.bus.Log(events.ImageEventType, action, id, map[string]string{"name": name})
}

// idOf is ref's image id, or ref itself when it names no image.
func (i imageEvents) idOf(ctx context.Context, ref string) string {
	if img, err := i.Get(ctx, ref); err == nil {
		return img.ID
	}
	return ref
}

func (i imageEvents) Tag(ctx context.Context, ref, repo, tag string) error {
	if err := i.Service.Tag(ctx, ref, repo, tag); err != nil {
		return err
	}
	name := familiar(repo, tag)
	i.log(events.ActionTag, i.idOf(ctx, name), name)
	return nil
}

func (i imageEvents) Delete(ctx context.Context, ref string, force, noprune bool) ([]imagetypes.DeleteResponse, error) {
	id := i.idOf(ctx, ref)
	resp, err := i.Service.Delete(ctx, ref, force, noprune)
	for _, r := range resp {
		if r.Untagged != "" {
			i.log(events.ActionUnTag, id, r.Untagged)
		}
		if r.Deleted != "" {
			i.log(events.ActionDelete, r.Deleted, r.Deleted)
		}
	}
	return resp, err
}

func (i imageEvents) Import(ctx context.Context, src io.Reader, repo, tag, msg string, changes []string) (string, error) {
	id, err := i.Service.Import(ctx, src, repo, tag, msg, changes)
	if err != nil {
		return id, err
	}
	name := id
	if repo != "" {
		name = familiar(repo, tag)
	}
	i.log(events.ActionImport, id, name)
	return id, nil
}

func (i imageEvents) Load(ctx context.Context, src io.Reader, report func(line string)) error {
	var loaded []string
	err := i.Service.Load(ctx, src, func(line string) {
		if name, ok := strings.CutPrefix(line, "Loaded image: "); ok {
			loaded = append(loaded, strings.TrimSpace(name))
		} else if id, ok := strings.CutPrefix(line, "Loaded image ID: "); ok {
			loaded = append(loaded, strings.TrimSpace(id))
		}
		report(line)
	})
	for _, name := range loaded {
		i.log(events.ActionLoad, i.idOf(ctx, name), name)
	}
	return err
}

func (i imageEvents) Save(ctx context.Context, refs []string, w io.Writer) error {
	if err := i.Service.Save(ctx, refs, w); err != nil {
		return err
	}
	for _, ref := range refs {
		i.log(events.ActionSave, i.idOf(ctx, ref), ref)
	}
	return nil
}

func (i imageEvents) Pull(ctx context.Context, ref image.Reference, o image.PullOptions, out progress.Output) error {
	if err := i.Service.Pull(ctx, ref, o, out); err != nil {
		return err
	}
	i.log(events.ActionPull, reference.FamiliarString(ref), reference.FamiliarName(ref))
	return nil
}

func (i imageEvents) PullAllTags(ctx context.Context, repo image.Reference, o image.PullOptions, out progress.Output) error {
	if err := i.Service.PullAllTags(ctx, repo, o, out); err != nil {
		return err
	}
	i.log(events.ActionPull, reference.FamiliarName(repo), reference.FamiliarName(repo))
	return nil
}

func (i imageEvents) Push(ctx context.Context, repo, tag string, o image.PushOptions, out progress.Output) error {
	if err := i.Service.Push(ctx, repo, tag, o, out); err != nil {
		return err
	}
	i.log(events.ActionPush, familiar(repo, tag), familiar(repo, ""))
	return nil
}

// familiar is repo:tag as docker shows it ("busybox:latest").
func familiar(repo, tag string) string {
	named, err := reference.ParseNormalizedNamed(repo)
	if err != nil {
		return repo
	}
	if tag != "" {
		if tagged, err := reference.WithTag(named, tag); err == nil {
			named = tagged
		}
	}
	return reference.FamiliarString(reference.TagNameOnly(named))
}
