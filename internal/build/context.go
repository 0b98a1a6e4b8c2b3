package build

import (
	"path/filepath"
	"strings"
)

// MaxContextSize bounds the uncompressed size of a build context.
const MaxContextSize = 8 << 30

// cleanRel cleans a slash-separated relative path and reports whether it
// stays inside its root.
func cleanRel(p string) (string, bool) {
	p = filepath.Clean("/" + filepath.FromSlash(p))
	rel := strings.TrimPrefix(p, "/")
	if rel == "" {
		return ".", true
	}
	return rel, rel != ".." && !strings.HasPrefix(rel, "../")
}
