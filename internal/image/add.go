package image

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/distribution/reference"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	"github.com/opencontainers/go-digest"

	"github.com/wharf/wharf/internal/errs"
)

// addImage registers an image whose layer tars are already in the blob
// store: it extracts the layers, stores the config, writes the image record
// and finally points tags at it. Each step is durable before the next, so a
// crash leaves at worst unreferenced blobs/layers that startup cleans.
// It returns the image ID and, for each tag that moved away from another
// image, that image's ID (keyed by familiar tag).
func (s *Service) addImage(ctx context.Context, rawConfig []byte, tags []reference.NamedTagged) (digest.Digest, map[string]digest.Digest, error) {
	return s.addImageWith(ctx, rawConfig, tags, true, "")
}

// addImageWith is addImage; extract false leaves the layers to be
// extracted when first used (Layers does it); parent, if set, is the
// image this one was built or committed on.
func (s *Service) addImageWith(ctx context.Context, rawConfig []byte, tags []reference.NamedTagged, extract bool, parent digest.Digest) (id digest.Digest, moved map[string]digest.Digest, err error) {
	var created []digest.Digest // layers this call extracted
	defer func() {
		if err != nil {
			s.dropLayersOf(ctx, created)
		}
	}()
	var cfg dockerspec.DockerOCIImage
	if err := json.Unmarshal(rawConfig, &cfg); err != nil {
		return "", nil, errs.Invalid("invalid image config: %v", err)
	}
	if cfg.RootFS.Type != "layers" {
		return "", nil, errs.Invalid("invalid image config: rootfs type %q", cfg.RootFS.Type)
	}
	for _, d := range cfg.RootFS.DiffIDs {
		if err := d.Validate(); err != nil || d.Algorithm() != digest.SHA256 {
			return "", nil, errs.Invalid("invalid image config: bad diff ID %q", d)
		}
		if _, err := s.blobs.Info(ctx, d); err != nil {
			return "", nil, fmt.Errorf("layer %s missing: %w", d, err)
		}
	}
	if extract {
		if created, err = s.createNewLayers(ctx, cfg.RootFS.DiffIDs); err != nil {
			return "", nil, err
		}
	}
	info, err := s.blobs.Put(ctx, bytes.NewReader(rawConfig), "")
	if err != nil {
		return "", nil, err
	}
	id = info.Digest

	s.mu.Lock()
	defer s.mu.Unlock()
	if e := s.images[id]; e != nil {
		// The same step built again: dockerd's builder sets the parent
		// of the image it finds too.
		if parent != "" && parent != id && e.rec.Parent == "" && s.images[parent] != nil {
			e.rec.Parent = parent
			if err := s.writeRecord(id, e.rec); err != nil {
				return "", nil, err
			}
		}
		moved, err = s.tagLocked(e, tags)
		return id, moved, err
	}
	if s.images[parent] == nil {
		parent = "" // removed meanwhile: the image stands alone
	}
	e, err := s.loadEntry(ctx, id, record{Stored: time.Now().UTC(), Parent: parent})
	if err != nil {
		return "", nil, err
	}
	// A new image's tags are saved before its record (tagLocked writes
	// it after the references): a kill between leaves references to a
	// missing image, which startup drops, never an image without the tags
	// it was made for.
	if moved, err = s.tagLocked(e, tags); err != nil {
		return "", nil, err
	}
	if len(tags) == 0 {
		if err := s.writeRecord(id, e.rec); err != nil {
			return "", nil, err
		}
	} else if _, err := os.Stat(s.recordPath(id)); err != nil {
		return "", nil, fmt.Errorf("saving the image record: %w", err)
	}
	s.images[id] = e
	return id, moved, nil
}

// tagLocked points tags at e and persists the references. Caller holds s.mu.
func (s *Service) tagLocked(e *entry, tags []reference.NamedTagged) (map[string]digest.Digest, error) {
	if len(tags) == 0 {
		return nil, nil
	}
	moved := map[string]digest.Digest{}
	for _, t := range tags {
		if old, ok := s.refs.get(t); ok && old != e.id {
			moved[reference.FamiliarString(t)] = old
		}
		s.refs.set(t, e.id)
	}
	if err := s.refs.save(); err != nil {
		return nil, err
	}
	e.rec.LastTagTime = time.Now().UTC()
	// LastTagTime is informational; losing it in a crash is harmless.
	if err := s.writeRecord(e.id, e.rec); err != nil {
		s.log.Warn("saving image record", "id", e.id, "err", err)
	}
	return moved, nil
}

// tagImage adds the reference repo:tag to the image ref resolves to.
func (s *Service) tagImage(ctx context.Context, ref, repo, tag string) error {
	if repo == "" {
		return errs.Invalid("repository name must have at least one component")
	}
	named, err := repoTag(repo, tag)
	if err != nil {
		return errs.Invalid("%v", err)
	}
	if reference.FamiliarName(named) == string(digest.SHA256) {
		return errs.Invalid("refusing to create an ambiguous tag using digest algorithm as name")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	e, err := s.lookup(ref)
	if err != nil {
		return err
	}
	_, err = s.tagLocked(e, []reference.NamedTagged{named})
	return err
}
