package executor

import (
	"context"
	"testing"
	"time"

	gogotypes "github.com/gogo/protobuf/types"
	"github.com/moby/swarmkit/v2/agent/exec"
	"github.com/moby/swarmkit/v2/api"
)

// TestLineWriter: the container service's timestamped log becomes one
// message per line, with the line's own time, whatever the writes' cuts.
func TestLineWriter(t *testing.T) {
	var got []api.LogMessage
	w := &lineWriter{ctx: context.Background(), stream: api.LogStreamStderr, lctx: api.LogContext{TaskID: "t"},
		pub: exec.LogPublisherFunc(func(_ context.Context, m api.LogMessage) error { got = append(got, m); return nil })}
	for _, chunk := range []string{"2026-12-07T13:00:00.5Z hel", "lo\n2026-12-07T13:00:01Z two\nno-time", " tail"} {
		if _, err := w.Write([]byte(chunk)); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.flush(); err != nil {
		t.Fatal(err)
	}
	want := []struct {
		data string
		ts   time.Time
	}{
		{"hello\n", time.Date(2026, 12, 7, 13, 0, 0, 5e8, time.UTC)},
		{"two\n", time.Date(2026, 12, 7, 13, 0, 1, 0, time.UTC)},
		{"no-time tail", time.Time{}},
	}
	if len(got) != len(want) {
		t.Fatalf("%d messages: %+v", len(got), got)
	}
	for i, m := range got {
		ts, _ := gogotypes.TimestampFromProto(m.Timestamp)
		if string(m.Data) != want[i].data || (!want[i].ts.IsZero() && !ts.Equal(want[i].ts)) || m.Stream != api.LogStreamStderr || m.Context.TaskID != "t" {
			t.Errorf("message %d: %q at %v", i, m.Data, ts)
		}
	}
}
