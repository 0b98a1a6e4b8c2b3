package plugin

import (
	"net/http"
	"testing"

	"github.com/wharf/wharf/internal/api/apitest"
)

func TestPluginRoutes(t *testing.T) {
	ts := apitest.NewServer(t, NewRouter())
	resp, body := apitest.Do(t, http.MethodGet, ts.URL+"/v1.45/plugins", nil)
	if resp.StatusCode != http.StatusOK || string(body) != "[]\n" {
		t.Errorf("GET /plugins: %d %s", resp.StatusCode, body)
	}
	const msg = "plugins are not supported on this platform"
	apitest.CheckErrors(t, ts, []apitest.ErrorCase{
		{Method: http.MethodPost, Path: "/plugins/pull?remote=vieux/sshfs", Status: 501, Message: msg},
		{Method: http.MethodGet, Path: "/plugins/privileges?remote=x", Status: 501, Message: msg},
		{Method: http.MethodGet, Path: "/plugins/vieux/sshfs:latest/json", Status: 501, Message: msg},
		{Method: http.MethodPost, Path: "/plugins/sshfs/enable", Status: 501, Message: msg},
		{Method: http.MethodDelete, Path: "/plugins/sshfs", Status: 501, Message: msg},
	})
}
