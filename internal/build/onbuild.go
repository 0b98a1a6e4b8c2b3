package build

import (
	"context"
	"fmt"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/parser"

	"github.com/wharf/wharf/internal/errs"
)

// runTriggers runs the ONBUILD triggers of the stage's base image right
// after FROM, as docker does; they do not pass on to the new image.
func (r *run) runTriggers(ctx context.Context, st *stageState) error {
	triggers := st.cfg.OnBuild
	if len(triggers) == 0 {
		return nil
	}
	st.cfg.OnBuild = nil
	s := ""
	if len(triggers) > 1 {
		s = "s"
	}
	fmt.Fprintf(r.out, "# Executing %d build trigger%s\n", len(triggers), s)
	for _, t := range triggers {
		c, err := parseTrigger(t)
		if err != nil {
			return err
		}
		if err := r.dispatch(ctx, st, c); err != nil {
			return err
		}
	}
	return nil
}

// parseTrigger parses one ONBUILD trigger. The parser refuses ONBUILD
// ONBUILD, ONBUILD FROM and ONBUILD MAINTAINER in a Dockerfile, but a base
// image's triggers may come from elsewhere (commit --change, import -c).
func parseTrigger(expr string) (instructions.Command, error) {
	res, err := parser.Parse(strings.NewReader(expr))
	if err != nil {
		return nil, errs.Invalid("ONBUILD trigger %q: %v", expr, err)
	}
	if len(res.AST.Children) != 1 {
		return nil, errs.Invalid("onbuild trigger should be a single expression")
	}
	switch name := strings.ToUpper(res.AST.Children[0].Value); name {
	case "ONBUILD":
		return nil, errs.Invalid("Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed")
	case "FROM", "MAINTAINER":
		return nil, errs.Invalid("%s isn't allowed as an ONBUILD trigger", name)
	}
	c, err := instructions.ParseCommand(res.AST.Children[0])
	if err != nil {
		return nil, errs.Invalid("%s", parseErrorText(err))
	}
	return c, nil
}
