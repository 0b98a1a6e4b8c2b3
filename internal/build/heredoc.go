package build

import (
	"context"
	"os"
	"path/filepath"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/shell"

	"github.com/wharf/wharf/internal/errs"
)

// copyInline is COPY with heredoc sources (COPY <<EOF /path): each
// heredoc becomes a file named after its delimiter, mode 0644, its
// variables expanded unless the delimiter was quoted, then copied like a
// file of the context.
func (r *run) copyInline(ctx context.Context, st *stageState, c *instructions.CopyCommand) error {
	if len(c.SourcePaths) > 0 || c.From != "" {
		return errs.Invalid("COPY: heredocs cannot be mixed with other sources by this builder")
	}
	lex := r.lex()
	lex.SkipProcessQuotes = true
	vars := append(proxyEnv(st, r.buildArgs), st.env()...)
	if err := c.ExpandRaw(func(word string) (string, error) {
		out, _, err := lex.ProcessWord(word, shell.EnvsFromSlice(vars))
		return out, err
	}); err != nil {
		return errs.Invalid("%v", err)
	}
	dir, err := os.MkdirTemp(r.b.tmp, "inline-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	var names []string
	for _, sc := range c.SourceContents {
		name, ok := cleanRel(sc.Path)
		if !ok || name == "." || strings.Contains(name, "/") {
			return errs.Invalid("COPY: invalid heredoc name %q", sc.Path)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(sc.Data), 0o644); err != nil {
			return err
		}
		names = append(names, name)
	}
	// The files are the context of this one step.
	inline := *r
	inline.contextDir = dir
	return inline.copyStep(ctx, st, copySpec{sources: names, dest: c.DestPath, chown: c.Chown, chmod: c.Chmod})
}
