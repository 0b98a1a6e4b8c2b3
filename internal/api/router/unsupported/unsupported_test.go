package unsupported

import (
	"net/http"
	"testing"

	"github.com/wharf/wharf/internal/api/apitest"
)

func TestListPluginsIsEmpty(t *testing.T) {
	ts := apitest.NewServer(t, NewRouter())
	for _, p := range []string{"/plugins", "/v1.24/plugins", "/v1.41/plugins", `/v1.41/plugins?filters={"capability":["volumedriver"]}`} {
		resp, body := apitest.Do(t, "GET", ts.URL+p, nil)
		if resp.StatusCode != 200 || string(body) != "[]\n" {
			t.Errorf("%s: %d %q", p, resp.StatusCode, body)
		}
	}
}

// TestDockerAnswers: each route answers with dockerd's status and words
// for a daemon without the feature.
func TestDockerAnswers(t *testing.T) {
	ts := apitest.NewServer(t, NewRouter())
	apitest.CheckErrors(t, ts, []apitest.ErrorCase{
		{Method: "GET", Path: `/plugins?filters={"foo":["x"]}`, Status: 400, Message: "invalid filter 'foo'"},
		{Method: "GET", Path: `/plugins?filters={"enabled":["maybe"]}`, Status: 400, Message: "Invalid filter 'enabled=maybe'"},
		{Method: "GET", Path: "/v1.41/plugins/vieux/sshfs:latest/json", Status: 404, Message: `plugin "vieux/sshfs:latest" not found`},
		{Method: "DELETE", Path: "/v1.41/plugins/sshfs", Status: 404, Message: `plugin "sshfs" not found`},
		{Method: "POST", Path: "/v1.41/plugins/sshfs/enable?timeout=0", Status: 404, Message: `plugin "sshfs" not found`},
		{Method: "POST", Path: "/v1.41/plugins/sshfs/enable", Status: 400, Message: `invalid syntax`},
		{Method: "POST", Path: "/v1.41/plugins/sshfs/disable", Status: 404, Message: `plugin "sshfs" not found`},
		{Method: "POST", Path: "/v1.41/plugins/sshfs/set", Body: `["a=b"]`, Status: 404, Message: `plugin "sshfs" not found`},
		{Method: "POST", Path: "/v1.41/plugins/sshfs/push", Status: 404, Message: `plugin "sshfs" not found`},
		{Method: "POST", Path: "/v1.41/plugins/pull?remote=vieux/sshfs", Status: 501, Message: "plugins are not supported"},
		{Method: "POST", Path: "/v1.41/plugins/pull?remote=UPPER", Status: 400, Message: "must be lowercase"},
		{Method: "GET", Path: "/v1.41/plugins/privileges?remote=vieux/sshfs", Status: 501, Message: "plugins are not supported"},
		{Method: "GET", Path: "/v1.41/containers/c1/checkpoints", Status: 501, Message: "This experimental feature is disabled by default."},
		{Method: "POST", Path: "/v1.41/containers/c1/checkpoints", Status: 501, Message: "experimental mode"},
		{Method: "DELETE", Path: "/v1.41/containers/c1/checkpoints/cp1", Status: 501, Message: "experimental mode"},
		{Method: "POST", Path: "/v1.41/session", Status: 400, Message: "no upgrade proto in request"},
		{Method: "POST", Path: "/v1.41/grpc", Status: 400, Message: "no upgrade proto in request"},
		{Method: "POST", Path: "/v1.41/build/cancel", Status: 400, Message: "build ID not provided"},
		{Method: "PUT", Path: "/v1.42/volumes/v1", Body: "{}", Status: 503, Message: "volume update only valid for cluster volumes, but swarm is unavailable"},
	})
	req, _ := http.NewRequest("POST", ts.URL+"/v1.41/session", nil)
	req.Header.Set("Upgrade", "h2c")
	req.Header.Set("Connection", "Upgrade")
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 501 {
		t.Errorf("session upgrade: %v %v", resp, err)
	}
	for _, c := range []struct{ method, path string }{{"POST", "/v1.41/build/cancel?id=abc"}, {"OPTIONS", "/v1.41/containers/json"}, {"OPTIONS", "/_ping"}} {
		if resp, body := apitest.Do(t, c.method, ts.URL+c.path, nil); resp.StatusCode != 200 {
			t.Errorf("%s %s: %d %s", c.method, c.path, resp.StatusCode, body)
		}
	}
}
