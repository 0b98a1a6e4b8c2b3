package swarm_test

import (
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/wharf/wharf/internal/api/apitest"
	"github.com/wharf/wharf/internal/api/router/swarm"
	"github.com/wharf/wharf/internal/cluster"
)

const notManager = `This node is not a swarm manager. Use "docker swarm init" or "docker swarm join" to connect this node to swarm and try again.`

// TestBeforeInit: before a swarm exists every swarm route answers
// docker's 503 with its words (never a 404), and leave says the node is
// not in a swarm.
func TestBeforeInit(t *testing.T) {
	dir, err := os.MkdirTemp("", "wsw")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	c, err := cluster.New(cluster.Config{Root: filepath.Join(dir, "s"), ExecRoot: filepath.Join(dir, "r"), Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	ts := apitest.NewServer(t, swarm.NewRouter(c))
	var cases []apitest.ErrorCase
	for _, r := range []struct{ method, path, body string }{
		{"GET", "/v1.44/swarm", ""},
		{"POST", "/swarm/update?version=1", "{}"},
		{"GET", "/swarm/unlockkey", ""},
		{"POST", "/swarm/unlock", `{"UnlockKey":"x"}`},
		{"GET", "/services", ""},
		{"GET", "/services/web", ""},
		{"POST", "/services/create", `{"Name":"web","TaskTemplate":{"ContainerSpec":{"Image":"busybox"}}}`},
		{"POST", "/services/web/update?version=1", `{}`},
		{"DELETE", "/services/web", ""},
		{"GET", "/tasks", ""},
		{"GET", "/tasks/x", ""},
		{"GET", "/nodes", ""},
		{"GET", "/nodes/self", ""},
		{"POST", "/nodes/x/update?version=1", `{"Role":"worker","Availability":"drain"}`},
		{"DELETE", "/nodes/x", ""},
		{"GET", "/secrets", ""},
		{"POST", "/secrets/create", `{"Name":"pw","Data":"eA=="}`},
		{"GET", "/secrets/pw", ""},
		{"DELETE", "/secrets/pw", ""},
		{"GET", "/configs", ""},
		{"POST", "/configs/create", `{"Name":"c","Data":"eA=="}`},
		{"DELETE", "/configs/c", ""},
	} {
		cases = append(cases, apitest.ErrorCase{Method: r.method, Path: r.path, Body: r.body, Status: http.StatusServiceUnavailable, Message: notManager})
	}
	cases = append(cases,
		apitest.ErrorCase{Method: "POST", Path: "/swarm/leave", Status: http.StatusServiceUnavailable, Message: "This node is not part of a swarm"},
		apitest.ErrorCase{Method: "POST", Path: "/swarm/update?version=x", Body: "{}", Status: http.StatusBadRequest, Message: "invalid swarm version 'x'"},
		apitest.ErrorCase{Method: "POST", Path: "/swarm/init", Body: "{", Status: http.StatusBadRequest, Message: "invalid JSON"},
		apitest.ErrorCase{Method: "POST", Path: "/swarm/join", Body: `{"ListenAddr":"0.0.0.0:2377"}`, Status: http.StatusBadRequest, Message: "at least 1 RemoteAddr is required to join"},
		apitest.ErrorCase{Method: "GET", Path: "/tasks?filters={\"colour\":{\"x\":true}}", Status: http.StatusBadRequest, Message: "invalid filter 'colour'"},
	)
	apitest.CheckErrors(t, ts, cases)
}
