//go:build integration

package integration

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// apiCall makes one request to wharfd and returns the response and its body.
func apiCall(t *testing.T, method, path, body string) (*http.Response, string) {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, "http://wharf"+path, r)
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	client := testEnv.http()
	client.Timeout = 20 * time.Second
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(data)
}

// wantError checks docker's JSON error response: status, content type and message.
func wantError(t *testing.T, resp *http.Response, body string, status int, message string) {
	t.Helper()
	var e struct{ Message string }
	if resp.StatusCode != status || resp.Header.Get("Content-Type") != "application/json" || json.Unmarshal([]byte(body), &e) != nil || e.Message != message {
		t.Errorf("got %d %q %s\nwant %d application/json {\"message\":%q}", resp.StatusCode, resp.Header.Get("Content-Type"), body, status, message)
	}
}

func TestAPIPing(t *testing.T) {
	resp, body := apiCall(t, "GET", "/_ping", "")
	if resp.StatusCode != 200 || body != "OK" || resp.Header.Get("Api-Version") == "" || resp.Header.Get("Ostype") != "linux" {
		t.Fatalf("GET /_ping: %d %q %v", resp.StatusCode, body, resp.Header)
	}
	apiVersion := resp.Header.Get("Api-Version")
	resp, body = apiCall(t, "HEAD", "/_ping", "")
	if resp.StatusCode != 200 || body != "" || resp.Header.Get("Api-Version") != apiVersion {
		t.Fatalf("HEAD /_ping: %d %q %v", resp.StatusCode, body, resp.Header)
	}
	resp, body = apiCall(t, "GET", "/v1.24/_ping", "")
	if resp.StatusCode != 200 || body != "OK" {
		t.Fatalf("GET /v1.24/_ping: %d %q", resp.StatusCode, body)
	}

	var v struct{ Version, APIVersion, MinAPIVersion, Os, Arch string }
	resp, body = apiCall(t, "GET", "/version", "")
	if resp.StatusCode != 200 || json.Unmarshal([]byte(body), &v) != nil || v.APIVersion != apiVersion || v.MinAPIVersion != "1.12" || v.Os != "linux" || v.Version == "" {
		t.Fatalf("GET /version: %d %s", resp.StatusCode, body)
	}

	name := uniqueName(t, "info")
	cleanupContainers(t, name)
	cli(t, "wharf", "create", "--name", name, "busybox")
	var info struct {
		Containers, ContainersStopped, Images int
		OSType, DockerRootDir                 string
	}
	resp, body = apiCall(t, "GET", "/info", "")
	if resp.StatusCode != 200 || json.Unmarshal([]byte(body), &info) != nil {
		t.Fatalf("GET /info: %d %s", resp.StatusCode, body)
	}
	total := len(lines(cli(t, "wharf", "ps", "-aq")))
	images := len(lines(cli(t, "wharf", "images", "-qa")))
	if info.Containers != total || info.ContainersStopped < 1 || info.Images != images || info.OSType != "linux" || info.DockerRootDir != testEnv.root {
		t.Fatalf("GET /info: %s (containers %d, images %d)", body, total, images)
	}
}

func TestAPIVersionedPaths(t *testing.T) {
	for _, v := range []string{"/v1.24", "/v1.41", "/v1.44", ""} {
		resp, body := apiCall(t, "GET", v+"/containers/json?all=1", "")
		var list []map[string]any
		if resp.StatusCode != 200 || json.Unmarshal([]byte(body), &list) != nil {
			t.Errorf("GET %s/containers/json: %d %s", v, resp.StatusCode, body)
		}
		resp, body = apiCall(t, "GET", v+"/version", "")
		if resp.StatusCode != 200 || !strings.Contains(body, `"ApiVersion"`) {
			t.Errorf("GET %s/version: %d %s", v, resp.StatusCode, body)
		}
	}
	resp, body := apiCall(t, "GET", "/v1.11/version", "")
	wantError(t, resp, body, 400, "client version 1.11 is too old. Minimum supported API version is 1.12, please upgrade your client to a newer version")
	resp, body = apiCall(t, "GET", "/v9.99/version", "")
	if resp.StatusCode != 400 || !strings.Contains(body, "client version 9.99 is too new") {
		t.Errorf("too new a version: %d %s", resp.StatusCode, body)
	}
	resp, body = apiCall(t, "GET", "/no/such/route", "")
	if resp.StatusCode != 404 || resp.Header.Get("Content-Type") != "application/json" || !strings.Contains(body, `"message"`) {
		t.Errorf("unknown route: %d %s", resp.StatusCode, body)
	}
}

