package build

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/moby/patternmatcher"
	"github.com/moby/patternmatcher/ignorefile"
)

// readIgnore reads dir/.dockerignore; a missing file is no patterns.
func readIgnore(dir string) ([]string, error) {
	f, err := os.Open(filepath.Join(dir, ".dockerignore"))
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return ignorefile.ReadAll(f)
}

// applyIgnore removes from dir the files the .dockerignore patterns
// exclude, as the docker CLI leaves them out of the context it sends.
// keep lists paths (the Dockerfile, .dockerignore) that are never removed.
func applyIgnore(dir string, patterns []string, keep ...string) error {
	if len(patterns) == 0 {
		return nil
	}
	pm, err := patternmatcher.New(patterns)
	if err != nil {
		return err
	}
	kept := map[string]bool{}
	for _, k := range keep {
		kept[filepath.Clean(k)] = true
	}
	return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if rel == "." || kept[rel] {
			return nil
		}
		ignored, err := pm.MatchesOrParentMatches(filepath.ToSlash(rel))
		if err != nil {
			return err
		}
		if !ignored {
			return nil
		}
		if d.IsDir() {
			if pm.Exclusions() && hasExceptionUnder(patterns, rel) {
				return nil // a "!" pattern may keep something inside
			}
			if err := os.RemoveAll(p); err != nil {
				return err
			}
			return filepath.SkipDir
		}
		return os.Remove(p)
	})
}

// hasExceptionUnder reports whether an exception pattern could match
// something inside directory rel.
func hasExceptionUnder(patterns []string, rel string) bool {
	rel = filepath.ToSlash(rel)
	for _, p := range patterns {
		if !strings.HasPrefix(p, "!") {
			continue
		}
		p = strings.TrimPrefix(filepath.ToSlash(filepath.Clean(strings.TrimPrefix(p, "!"))), "/")
		if strings.ContainsAny(p, "*?[") || strings.HasPrefix(p, rel+"/") {
			return true
		}
	}
	return false
}
