package registry

import (
	"context"
	"encoding/json"
	"os"

	"github.com/opencontainers/go-digest"

	"github.com/wharf/wharf/internal/store/content"
)

// GCResult is what a garbage collection removed.
type GCResult struct {
	Blobs []digest.Digest
	Bytes int64
}

// GarbageCollect removes blobs that no manifest of any repository refers
// to (untagged manifests are kept: they stay pullable by digest). Run it
// while the registry is not serving: a push in progress could lose a blob
// it uploaded but has not yet referenced.
func (s *Store) GarbageCollect(ctx context.Context, dryRun bool) (GCResult, error) {
	used := map[digest.Digest]bool{}
	for _, repo := range s.repositories() {
		des, err := os.ReadDir(s.repoPath(repo, "_manifests"))
		if err != nil {
			return GCResult{}, err
		}
		for _, de := range des {
			d, ok := keyDigest(de.Name())
			if !ok {
				continue
			}
			used[d] = true
			b, err := content.ReadBlob(ctx, s.blobs, d)
			if err != nil {
				continue
			}
			var m manifestFields
			if json.Unmarshal(b, &m) != nil {
				continue
			}
			if m.Config != nil {
				used[m.Config.Digest] = true
			}
			for _, l := range m.Layers {
				used[l.Digest] = true
			}
			for _, c := range m.Manifests {
				used[c.Digest] = true
			}
		}
		if err := ctx.Err(); err != nil {
			return GCResult{}, err
		}
	}
	var res GCResult
	err := s.blobs.Walk(ctx, func(i content.Info) error {
		if !used[i.Digest] {
			res.Bytes += i.Size
			res.Blobs = append(res.Blobs, i.Digest)
		}
		return nil
	})
	if err != nil || dryRun {
		return res, err
	}
	for _, d := range res.Blobs {
		if err := s.blobs.Delete(ctx, d); err != nil {
			return res, err
		}
	}
	// Drop the repositories' links to removed blobs.
	for _, repo := range s.repositories() {
		links, _ := os.ReadDir(s.repoPath(repo, "_blobs"))
		for _, l := range links {
			if d, ok := keyDigest(l.Name()); !ok || !s.blobAnywhere(ctx, d) {
				os.Remove(s.repoPath(repo, "_blobs", l.Name()))
			}
		}
	}
	return res, nil
}
