package image

import (
	"context"
	"sort"
	"time"

	"github.com/distribution/reference"
	imagetypes "github.com/moby/moby/api/types/image"
	"github.com/moby/moby/api/types/storage"
	"github.com/opencontainers/go-digest"

	"github.com/wharf/wharf/internal/errs"
	"github.com/wharf/wharf/internal/filters"
)

// created is the image's creation time: from its config, else when stored.
func (e *entry) created() time.Time {
	if e.config.Created != nil {
		return *e.config.Created
	}
	return e.rec.Stored
}

// List answers GET /images/json: the images but the intermediate ones
// (untagged, with children: a classic build's steps), as dockerd lists
// them without all.
func (s *Service) List(ctx context.Context, f filters.Args) ([]imagetypes.Summary, error) {
	return s.list(f, false)
}

// ListAll answers GET /images/json?all=1: List with the intermediate
// images.
func (s *Service) ListAll(ctx context.Context, f filters.Args) ([]imagetypes.Summary, error) {
	return s.list(f, true)
}

func (s *Service) list(f filters.Args, all bool) ([]imagetypes.Summary, error) {
	if err := f.Validate("dangling", "label", "before", "since", "reference", "until"); err != nil {
		return nil, errs.Invalid("%v", err)
	}
	danglingOnly := false
	if f.Has("dangling") {
		switch {
		case f.Exact("dangling", "true") || f.Exact("dangling", "1"):
			danglingOnly = true
		case f.Exact("dangling", "false") || f.Exact("dangling", "0"):
		default:
			return nil, errs.Invalid("Invalid filter 'dangling=%s'", f.Get("dangling")[0])
		}
	}
	until, err := f.Time("until")
	if err != nil {
		return nil, err
	}

	s.mu.RLock()
	defer s.mu.RUnlock()
	var before, since *entry
	for _, v := range f.Get("before") {
		e, err := s.lookup(v)
		if err != nil {
			return nil, err
		}
		before = e
	}
	for _, v := range f.Get("since") {
		e, err := s.lookup(v)
		if err != nil {
			return nil, err
		}
		since = e
	}

	children := s.childCountsLocked()
	out := []imagetypes.Summary{}
	for _, e := range s.images {
		if before != nil && !e.created().Before(before.created()) {
			continue
		}
		if since != nil && !e.created().After(since.created()) {
			continue
		}
		if !until.IsZero() && !e.created().Before(until) {
			continue
		}
		if !f.Labels("label", e.config.Config.Labels) {
			continue
		}
		tags := []string{}
		for _, ref := range s.refs.refsOf(e.id) {
			if f.Has("reference") && !matchesAny(f.Get("reference"), ref) {
				continue
			}
			tags = append(tags, reference.FamiliarString(ref))
		}
		digests := []string{}
		for _, d := range s.refs.digestsOf(e.id) {
			named, err := reference.ParseNormalizedNamed(d)
			if err != nil || (f.Has("reference") && !matchesAny(f.Get("reference"), named)) {
				continue
			}
			digests = append(digests, d)
		}
		if len(tags) == 0 && len(digests) == 0 {
			// Dangling, or intermediate when it has children: shown
			// unless filtered by reference or dangling=false.
			if f.Has("reference") || (f.Has("dangling") && !danglingOnly) || (children[e.id] > 0 && (!all || danglingOnly)) {
				continue
			}
		} else if danglingOnly {
			continue
		}
		out = append(out, imagetypes.Summary{
			ID:          e.id.String(),
			ParentID:    e.rec.Parent.String(),
			RepoTags:    tags,
			RepoDigests: digests,
			Created:     e.created().Unix(),
			Size:        e.size,
			Labels:      e.config.Config.Labels,
			Containers:  int64(len(s.usersOf(e.id))), // -1 before API 1.51 (internal/api/compat)
			SharedSize:  -1,
		})
	}
	// Newest first, as dockerd lists them.
	sort.Slice(out, func(i, j int) bool {
		if out[i].Created != out[j].Created {
			return out[i].Created > out[j].Created
		}
		return out[i].ID < out[j].ID
	})
	return out, nil
}

func matchesAny(patterns []string, ref reference.Named) bool {
	for _, p := range patterns {
		if ok, _ := reference.FamiliarMatch(p, ref); ok {
			return true
		}
	}
	return false
}

