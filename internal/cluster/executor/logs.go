package executor

import (
	"bytes"
	"context"
	"fmt"
	"time"

	gogotypes "github.com/gogo/protobuf/types"
	"github.com/moby/swarmkit/v2/agent/exec"
	"github.com/moby/swarmkit/v2/api"

	"github.com/wharf/wharf/internal/api/backend"
)

var _ exec.ControllerLogs = (*controller)(nil)

// Logs publishes the task container's log to the managers (for `service
// logs`), line by line with each line's time, read through the container
// service as `docker logs --timestamps` reads it.
func (c *controller) Logs(ctx context.Context, pub exec.LogPublisher, o api.LogSubscriptionOptions) error {
	if err := c.checkClosed(); err != nil {
		return err
	}
	lo := backend.ContainerLogsOptions{Timestamps: true, Follow: o.Follow, Tail: -1}
	for _, s := range o.Streams {
		switch s {
		case api.LogStreamStdout:
			lo.Stdout = true
		case api.LogStreamStderr:
			lo.Stderr = true
		}
	}
	if len(o.Streams) == 0 {
		lo.Stdout, lo.Stderr = true, true
	}
	// swarmkit's tail is negative: -(n+1) for the last n lines.
	if o.Tail < 0 {
		lo.Tail = int(-o.Tail - 1)
	}
	if o.Since != nil {
		lo.Since, _ = gogotypes.TimestampFromProto(o.Since)
	}
	lctx := api.LogContext{NodeID: c.task.NodeID, ServiceID: c.task.ServiceID, TaskID: c.task.ID}
	stdout := &lineWriter{ctx: ctx, pub: pub, lctx: lctx, stream: api.LogStreamStdout}
	stderr := &lineWriter{ctx: ctx, pub: pub, lctx: lctx, stream: api.LogStreamStderr}
	_, err := c.e.cfg.Containers.Logs(ctx, c.name, stdout, stderr, lo)
	if err != nil {
		return fmt.Errorf("failed getting container logs: %w", err)
	}
	if err := stdout.flush(); err != nil {
		return err
	}
	return stderr.flush()
}

// lineWriter publishes each "<RFC 3339 time> <line>\n" written to it.
type lineWriter struct {
	ctx    context.Context
	pub    exec.LogPublisher
	lctx   api.LogContext
	stream api.LogStream
	buf    []byte
}

// maxLine bounds a buffered line; a longer one goes out in pieces.
const maxLine = 64 << 10

func (w *lineWriter) Write(p []byte) (int, error) {
	w.buf = append(w.buf, p...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			if len(w.buf) > maxLine {
				if err := w.publish(w.buf); err != nil {
					return 0, err
				}
				w.buf = w.buf[:0]
			}
			return len(p), nil
		}
		if err := w.publish(w.buf[:i+1]); err != nil {
			return 0, err
		}
		w.buf = w.buf[i+1:]
	}
}

func (w *lineWriter) flush() error {
	if len(w.buf) == 0 {
		return nil
	}
	err := w.publish(w.buf)
	w.buf = nil
	return err
}

func (w *lineWriter) publish(line []byte) error {
	ts := time.Now()
	if sp := bytes.IndexByte(line, ' '); sp > 0 {
		if t, err := time.Parse(time.RFC3339Nano, string(line[:sp])); err == nil {
			ts, line = t, line[sp+1:]
		}
	}
	tsp, err := gogotypes.TimestampProto(ts)
	if err != nil {
		return err
	}
	return w.pub.Publish(w.ctx, api.LogMessage{
		Context: w.lctx, Timestamp: tsp, Stream: w.stream,
		Data: append([]byte(nil), line...),
	})
}
