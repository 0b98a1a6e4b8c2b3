package container

import (
	"context"
	"io"
	"strings"
	"testing"

	"golang.org/x/net/websocket"

	"github.com/wharf/wharf/internal/api/apitest"
	"github.com/wharf/wharf/internal/api/backend"
	"github.com/wharf/wharf/internal/errs"
)

// wsContainers echoes a line of stdin to stdout and writes to stderr.
type wsContainers struct{ Backend }

func (wsContainers) IsTTY(ref string) (bool, error) {
	if ref != "c1" {
		return false, errs.NotFound("No such container: %s", ref)
	}
	return false, nil
}

func (wsContainers) Attach(ctx context.Context, ref string, o backend.ContainerAttachOptions) error {
	if o.Stderr != nil {
		io.WriteString(o.Stderr, "err\n")
	}
	if o.Stdin != nil && o.Stdout != nil {
		buf := make([]byte, 64)
		n, _ := o.Stdin.Read(buf)
		o.Stdout.Write(buf[:n])
	}
	return nil
}

func TestAttachWebsocket(t *testing.T) {
	ts := newTestServer(t, wsContainers{})
	url := "ws" + strings.TrimPrefix(ts.URL, "http")
	for _, c := range []struct {
		version, query string
		binary         bool
		want           string
	}{
		{"1.27", "", false, "err\nhi\n"},                     // text frames, every stream
		{"1.41", "?stdout=1", true, "err\nhi\n"},             // every stream before 1.42
		{"1.42", "?stdin=1&stdout=1&stream=1", true, "hi\n"}, // only those asked for
		{"1.42", "?stderr=1&stdin=1&stdout=1", true, "err\nhi\n"},
	} {
		ws, err := websocket.Dial(url+"/v"+c.version+"/containers/c1/attach/ws"+c.query, "", "http://localhost/")
		if err != nil {
			t.Fatalf("%s%s: %v", c.version, c.query, err)
		}
		if _, err := ws.Write([]byte("hi\n")); err != nil {
			t.Fatal(err)
		}
		var got string
		for {
			fr, err := ws.NewFrameReader()
			if err != nil || fr.PayloadType() == websocket.CloseFrame {
				break
			}
			if (fr.PayloadType() == websocket.BinaryFrame) != c.binary {
				t.Errorf("%s%s: frame type %d", c.version, c.query, fr.PayloadType())
			}
			frame, _ := io.ReadAll(fr)
			got += string(frame)
		}
		ws.Close()
		if got != c.want {
			t.Errorf("%s%s: got %q, want %q", c.version, c.query, got, c.want)
		}
	}
	apitest.CheckErrors(t, ts, []apitest.ErrorCase{{Method: "GET", Path: "/v1.41/containers/nope/attach/ws", Status: 404, Message: "No such container: nope"}})
}
