package api_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
	registrytypes "github.com/moby/moby/api/types/registry"
	"github.com/moby/moby/api/types/volume"

	"github.com/wharf/wharf/internal/api/apitest"
	"github.com/wharf/wharf/internal/api/httputil"
	"github.com/wharf/wharf/internal/api/router"
)

// decodeRouter decodes a body into each type an API handler reads, as the
// handler does (httputil.ReadJSON, the route's body cap), and answers 204.
type decodeRouter struct{}

func decodeInto[T any]() httputil.APIFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		var v T
		return httputil.NoContent(w, httputil.ReadJSON(r, &v))
	}
}

// decodeRoutes are the body types of the API, by the path they come on.
var decodeRoutes = []router.Route{
	router.Post("/containers/create", decodeInto[struct {
		container.Config
		HostConfig       *container.HostConfig
		NetworkingConfig *network.NetworkingConfig
	}]()).WithMaxBody(router.ConfigMaxBody),
	router.Post("/containers/{id}/update", decodeInto[container.UpdateConfig]()).WithMaxBody(router.ConfigMaxBody),
	router.Post("/commit", decodeInto[container.Config]()).WithMaxBody(router.ConfigMaxBody),
	router.Post("/containers/{id}/exec", decodeInto[container.ExecCreateRequest]()).WithMaxBody(router.ConfigMaxBody),
	router.Post("/exec/{id}/start", decodeInto[container.ExecStartRequest]()),
	router.Post("/networks/create", decodeInto[network.CreateRequest]()),
	router.Post("/networks/{id}/connect", decodeInto[network.ConnectRequest]()),
	router.Post("/networks/{id}/disconnect", decodeInto[network.DisconnectRequest]()),
	router.Post("/volumes/create", decodeInto[volume.CreateRequest]()),
	router.Post("/auth", decodeInto[registrytypes.AuthConfig]()),
}

func (decodeRouter) Routes() []router.Route { return decodeRoutes }

// FuzzDecodeBodies: whatever JSON a client sends to any handler that
// decodes one is a 204 or a 4xx (bad JSON, too large), never a 500 or a
// crash of the server.
func FuzzDecodeBodies(f *testing.F) {
	for i, body := range []string{
		`{"Image":"busybox","HostConfig":{"Memory":-1,"PortBindings":{"80/tcp":[{"HostPort":"8080"}]}}}`,
		`{"Memory":1,"RestartPolicy":{"Name":"always"}}`,
		`{"Cmd":["sh"],"Env":["A=1"],"ExposedPorts":{"80/tcp":{}},"Healthcheck":{"Interval":1}}`,
		`{"Cmd":["ls"],"AttachStdout":true,"Env":null,"ConsoleSize":[24,80]}`,
		`{"Detach":false,"Tty":true,"ConsoleSize":[1,2]}`,
		`{"Name":"n","Driver":"bridge","IPAM":{"Config":[{"Subnet":"10.0.0.0/24","Gateway":"10.0.0.1"}]},"Options":{"a":"b"}}`,
		`{"Container":"c","EndpointConfig":{"IPAMConfig":{"IPv4Address":"10.0.0.5"},"Aliases":["a"]}}`,
		`{"Container":"c","Force":true}`,
		`{"Name":"v","Driver":"local","DriverOpts":{"type":"tmpfs"},"Labels":{"a":"b"}}`,
		`{"username":"u","password":"p","serveraddress":"localhost:5000"}`,
	} {
		f.Add(i, body)
	}
	ts := apitest.NewServer(f, decodeRouter{})
	f.Fuzz(func(t *testing.T, route int, body string) {
		if route < 0 || route >= len(decodeRoutes) {
			return
		}
		path := strings.ReplaceAll(decodeRoutes[route].Path, "{id}", "x")
		req, err := http.NewRequest("POST", ts.URL+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		resp, err := ts.Client().Do(req)
		if err != nil {
			t.Fatalf("%s %q: %v", path, body, err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNoContent && (resp.StatusCode < 400 || resp.StatusCode >= 500) {
			t.Fatalf("%s %q: status %d", path, body, resp.StatusCode)
		}
	})
}
