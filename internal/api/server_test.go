package api_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/wharf/wharf/internal/api/apitest"
	"github.com/wharf/wharf/internal/api/httputil"
	"github.com/wharf/wharf/internal/api/router"
	"github.com/wharf/wharf/internal/errs"
	"github.com/wharf/wharf/internal/version"
)

// testRouter answers GET /version-seen with the API version its handler
// got, and GET /fail/{kind} with an error of that kind.
type testRouter struct{}

func (testRouter) Routes() []router.Route {
	return []router.Route{
		router.Get("/version-seen", func(w http.ResponseWriter, r *http.Request) error {
			return httputil.WriteJSON(w, http.StatusOK, httputil.VersionFromContext(r.Context()))
		}),
		router.Post("/fail/{kind}", func(w http.ResponseWriter, r *http.Request) error {
			switch r.PathValue("kind") {
			case "notfound":
				return errs.NotFound("No such thing: %s", "x")
			case "conflict":
				return errs.Conflict("thing is busy")
			case "notmodified":
				return errs.NotModified("thing already started")
			case "json":
				var v struct{}
				return httputil.ReadJSON(r, &v)
			}
			return nil
		}),
	}
}

func TestVersionedPaths(t *testing.T) {
	ts := apitest.NewServer(t, testRouter{})
	for p, want := range map[string]string{
		"/version-seen":                             version.APIVersion,
		"/v1.24/version-seen":                       "1.24",
		"/v1.41/version-seen":                       "1.41",
		"/v" + version.APIVersion + "/version-seen": version.APIVersion,
	} {
		resp, body := apitest.Do(t, "GET", ts.URL+p, nil)
		var got string
		if resp.StatusCode != 200 || json.Unmarshal(body, &got) != nil || got != want {
			t.Errorf("%s: %d %s, want version %s", p, resp.StatusCode, body, want)
		}
		if resp.Header.Get("Api-Version") != version.APIVersion || resp.Header.Get("Ostype") != "linux" {
			t.Errorf("%s: headers %v", p, resp.Header)
		}
	}
	for p, want := range map[string]string{
		"/v1.12/version-seen": "client version 1.12 is too old",
		"/v9.99/version-seen": "client version 9.99 is too new",
	} {
		resp, body := apitest.Do(t, "GET", ts.URL+p, nil)
		if resp.StatusCode != 400 || !strings.Contains(string(body), want) {
			t.Errorf("%s: %d %s", p, resp.StatusCode, body)
		}
	}
}

func TestErrorsAreDockerJSON(t *testing.T) {
	ts := apitest.NewServer(t, testRouter{})
	apitest.CheckErrors(t, ts, []apitest.ErrorCase{
		{Method: "POST", Path: "/v1.41/fail/notfound", Status: 404, Message: "No such thing: x"},
		{Method: "GET", Path: "/no/such/route", Status: 404, Message: "page not found"},
		{Method: "POST", Path: "/fail/json", Body: "{not json", Status: 400, Message: "invalid JSON"},
		{Method: "POST", Path: "/fail/conflict", Status: 409, Message: "thing is busy"},
	})
	if resp, _ := apitest.Do(t, "POST", ts.URL+"/fail/notmodified", nil); resp.StatusCode != 304 {
		t.Errorf("not modified: %d, want 304", resp.StatusCode)
	}
}