func TestAPIErrors(t *testing.T) {
	resp, body := apiCall(t, "GET", "/containers/x/json", "")
	wantError(t, resp, body, 404, "No such container: x")
	resp, body = apiCall(t, "GET", "/v1.41/containers/nope-x/json", "")
	wantError(t, resp, body, 404, "No such container: nope-x")
	resp, body = apiCall(t, "POST", "/containers/nope-x/start", "")
	wantError(t, resp, body, 404, "No such container: nope-x")
	resp, body = apiCall(t, "DELETE", "/containers/nope-x", "")
	wantError(t, resp, body, 404, "No such container: nope-x")
	resp, body = apiCall(t, "GET", "/images/nope-x:1/json", "")
	wantError(t, resp, body, 404, "No such image: nope-x:1")

	resp, body = apiCall(t, "POST", "/containers/create", `{"Image": "busybox", "Cmd": [`)
	if resp.StatusCode != 400 || resp.Header.Get("Content-Type") != "application/json" || !strings.Contains(body, `"message"`) {
		t.Errorf("malformed JSON: %d %s", resp.StatusCode, body)
	}
	resp, body = apiCall(t, "POST", "/containers/create", `{"Image": "no-such-image-x:1"}`)
	wantError(t, resp, body, 404, "No such image: no-such-image-x:1")

	name := uniqueName(t, "c")
	cleanupContainers(t, name)
	resp, body = apiCall(t, "POST", "/containers/create?name="+name, `{"Image": "busybox", "Cmd": ["sleep", "60"]}`)
	var created struct {
		ID string `json:"Id"`
	}
	if resp.StatusCode != 201 || json.Unmarshal([]byte(body), &created) != nil || len(created.ID) != 64 {
		t.Fatalf("create: %d %s", resp.StatusCode, body)
	}
	resp, body = apiCall(t, "POST", "/containers/create?name="+name, `{"Image": "busybox"}`)
	wantError(t, resp, body, 409, `Conflict. The container name "/`+name+`" is already in use by container "`+created.ID+`". You have to remove (or rename) that container to be able to reuse that name.`)

	resp, body = apiCall(t, "POST", "/containers/"+name+"/start", "")
	if resp.StatusCode != 204 {
		t.Fatalf("start: %d %s", resp.StatusCode, body)
	}
	resp, _ = apiCall(t, "POST", "/containers/"+name+"/start", "")
	if resp.StatusCode != 304 {
		t.Errorf("second start: %d, want 304", resp.StatusCode)
	}
	resp, body = apiCall(t, "DELETE", "/containers/"+name, "")
	wantError(t, resp, body, 409, `cannot remove container "/`+name+`": container is running: stop the container before removing or force remove`)
	resp, body = apiCall(t, "POST", "/containers/"+name+"/stop?t=0", "")
	if resp.StatusCode != 204 {
		t.Errorf("stop: %d %s", resp.StatusCode, body)
	}
	resp, _ = apiCall(t, "POST", "/containers/"+name+"/stop", "")
	if resp.StatusCode != 304 {
		t.Errorf("second stop: %d, want 304", resp.StatusCode)
	}
	resp, body = apiCall(t, "POST", "/containers/"+name+"/kill", "")
	if resp.StatusCode != 409 || !strings.Contains(body, "is not running") {
		t.Errorf("kill of a stopped container: %d %s", resp.StatusCode, body)
	}
	resp, body = apiCall(t, "GET", "/containers/"+name+"/logs", "")
	wantError(t, resp, body, 400, "Bad parameters: you must choose at least one stream")
	resp, body = apiCall(t, "DELETE", "/containers/"+name, "")
	if resp.StatusCode != 204 {
		t.Errorf("delete: %d %s", resp.StatusCode, body)
	}
	resp, body = apiCall(t, "GET", "/containers/"+created.ID+"/json", "")
	wantError(t, resp, body, 404, "No such container: "+created.ID)
}

func TestAPIWaitAndLogs(t *testing.T) {
	name := uniqueName(t, "w")
	cleanupContainers(t, name)
	resp, body := apiCall(t, "POST", "/containers/create?name="+name, `{"Image": "busybox", "Cmd": ["sh", "-c", "echo out; exit 9"]}`)
	if resp.StatusCode != 201 {
		t.Fatalf("create: %d %s", resp.StatusCode, body)
	}
	if resp, body = apiCall(t, "POST", "/containers/"+name+"/start", ""); resp.StatusCode != 204 {
		t.Fatalf("start: %d %s", resp.StatusCode, body)
	}
	resp, body = apiCall(t, "POST", "/containers/"+name+"/wait", "")
	var w struct{ StatusCode int }
	if resp.StatusCode != 200 || json.Unmarshal([]byte(body), &w) != nil || w.StatusCode != 9 {
		t.Fatalf("wait: %d %s", resp.StatusCode, body)
	}
	// Multiplexed: an 8-byte header (stream 1 = stdout, big-endian length), then the data.
	resp, body = apiCall(t, "GET", "/containers/"+name+"/logs?stdout=1", "")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/vnd.docker.multiplexed-stream" || body != "\x01\x00\x00\x00\x00\x00\x00\x04out\n" {
		t.Fatalf("logs: %d %q %q", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
}
