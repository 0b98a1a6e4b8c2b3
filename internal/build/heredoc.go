package build

import (
	"archive/tar"
	"context"
	"crypto/sha256"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"

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
	// A heredoc is a file's contents: as large as a Dockerfile may be.
	if err := c.ExpandRaw(newWordExpander(lex, vars, maxFileSize).expand); err != nil {
		return errs.Invalid("%v", err)
	}
	// The files are the context of this one step: an index of their own.
	ix := newContextIndex(newSpool(r.b.tmp, memSpoolMax))
	defer ix.close()
	var names []string
	for _, sc := range c.SourceContents {
		name, ok := cleanRel(sc.Path)
		if !ok || name == "." || strings.Contains(name, "/") {
			return errs.Invalid("COPY: invalid heredoc name %q", sc.Path)
		}
		e := &ctxEntry{typ: tar.TypeReg, mode: 0o644, sp: ix.sp, sum: sha256.Sum256([]byte(sc.Data))}
		var err error
		if e.off, e.size, err = ix.sp.append(strings.NewReader(sc.Data), -1); err != nil {
			return err
		}
		if err := ix.put(name, e); err != nil {
			return err
		}
		names = append(names, name)
	}
	inline := *r
	inline.index = ix
	return inline.copyStep(ctx, st, copySpec{sources: names, dest: c.DestPath, chown: c.Chown, chmod: c.Chmod})
}
