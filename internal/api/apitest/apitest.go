// Package apitest serves routers the way wharfd does, for the routers'
// tests.
package apitest

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/wharf/wharf/internal/api"
	"github.com/wharf/wharf/internal/api/router"
)

// NewServer serves routers through the API server (version prefixes,
// error JSON) until the test ends.
func NewServer(t testing.TB, routers ...router.Router) *httptest.Server {
	t.Helper()
	ts := httptest.NewServer(api.New(slog.New(slog.DiscardHandler), routers...))
	t.Cleanup(ts.Close)
	return ts
}

// Do sends a request and returns the response with its body read.
func Do(t testing.TB, method, url string, body io.Reader) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

// ErrorCase is a request and the docker error it must get.
type ErrorCase struct {
	Method, Path, Body string
	Status             int
	Message            string // a part of the error's message
}

// CheckErrors sends each case to ts and checks the status, that the body
// is docker's error JSON and that its message holds the case's.
func CheckErrors(t testing.TB, ts *httptest.Server, cases []ErrorCase) {
	t.Helper()
	for _, c := range cases {
		resp, body := Do(t, c.Method, ts.URL+c.Path, strings.NewReader(c.Body))
		var msg struct{ Message string }
		if resp.StatusCode != c.Status || resp.Header.Get("Content-Type") != "application/json" ||
			json.Unmarshal(body, &msg) != nil || !strings.Contains(msg.Message, c.Message) {
			t.Errorf("%s %s: %d %q %s", c.Method, c.Path, resp.StatusCode, resp.Header.Get("Content-Type"), body)
		}
	}
}
