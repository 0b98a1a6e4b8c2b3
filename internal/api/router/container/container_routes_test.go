package container

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

	"github.com/wharf/wharf/internal/api/apitest"
	"github.com/wharf/wharf/internal/api/backend"
	"github.com/wharf/wharf/internal/errs"
	"github.com/wharf/wharf/internal/version"
)

// fakeContainers implements the few Backend methods a test needs; calling
// any other panics (the nil embedded interface).
type fakeContainers struct {
	Backend
	listed  backend.ContainerListOptions
	created backend.ContainerCreateOptions
}

func (f *fakeContainers) List(ctx context.Context, o backend.ContainerListOptions) ([]container.Summary, error) {
	f.listed = o
	return []container.Summary{{ID: "abc", Names: []string{"/one"}}}, nil
}

func (f *fakeContainers) Inspect(ctx context.Context, ref string, size bool) (container.InspectResponse, error) {
	return container.InspectResponse{}, errs.NotFound("No such container: %s", ref)
}

func (f *fakeContainers) Create(ctx context.Context, o backend.ContainerCreateOptions) (container.CreateResponse, error) {
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

func (f *fakeContainers) Logs(ctx context.Context, ref string, stdout, stderr io.Writer, o backend.ContainerLogsOptions) (bool, error) {
	io.WriteString(stdout, "out\n")
	io.WriteString(stderr, "err\n")
	return false, nil
}

func newTestServer(t testing.TB, b Backend) *httptest.Server {
	return apitest.NewServer(t, NewRouter(b, slog.New(slog.DiscardHandler)))
}

func TestListOptionsOnEveryVersion(t *testing.T) {
	fc := &fakeContainers{}
	ts := newTestServer(t, fc)
	for _, p := range []string{"/containers/json", "/v1.24/containers/json", "/v1.41/containers/json", "/v" + version.APIVersion + "/containers/json"} {
		resp, body := apitest.Do(t, "GET", ts.URL+p+"?all=1&limit=2&filters=%7B%22status%22%3A%7B%22running%22%3Atrue%7D%7D", nil)
		var list []container.Summary
		if resp.StatusCode != 200 || json.Unmarshal(body, &list) != nil || len(list) != 1 {
			t.Fatalf("%s: %d %s", p, resp.StatusCode, body)
		}
		if !fc.listed.All || fc.listed.Limit != 2 || !fc.listed.Filters.Exact("status", "running") {
			t.Fatalf("%s: options not passed: %+v", p, fc.listed)
		}
	}
}

func TestContainerErrors(t *testing.T) {
	ts := newTestServer(t, &fakeContainers{})
	apitest.CheckErrors(t, ts, []apitest.ErrorCase{
		{Method: "GET", Path: "/v1.41/containers/nope/json", Status: 404, Message: "No such container: nope"},
		{Method: "POST", Path: "/containers/create", Body: "{not json", Status: 400, Message: "invalid JSON"},
		{Method: "POST", Path: "/containers/x/start", Status: 409, Message: "container is marked for removal and cannot be started"},
		{Method: "GET", Path: "/containers/x/logs", Status: 400, Message: "you must choose at least one stream"},
	})
	if resp, _ := apitest.Do(t, "POST", ts.URL+"/containers/running/start", nil); resp.StatusCode != 304 {
		t.Errorf("starting a running container: %d, want 304", resp.StatusCode)
	}
}

func TestCreatePassesNameAndConfig(t *testing.T) {
	fc := &fakeContainers{}
	ts := newTestServer(t, fc)
	body := `{"Image":"busybox","Cmd":["echo","hi"],"HostConfig":{"AutoRemove":true}}`
	resp, out := apitest.Do(t, "POST", ts.URL+"/v1.41/containers/create?name=web", strings.NewReader(body))
	if resp.StatusCode != 201 || !strings.Contains(string(out), `"Id":"new"`) {
		t.Fatalf("%d %s", resp.StatusCode, out)
	}
	if fc.created.Name != "web" || fc.created.Config.Image != "busybox" || !fc.created.HostConfig.AutoRemove {
		t.Fatalf("create options %+v", fc.created)
	}
}

func TestLogsAreMultiplexed(t *testing.T) {
	ts := newTestServer(t, &fakeContainers{})
	resp, body := apitest.Do(t, "GET", ts.URL+"/containers/x/logs?stdout=1&stderr=1", nil)
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

func TestParseTail(t *testing.T) {
	for in, want := range map[string]int{"": -1, "all": -1, "0": 0, "5": 5, "-3": -1, "x": -1} {
		if got := parseTail(in); got != want {
			t.Errorf("%q: got %d want %d", in, got, want)
		}
	}
}

func FuzzRequests(f *testing.F) {
	f.Add("POST", "/v1.41/containers/create", `{"Image":"x"}`)
	f.Add("GET", "/containers/json", `filters={"status":["running"]}`)
	ts := newTestServer(f, &fakeContainers{})
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
