package api_test

import (
	"encoding/json"
	"io"
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
		router.Post("/small", readAll),
		router.Post("/config", readAll).WithMaxBody(router.ConfigMaxBody),
		router.Post("/stream", readAll).WithMaxBody(router.Unbounded),
	}
}

// readAll decodes a JSON string body, or counts the bytes of another.
func readAll(w http.ResponseWriter, r *http.Request) error {
	if r.Header.Get("Content-Type") == "application/json" {
		var s string
		if err := httputil.ReadJSON(r, &s); err != nil {
			return err
		}
		return httputil.WriteJSON(w, http.StatusOK, len(s))
	}
	n, err := io.Copy(io.Discard, r.Body)
	if err != nil {
		return err
	}
	return httputil.WriteJSON(w, http.StatusOK, n)
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
		"/v1.11/version-seen": "client version 1.11 is too old",
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

func TestBodyLimits(t *testing.T) {
	ts := apitest.NewServer(t, testRouter{})
	jsonString := func(n int) string { return `"` + strings.Repeat("a", n) + `"` }
	for _, tc := range []struct {
		path   string
		body   string
		json   bool
		status int
	}{
		{"/small", jsonString(1000), true, 200},
		{"/small", jsonString(router.DefaultMaxBody), true, 413},
		{"/config", jsonString(router.DefaultMaxBody), true, 200},
		{"/config", jsonString(router.ConfigMaxBody), true, 413},
		{"/v1.24/config", jsonString(router.ConfigMaxBody), true, 413},
		{"/stream", strings.Repeat("a", 3*router.ConfigMaxBody), false, 200},
	} {
		req, err := http.NewRequest("POST", ts.URL+tc.path, strings.NewReader(tc.body))
		if err != nil {
			t.Fatal(err)
		}
		if tc.json {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := ts.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.status {
			t.Errorf("%s with %d bytes: %d %s, want %d", tc.path, len(tc.body), resp.StatusCode, body, tc.status)
		}
		if tc.status == 413 && !strings.Contains(string(body), "request body is larger than the limit") {
			t.Errorf("%s: message %s", tc.path, body)
		}
	}
}
