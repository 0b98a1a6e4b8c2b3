package api

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/system"

	ctr "github.com/wharf/wharf/internal/container"
	"github.com/wharf/wharf/internal/errs"
	"github.com/wharf/wharf/internal/version"
)

// fakeContainers implements the few ContainerBackend methods a test
// needs; calling any other panics (the nil embedded interface).
type fakeContainers struct {
	ContainerBackend
	listed  ctr.ListOptions
	created ctr.CreateOptions
}

func (f *fakeContainers) List(ctx context.Context, o ctr.ListOptions) ([]container.Summary, error) {
	f.listed = o
	return []container.Summary{{ID: "abc", Names: []string{"/one"}}}, nil
}

func (f *fakeContainers) Inspect(ctx context.Context, ref string, size bool) (container.InspectResponse, error) {
	return container.InspectResponse{}, errs.NotFound("No such container: %s", ref)
}

func (f *fakeContainers) Create(ctx context.Context, o ctr.CreateOptions) (container.CreateResponse, error) {
	f.created = o
	return container.CreateResponse{ID: "new"}, nil
}

func (f *fakeContainers) Start(ctx context.Context, ref string) error {
	if ref == "running" {
		return errs.NotModified("container already started")
	}
	return errs.Conflict("container is marked for removal and cannot be started")
}

func (f *fakeContainers) IsTTY(ref string) (bool, error) { return false, nil }

func (f *fakeContainers) LogsTTY(ref string) (bool, error) { return false, nil }

func (f *fakeContainers) Logs(ctx context.Context, ref string, stdout, stderr io.Writer, o ctr.LogsOptions) (bool, error) {
	io.WriteString(stdout, "out\n")
	io.WriteString(stderr, "err\n")
	return false, nil
}

type fakeSystem struct{}

func (fakeSystem) Info(ctx context.Context) (system.Info, error) { return system.Info{ID: "x"}, nil }
func (fakeSystem) Version(ctx context.Context) (system.VersionResponse, error) {
	return system.VersionResponse{APIVersion: version.APIVersion}, nil
}

func newTestServer(t *testing.T) (*httptest.Server, *fakeContainers) {
	fc := &fakeContainers{}
	ts := httptest.NewServer(New(Backends{Containers: fc, System: fakeSystem{}}, slog.New(slog.DiscardHandler)))
	t.Cleanup(ts.Close)
	return ts, fc
}

func TestPing(t *testing.T) {
	ts, _ := newTestServer(t)
	for _, method := range []string{"GET", "HEAD"} {
		resp, body := do(t, method, ts.URL+"/_ping", nil)
		if resp.StatusCode != 200 || resp.Header.Get("Api-Version") != version.APIVersion || resp.Header.Get("Ostype") != "linux" {
			t.Fatalf("%s /_ping: %d %v", method, resp.StatusCode, resp.Header)
		}
		if method == "GET" && string(body) != "OK" {
			t.Fatalf("GET /_ping body %q", body)
		}
	}
}

func TestVersionedPaths(t *testing.T) {
	ts, fc := newTestServer(t)
	for _, p := range []string{"/containers/json", "/v1.24/containers/json", "/v1.41/containers/json", "/v" + version.APIVersion + "/containers/json"} {
		resp, body := do(t, "GET", ts.URL+p+"?all=1&limit=2&filters=%7B%22status%22%3A%7B%22running%22%3Atrue%7D%7D", nil)
		var list []container.Summary
		if resp.StatusCode != 200 || json.Unmarshal(body, &list) != nil || len(list) != 1 {
			t.Fatalf("%s: %d %s", p, resp.StatusCode, body)
		}
		if !fc.listed.All || fc.listed.Limit != 2 || !fc.listed.Filters.Exact("status", "running") {
			t.Fatalf("%s: options not passed: %+v", p, fc.listed)
		}
	}
	for p, want := range map[string]string{
		"/v1.12/containers/json": "client version 1.12 is too old",
		"/v9.99/containers/json": "client version 9.99 is too new",
	} {
		resp, body := do(t, "GET", ts.URL+p, nil)
		if resp.StatusCode != 400 || !strings.Contains(string(body), want) {
			t.Errorf("%s: %d %s", p, resp.StatusCode, body)
		}
	}
}

