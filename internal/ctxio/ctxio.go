// Package ctxio ties long copies to a context, so a copy stops soon after
// its client goes away instead of running to the end of the stream.
package ctxio

import (
	"context"
	"io"
)

// Reader returns a reader that reads r until ctx is done, then fails with
// ctx's error.
func Reader(ctx context.Context, r io.Reader) io.Reader {
	return reader{ctx, r}
}

type reader struct {
	ctx context.Context
	r   io.Reader
}

func (c reader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
