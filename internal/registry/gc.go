package registry

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"

	"github.com/opencontainers/go-digest"
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
			b, err := os.ReadFile(s.blobPath(d))
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
	for _, alg := range []digest.Algorithm{digest.SHA256, digest.SHA512} {
		dir := filepath.Join(s.root, "blobs", alg.String())
		des, err := os.ReadDir(dir)
		if err != nil {
			return res, err
		}
		for _, de := range des {
			if strings.HasPrefix(de.Name(), ".") {
				continue
			}
			d, ok := validDigest(alg.String() + ":" + de.Name())
			if !ok || used[d] {
				continue
			}
			if fi, err := de.Info(); err == nil {
				res.Bytes += fi.Size()
			}
			res.Blobs = append(res.Blobs, d)
			if dryRun {
				continue
			}
			if err := os.Remove(filepath.Join(dir, de.Name())); err != nil {
				return res, err
			}
		}
	}
	if dryRun {
		return res, nil
	}
	// Drop the repositories' links to removed blobs.
	for _, repo := range s.repositories() {
		links, _ := os.ReadDir(s.repoPath(repo, "_blobs"))
		for _, l := range links {
			if d, ok := keyDigest(l.Name()); !ok || !exists(s.blobPath(d)) {
				os.Remove(s.repoPath(repo, "_blobs", l.Name()))
			}
		}
	}
	return res, nil
}
