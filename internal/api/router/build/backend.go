package build

import (
	"context"
	"io"

	"github.com/wharf/wharf/internal/api/backend"
)

// Backend runs classic Dockerfile builds; the builder implements it.
type Backend interface {
	Build(ctx context.Context, src io.Reader, o backend.BuildOptions, out io.Writer) (string, error)
}
