package api_test

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/wharf/wharf/internal/api"
	"github.com/wharf/wharf/internal/api/router"
	buildrouter "github.com/wharf/wharf/internal/api/router/build"
	containerrouter "github.com/wharf/wharf/internal/api/router/container"
	distributionrouter "github.com/wharf/wharf/internal/api/router/distribution"
	eventsrouter "github.com/wharf/wharf/internal/api/router/events"
	execrouter "github.com/wharf/wharf/internal/api/router/exec"
	imagerouter "github.com/wharf/wharf/internal/api/router/image"
	networkrouter "github.com/wharf/wharf/internal/api/router/network"
	swarmrouter "github.com/wharf/wharf/internal/api/router/swarm"
	systemrouter "github.com/wharf/wharf/internal/api/router/system"
	unsupportedrouter "github.com/wharf/wharf/internal/api/router/unsupported"
	volumerouter "github.com/wharf/wharf/internal/api/router/volume"
)

// Backends that hold nothing: any call into one panics (a nil interface),
// which FuzzHandlers takes as the request having got past its handler's
// decoding, since the backend is the next thing it calls.
type (
	nopContainers    struct{ containerrouter.Backend }
	nopExec          struct{ execrouter.Backend }
	nopImages        struct{ imagerouter.Backend }
	nopNetworks      struct{ networkrouter.Backend }
	nopNetContainers struct {
		networkrouter.ContainerBackend
	}
	nopVolumes     struct{ volumerouter.Backend }
	nopSystem      struct{ systemrouter.Backend }
	nopCLister     struct{ systemrouter.ContainerLister }
	nopILister     struct{ systemrouter.ImageLister }
	nopVLister     struct{ systemrouter.VolumeLister }
	nopEvents      struct{ eventsrouter.Backend }
	nopBuilder     struct{ buildrouter.Backend }
	nopDistributor struct{ distributionrouter.Backend }
	nopSwarm       struct{ swarmrouter.Backend }
)

// allRouters are wharfd's routers, as internal/daemon wires them.
func allRouters() []router.Router {
	log := slog.New(slog.DiscardHandler)
	return []router.Router{
		containerrouter.NewRouter(nopContainers{}, log),
		execrouter.NewRouter(nopExec{}),
		imagerouter.NewRouter(nopImages{}, log),
		networkrouter.NewRouter(nopNetworks{}, nopNetContainers{}),
		volumerouter.NewRouter(nopVolumes{}),
		systemrouter.NewRouter(nopSystem{}, systemrouter.DiskUsage{Containers: nopCLister{}, Images: nopILister{}, Volumes: nopVLister{}}),
		eventsrouter.NewRouter(nopEvents{}),
		buildrouter.NewRouter(nopBuilder{}),
		distributionrouter.NewRouter(nopDistributor{}),
		unsupportedrouter.NewRouter(),
		swarmrouter.NewRouter(nopSwarm{}),
	}
}

var pathParam = regexp.MustCompile(`\{[A-Za-z]+(\.\.\.)?\}`)

// FuzzHandlers sends every route of the API any path parameter, query,
// body and API version: each answer is an error of the client's (4xx),
// or the handler goes on to its backend; never a 5xx for what it decoded,
// never a panic of its own.
func FuzzHandlers(f *testing.F) {
	var routes []router.Route
	for _, rt := range allRouters() {
		routes = append(routes, rt.Routes()...)
	}
	srv := api.New(slog.New(slog.DiscardHandler), allRouters()...)
	for i := range routes {
		f.Add(uint16(i), "x", "", []byte(nil), "")
	}
	for _, s := range []struct{ id, query, body, version string }{
		{"c", "t=-1&signal=999&force=yes", `{"Image":"x","HostConfig":{"Memory":-1}}`, "1.24"},
		{"c", `filters={"label":["a=b"],"status":["nope"]}&all=1&limit=-5&size=x`, "", "1.41"},
		{"c", `filters=%7B%22dangling%22%3A%5B%22maybe%22%5D%7D&since=abc&until=1e99&tail=-1&follow=2`, "[", "1.52"},
		{"..%2F..%2Fetc", "path=../../etc/passwd&noOverwriteDirNonDir=x&copyUIDGID=true", "not a tar", "1.30"},
		{"c", "h=-1&w=99999999999999999999&detachKeys=ctrl-", "", ""},
		{"c", "fromImage=a&tag=b&platform=windows%2F%2F&fromSrc=-&changes=BOGUS", "", "1.44"},
		{"c", "t=x:y:z&buildargs={&labels=[]&memory=-1&shmsize=x&cpuperiod=-1&cachefrom=[1]&networkmode=container:x&platform=///", "", "1.41"},
		{"c", "version=-1&rotateWorkerToken=maybe&force=true", `{"Spec":{"Mode":{"Replicated":{"Replicas":-1}}}}`, "1.41"},
	} {
		f.Add(uint16(0), s.id, s.query, []byte(s.body), s.version)
	}
	f.Fuzz(func(t *testing.T, route uint16, id, query string, body []byte, version string) {
		rt := routes[int(route)%len(routes)]
		path := pathParam.ReplaceAllString(rt.Path, url.PathEscape(id))
		if version != "" {
			path = "/v" + version + path
		}
		req := httptest.NewRequest(rt.Method, "http://wharf/", bytes.NewReader(body))
		req.URL.Path, req.URL.RawPath, req.URL.RawQuery = mustUnescape(path), path, query
		req.Header.Set("Content-Type", "application/json")
		if rt.Path == "/build" || strings.HasSuffix(rt.Path, "/archive") || strings.HasSuffix(rt.Path, "/load") {
			req.Header.Set("Content-Type", "application/x-tar")
		}
		w := httptest.NewRecorder()
		if reached := serve(t, srv, w, req); reached {
			return
		}
		// 501 (not implemented) and 503 (no swarm) are dockerd's answers
		// too; a 500 is the daemon failing on what it was sent.
		if w.Code == http.StatusInternalServerError {
			t.Fatalf("%s %s?%s %q: %d %s", rt.Method, path, query, body, w.Code, w.Body)
		}
	})
}

func mustUnescape(p string) string {
	u, err := url.PathUnescape(p)
	if err != nil {
		return p
	}
	return u
}

// serve runs one request through srv and reports whether it reached a
// backend (panicking there, by design); any other panic fails the test.
func serve(t *testing.T, srv http.Handler, w http.ResponseWriter, req *http.Request) (reached bool) {
	defer func() {
		if p := recover(); p != nil {
			stack := string(debug.Stack())
			if strings.Contains(stack, "api_test.nop") || strings.Contains(stack, "api_test.(*nop") {
				reached = true
				return
			}
			t.Fatalf("%s %s?%s: panic %v\n%s", req.Method, req.URL.Path, req.URL.RawQuery, p, stack)
		}
	}()
	srv.ServeHTTP(w, req)
	return false
}