func TestErrorsAreDockerJSON(t *testing.T) {
	ts, _ := newTestServer(t)
	cases := []struct {
		method, path, body string
		status             int
		message            string
	}{
		{"GET", "/v1.41/containers/nope/json", "", 404, "No such container: nope"},
		{"GET", "/no/such/route", "", 404, "page not found"},
		{"POST", "/containers/create", "{not json", 400, "invalid JSON"},
		{"POST", "/containers/x/start", "", 409, "container is marked for removal and cannot be started"},
	}
	for _, c := range cases {
		resp, body := do(t, c.method, ts.URL+c.path, strings.NewReader(c.body))
		var msg struct{ Message string }
		if resp.StatusCode != c.status || resp.Header.Get("Content-Type") != "application/json" ||
			json.Unmarshal(body, &msg) != nil || !strings.Contains(msg.Message, c.message) {
			t.Errorf("%s %s: %d %q %s", c.method, c.path, resp.StatusCode, resp.Header.Get("Content-Type"), body)
		}
	}
	if resp, _ := do(t, "POST", ts.URL+"/containers/running/start", nil); resp.StatusCode != 304 {
		t.Errorf("starting a running container: %d, want 304", resp.StatusCode)
	}
}

func TestCreatePassesNameAndConfig(t *testing.T) {
	ts, fc := newTestServer(t)
	body := `{"Image":"busybox","Cmd":["echo","hi"],"HostConfig":{"AutoRemove":true}}`
	resp, out := do(t, "POST", ts.URL+"/v1.41/containers/create?name=web", strings.NewReader(body))
	if resp.StatusCode != 201 || !strings.Contains(string(out), `"Id":"new"`) {
		t.Fatalf("%d %s", resp.StatusCode, out)
	}
	if fc.created.Name != "web" || fc.created.Config.Image != "busybox" || !fc.created.HostConfig.AutoRemove {
		t.Fatalf("create options %+v", fc.created)
	}
}

func TestLogsAreMultiplexed(t *testing.T) {
	ts, _ := newTestServer(t)
	resp, body := do(t, "GET", ts.URL+"/containers/x/logs?stdout=1&stderr=1", nil)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/vnd.docker.multiplexed-stream" {
		t.Fatalf("%d %v", resp.StatusCode, resp.Header)
	}
	var frames []string
	for len(body) >= 8 {
		n := int(binary.BigEndian.Uint32(body[4:8]))
		frames = append(frames, string(rune('0'+body[0]))+":"+string(body[8:8+n]))
		body = body[8+n:]
	}
	if strings.Join(frames, "|") != "1:out\n|2:err\n" {
		t.Fatalf("frames %q", frames)
	}
	if resp, _ := do(t, "GET", ts.URL+"/containers/x/logs", nil); resp.StatusCode != 400 {
		t.Fatalf("logs without streams: %d, want 400", resp.StatusCode)
	}
}

func TestDetachKeys(t *testing.T) {
	for spec, want := range map[string]string{"": "\x10\x11", "ctrl-a,x": "\x01x", "ctrl-@,ctrl-[": "\x00\x1b"} {
		got, err := detachKeys(spec)
		if err != nil || string(got) != want {
			t.Errorf("%q: %q %v", spec, got, err)
		}
	}
	if _, err := detachKeys("ctrl-1"); err == nil {
		t.Error("invalid detach keys accepted")
	}
}

func FuzzRequests(f *testing.F) {
	f.Add("POST", "/v1.41/containers/create", `{"Image":"x"}`)
	f.Add("GET", "/containers/json", `filters={"status":["running"]}`)
	ts := httptest.NewServer(New(Backends{Containers: &fakeContainers{}, System: fakeSystem{}}, slog.New(slog.DiscardHandler)))
	defer ts.Close()
	f.Fuzz(func(t *testing.T, method, path, body string) {
		if method != "GET" && method != "POST" {
			return
		}
		if !strings.HasPrefix(path, "/containers/json") && !strings.HasPrefix(path, "/v1.41/containers/create") {
			return
		}
		req, err := http.NewRequest(method, ts.URL+path, strings.NewReader(body))
		if err != nil {
			return
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return
		}
		resp.Body.Close()
		if resp.StatusCode >= 500 {
			t.Fatalf("%s %s %q: status %d", method, path, body, resp.StatusCode)
		}
	})
}
