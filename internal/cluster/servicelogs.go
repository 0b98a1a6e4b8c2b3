package cluster

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"sort"
	"strings"

	gogotypes "github.com/gogo/protobuf/types"
	swarmapi "github.com/moby/swarmkit/v2/api"

	"github.com/wharf/wharf/internal/api/backend"
)

// ServiceLogsOptions are the query parameters of the logs routes (the
// API's type).
type ServiceLogsOptions = backend.ServiceLogsOptions

// rfc3339NanoFixed is docker's timestamp format in logs: always nine
// digits, so columns line up.
const rfc3339NanoFixed = "2006-01-02T15:04:05.000000000Z07:00"

// LogsTTY says whether a service's (or a task's) containers have a TTY:
// their logs are then one raw stream, else multiplexed.
func (c *Cluster) LogsTTY(ctx context.Context, ref string, task bool) (bool, error) {
	ctx, st, done, err := c.call(ctx)
	defer done()
	if err != nil {
		return false, err
	}
	if task {
		t, err := getTask(ctx, st.control, ref)
		if err != nil {
			return false, err
		}
		return tty(t.Spec), nil
	}
	s, err := getService(ctx, st.control, ref, false)
	if err != nil {
		return false, err
	}
	return tty(s.Spec.Task), nil
}

func tty(ts swarmapi.TaskSpec) bool {
	c := ts.GetContainer()
	return c != nil && c.TTY
}

// Logs answers GET /services/{id}/logs (task false) and /tasks/{id}/logs:
// the managers gather the lines from the agents running the tasks, and
// each goes to stdout or stderr, prefixed as docker does with its
// time and its task's attributes when asked.
func (c *Cluster) Logs(ctx context.Context, ref string, task bool, o ServiceLogsOptions, stdout, stderr io.Writer) error {
	lookup, st, done, err := c.call(ctx)
	defer done()
	if err != nil {
		return err
	}
	sel := &swarmapi.LogSelector{}
	if task {
		t, err := getTask(lookup, st.control, ref)
		if err != nil {
			return err
		}
		sel.TaskIDs = []string{t.ID}
	} else {
		s, err := getService(lookup, st.control, ref, false)
		if err != nil {
			return err
		}
		sel.ServiceIDs = []string{s.ID}
	}
	opts := &swarmapi.LogSubscriptionOptions{Follow: o.Follow}
	if o.Stdout {
		opts.Streams = append(opts.Streams, swarmapi.LogStreamStdout)
	}
	if o.Stderr {
		opts.Streams = append(opts.Streams, swarmapi.LogStreamStderr)
	}
	if o.Tail >= 0 {
		opts.Tail = int64(-(o.Tail + 1))
	}
	if !o.Since.IsZero() {
		if opts.Since, err = gogotypes.TimestampProto(o.Since); err != nil {
			return err
		}
	}
	stream, err := st.logs.SubscribeLogs(ctx, &swarmapi.SubscribeLogsRequest{Selector: sel, Options: opts})
	if err != nil {
		return fromGRPC(err)
	}
	for {
		msgs, err := stream.Recv()
		if errors.Is(err, io.EOF) || ctx.Err() != nil {
			return nil
		}
		if err != nil {
			fmt.Fprintf(stderr, "Error grabbing logs: %v\n", err)
			return nil
		}
		for _, m := range msgs.Messages {
			line := m.Data
			if o.Details {
				line = append([]byte(details(m)+" "), line...)
			}
			if o.Timestamps {
				ts, _ := gogotypes.TimestampFromProto(m.Timestamp)
				line = append([]byte(ts.Format(rfc3339NanoFixed)+" "), line...)
			}
			w := stdout
			if m.Stream == swarmapi.LogStreamStderr {
				w = stderr
			}
			if _, err := w.Write(line); err != nil {
				return nil // the client went away
			}
		}
	}
}

// details is docker's "k=v,k=v" prefix of a swarm log line: the line's
// own attributes and its node, service and task, sorted, query-escaped.
func details(m swarmapi.LogMessage) string {
	attrs := map[string]string{
		"com.docker.swarm.node.id":    m.Context.NodeID,
		"com.docker.swarm.service.id": m.Context.ServiceID,
		"com.docker.swarm.task.id":    m.Context.TaskID,
	}
	for _, a := range m.Attrs {
		if _, ok := attrs[a.Key]; !ok {
			attrs[a.Key] = a.Value
		}
	}
	keys := make([]string, 0, len(attrs))
	for k := range attrs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = url.QueryEscape(k) + "=" + url.QueryEscape(attrs[k])
	}
	return strings.Join(parts, ",")
}
