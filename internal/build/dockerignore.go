package build

import (
	"archive/tar"
	"bytes"
	"errors"
	"path"
	"path/filepath"
	"strings"

	"github.com/moby/patternmatcher"
	"github.com/moby/patternmatcher/ignorefile"

	"github.com/wharf/wharf/internal/errs"
)

// readIgnore reads the context's .dockerignore; a missing file is no
// patterns.
func readIgnore(ix *contextIndex) ([]string, error) {
	b, err := ix.readFile(".dockerignore")
	if errors.Is(err, errNotExist) {
		return nil, nil
	}
	if errors.Is(err, errFileTooLarge) {
		return nil, tooLarge(".dockerignore", maxFileSize)
	}
	var patterns []string
	if err == nil {
		patterns, err = ignorefile.ReadAll(bytes.NewReader(b))
	}
	if err != nil {
		return nil, errs.Invalid("reading .dockerignore: %v", err)
	}
	return patterns, nil
}

// applyIgnore removes from the index the entries the .dockerignore
// patterns exclude, as the docker CLI leaves them out of the context it
// sends. keep lists paths (the Dockerfile, .dockerignore) never removed.
func applyIgnore(ix *contextIndex, patterns []string, keep ...string) error {
	if len(patterns) == 0 {
		return nil
	}
	pm, err := patternmatcher.New(patterns)
	if err != nil {
		return err
	}
	kept := map[string]bool{}
	for _, k := range keep {
		kept[path.Clean(filepath.ToSlash(k))] = true
	}
	removed := "" // the last directory removed with all it holds
	for _, name := range ix.sorted() {
		if removed != "" && strings.HasPrefix(name, removed+"/") {
			delete(ix.entries, name)
			continue
		}
		if kept[name] {
			continue
		}
		ignored, err := pm.MatchesOrParentMatches(name)
		if err != nil {
			return err
		}
		if !ignored {
			continue
		}
		if ix.entries[name].typ == tar.TypeDir {
			if pm.Exclusions() && hasExceptionUnder(patterns, name) {
				continue // a "!" pattern may keep something inside
			}
			removed = name
		}
		delete(ix.entries, name)
	}
	ix.names = nil
	return nil
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