// Inspect answers GET /images/{name}/json.
func (s *Service) Inspect(ctx context.Context, ref string) (*imagetypes.InspectResponse, error) {
	s.mu.RLock()
	e, err := s.lookup(ref)
	var tags, digests []string
	if err == nil {
		tags = s.refs.tagsOf(e.id)
		digests = s.refs.digestsOf(e.id)
	}
	s.mu.RUnlock()
	if err != nil {
		return nil, err
	}
	c := e.config
	resp := &imagetypes.InspectResponse{
		ID:           e.id.String(),
		RepoTags:     tags,
		RepoDigests:  digests,
		Author:       c.Author,
		Config:       &c.Config,
		Architecture: c.Architecture,
		Variant:      c.Variant,
		Os:           c.OS,
		OsVersion:    c.OSVersion,
		Size:         e.size,
		RootFS:       imagetypes.RootFS{Type: "layers"},
		Metadata:     imagetypes.Metadata{LastTagTime: e.rec.LastTagTime},
	}
	if resp.Architecture == "" {
		resp.Architecture = "amd64"
	}
	if resp.Os == "" {
		resp.Os = "linux"
	}
	if c.Created != nil {
		resp.Created = c.Created.Format(time.RFC3339Nano)
	}
	if len(c.History) > 0 {
		resp.Comment = c.History[len(c.History)-1].Comment
	}
	for _, d := range c.RootFS.DiffIDs {
		resp.RootFS.Layers = append(resp.RootFS.Layers, d.String())
	}
	resp.GraphDriver = s.graphDriver(e)
	return resp, nil
}

// ParentOf is the image id was built or committed on ("" for none). The
// API's image inspect shows it as Parent; the Go type no longer has it.
func (s *Service) ParentOf(ctx context.Context, id string) string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if e := s.images[digest.Digest(id)]; e != nil {
		return e.rec.Parent.String()
	}
	return ""
}

// graphDriver describes the image's layers the way overlay2 does: the top
// layer as UpperDir, the rest as LowerDir (top first, colon separated).
func (s *Service) graphDriver(e *entry) *storage.DriverData {
	// The paths, without extracting a layer not yet extracted.
	dirs := s.layerDirs(&Image{Config: e.config})
	gd := &storage.DriverData{Name: "overlay2", Data: map[string]string{}}
	if len(dirs) == 0 {
		return gd
	}
	gd.Data["UpperDir"] = dirs[len(dirs)-1]
	lower := ""
	for i := len(dirs) - 2; i >= 0; i-- {
		if lower != "" {
			lower += ":"
		}
		lower += dirs[i]
	}
	if lower != "" {
		gd.Data["LowerDir"] = lower
	}
	return gd
}

// History answers GET /images/{name}/history: one row per history entry,
// newest first; only the top row carries the image ID and tags.
func (s *Service) History(ctx context.Context, ref string) ([]imagetypes.HistoryResponseItem, error) {
	s.mu.RLock()
	e, err := s.lookup(ref)
	var tags []string
	if err == nil {
		tags = s.refs.tagsOf(e.id)
	}
	s.mu.RUnlock()
	if err != nil {
		return nil, err
	}
	diffs := e.config.RootFS.DiffIDs
	var rows []imagetypes.HistoryResponseItem
	layer := 0
	for _, h := range e.config.History {
		row := imagetypes.HistoryResponseItem{ID: "<missing>", CreatedBy: h.CreatedBy, Comment: h.Comment}
		if h.Created != nil {
			row.Created = h.Created.Unix()
		}
		if !h.EmptyLayer && layer < len(diffs) {
			row.Size = s.blobSize(ctx, diffs[layer])
			layer++
		}
		rows = append([]imagetypes.HistoryResponseItem{row}, rows...)
	}
	if len(rows) == 0 {
		rows = []imagetypes.HistoryResponseItem{{Created: e.created().Unix(), Size: e.size}}
	}
	// As dockerd: the rows of the parent chain's images (a build's
	// steps, a commit's base) carry those images' IDs and tags.
	s.mu.RLock()
	defer s.mu.RUnlock()
	for i, img := 0, e; i < len(rows) && img != nil; i++ {
		rows[i].ID = img.id.String()
		if i > 0 {
			rows[i].Tags = s.refs.tagsOf(img.id)
		}
		img = s.images[img.rec.Parent]
	}
	rows[0].Tags = tags
	return rows, nil
}
