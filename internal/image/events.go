package image

import (
	"context"
	"io"
	"strings"

	"github.com/distribution/reference"
	"github.com/moby/moby/api/types/events"
	imagetypes "github.com/moby/moby/api/types/image"
	"github.com/moby/moby/client/pkg/progress"
)

// The verbs that change the store or move images in and out are here,
// each its worker (tagImage in add.go, deleteImage in delete.go, ...) and
// then docker's image event. Whoever calls them, the API or the builder,
// gets the events; the event goes out after the worker has let go of the
// store's lock.

// Tag adds the reference repo:tag to the image ref resolves to.
func (s *Service) Tag(ctx context.Context, ref, repo, tag string) error {
	if err := s.tagImage(ctx, ref, repo, tag); err != nil {
		return err
	}
	name := familiar(repo, tag)
	s.event(events.ActionTag, s.idOf(ctx, name), name)
	return nil
}

// Delete is DELETE /images/{name} (see deleteImage): an untag event for
// each reference removed, a delete event for each image.
func (s *Service) Delete(ctx context.Context, ref string, force, noprune bool) ([]imagetypes.DeleteResponse, error) {
	id := s.idOf(ctx, ref)
	resp, err := s.deleteImage(ctx, ref, force, noprune)
	for _, r := range resp {
		if r.Untagged != "" {
			s.event(events.ActionUnTag, id, r.Untagged)
		}
		if r.Deleted != "" {
			s.event(events.ActionDelete, r.Deleted, r.Deleted)
		}
	}
	return resp, err
}

// Import answers "docker import" (see importImage) and returns the image ID.
func (s *Service) Import(ctx context.Context, src io.Reader, repo, tag, msg string, changes []string) (string, error) {
	id, err := s.importImage(ctx, src, repo, tag, msg, changes)
	if err != nil {
		return id, err
	}
	name := id
	if repo != "" {
		name = familiar(repo, tag)
	}
	s.event(events.ActionImport, id, name)
	return id, nil
}

// Load answers "docker load" (see load); report receives docker's
// "Loaded image: ..." lines, and each image loaded gets a load event.
func (s *Service) Load(ctx context.Context, src io.Reader, report func(line string)) error {
	var loaded []string
	err := s.load(ctx, src, func(line string) {
		if name, ok := strings.CutPrefix(line, "Loaded image: "); ok {
			loaded = append(loaded, strings.TrimSpace(name))
		} else if id, ok := strings.CutPrefix(line, "Loaded image ID: "); ok {
			loaded = append(loaded, strings.TrimSpace(id))
		}
		report(line)
	})
	for _, name := range loaded {
		s.event(events.ActionLoad, s.idOf(ctx, name), name)
	}
	return err
}

// Save answers "docker save" (see save) with a save event for each image.
func (s *Service) Save(ctx context.Context, refs []string, w io.Writer) error {
	if err := s.save(ctx, refs, w); err != nil {
		return err
	}
	for _, ref := range refs {
		s.event(events.ActionSave, s.idOf(ctx, ref), ref)
	}
	return nil
}

// Pull fetches ref from its registry and stores it as an image (see pull).
func (s *Service) Pull(ctx context.Context, ref reference.Named, o PullOptions, out progress.Output) error {
	if err := s.pull(ctx, ref, o, out); err != nil {
		return err
	}
	s.event(events.ActionPull, reference.FamiliarString(ref), reference.FamiliarName(ref))
	return nil
}

// PullAllTags is `pull --all-tags` (see pullAllTags).
func (s *Service) PullAllTags(ctx context.Context, repo reference.Named, o PullOptions, out progress.Output) error {
	if err := s.pullAllTags(ctx, repo, o, out); err != nil {
		return err
	}
	s.event(events.ActionPull, reference.FamiliarName(repo), reference.FamiliarName(repo))
	return nil
}

// Push sends the image(s) named repo to their registry (see push).
func (s *Service) Push(ctx context.Context, repo, tag string, o PushOptions, out progress.Output) error {
	if err := s.push(ctx, repo, tag, o, out); err != nil {
		return err
	}
	s.event(events.ActionPush, familiar(repo, tag), familiar(repo, ""))
	return nil
}

// event publishes an image event with docker's one attribute, the name.
func (s *Service) event(action events.Action, id, name string) {
	if s.events != nil {
		s.events.Log(events.ImageEventType, action, id, map[string]string{"name": name})
	}
}

// idOf is ref's image id, or ref itself when it names no image.
func (s *Service) idOf(ctx context.Context, ref string) string {
	if img, err := s.Get(ctx, ref); err == nil {
		return img.ID
	}
	return ref
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
