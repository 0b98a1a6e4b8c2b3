package image

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	imagetypes "github.com/moby/moby/api/types/image"

	"github.com/wharf/wharf/internal/api/apitest"
	"github.com/wharf/wharf/internal/image"
	"github.com/wharf/wharf/internal/registry"
)

func newImageServer(t *testing.T) (*httptest.Server, *image.Service) {
	t.Helper()
	svc, err := image.New(image.Config{Root: filepath.Join(t.TempDir(), "image")})
	if err != nil {
		t.Fatal(err)
	}
	return apitest.NewServer(t, NewRouter(svc, slog.New(slog.DiscardHandler))), svc
}

func rootfsTar(t *testing.T) []byte {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	tw.WriteHeader(&tar.Header{Name: "hello.txt", Mode: 0o644, Size: 6, Typeflag: tar.TypeReg})
	tw.Write([]byte("hello\n"))
	tw.Close()
	return buf.Bytes()
}

func TestImageRoutes(t *testing.T) {
	ts, _ := newImageServer(t)
	base := ts.URL + "/v1.50"

	// import with changes
	q := url.Values{"fromSrc": {"-"}, "repo": {"localhost:5000/team/app"}, "tag": {"1.2"}, "changes": {`CMD ["sh"]`, "ENV A=b"}}
	resp, body := apitest.Do(t, "POST", base+"/images/create?"+q.Encode(), bytes.NewReader(rootfsTar(t)))
	var msg struct{ Status string }
	if resp.StatusCode != 200 || json.Unmarshal(body, &msg) != nil || !strings.HasPrefix(msg.Status, "sha256:") {
		t.Fatalf("import: %d %s", resp.StatusCode, body)
	}
	id := msg.Status

	// inspect through a name with slashes and a port
	resp, body = apitest.Do(t, "GET", base+"/images/localhost:5000/team/app:1.2/json", nil)
	var insp imagetypes.InspectResponse
	json.Unmarshal(body, &insp)
	if resp.StatusCode != 200 || insp.ID != id || insp.Config.Env[0] != "A=b" || insp.RootFS.Type != "layers" || insp.GraphDriver.Name != "overlay2" {
		t.Fatalf("inspect: %d %s", resp.StatusCode, body)
	}

	// tag, bad tag
	resp, _ = apitest.Do(t, "POST", base+"/images/"+id[7:19]+"/tag?repo=busybox&tag=x", nil)
	if resp.StatusCode != 201 {
		t.Fatalf("tag: %d", resp.StatusCode)
	}
	resp, body = apitest.Do(t, "POST", base+"/images/busybox:x/tag?repo=Bad", nil)
	if resp.StatusCode != 400 || !strings.Contains(string(body), "must be lowercase") {
		t.Fatalf("bad tag: %d %s", resp.StatusCode, body)
	}

	// list
	resp, body = apitest.Do(t, "GET", base+"/images/json", nil)
	var list []imagetypes.Summary
	json.Unmarshal(body, &list)
	if resp.StatusCode != 200 || len(list) != 1 || len(list[0].RepoTags) != 2 {
		t.Fatalf("list: %s", body)
	}
	resp, _ = apitest.Do(t, "GET", base+`/images/json?filters={"bogus":{"x":true}}`, nil)
	if resp.StatusCode != 400 {
		t.Fatalf("bad filter: %d", resp.StatusCode)
	}

	// history
	resp, body = apitest.Do(t, "GET", base+"/images/busybox:x/history", nil)
	var hist []imagetypes.HistoryResponseItem
	json.Unmarshal(body, &hist)
	if resp.StatusCode != 200 || len(hist) != 1 || hist[0].ID != id {
		t.Fatalf("history: %s", body)
	}

	// save both ways, then load into a fresh server
	resp, saved := apitest.Do(t, "GET", base+"/images/get?names=busybox:x", nil)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/x-tar" {
		t.Fatalf("save: %d", resp.StatusCode)
	}
	resp, _ = apitest.Do(t, "GET", base+"/images/localhost:5000/team/app:1.2/get", nil)
	if resp.StatusCode != 200 {
		t.Fatalf("save one: %d", resp.StatusCode)
	}
	ts2, _ := newImageServer(t)
	resp, body = apitest.Do(t, "POST", ts2.URL+"/images/load?quiet=1", bytes.NewReader(saved))
	if resp.StatusCode != 200 || !strings.Contains(string(body), `{"stream":"Loaded image: busybox:x\n"}`) {
		t.Fatalf("load: %d %s", resp.StatusCode, body)
	}
	// A truncated archive: dockerd's stream error, nothing loaded.
	resp, body = apitest.Do(t, "POST", ts2.URL+"/images/load", bytes.NewReader(saved[:len(saved)/2+100]))
	if resp.StatusCode != 200 || string(body) != `{"errorDetail":{"message":"unexpected EOF"},"error":"unexpected EOF"}`+"\n" {
		t.Fatalf("truncated load: %d %s", resp.StatusCode, body)
	}
	resp, body = apitest.Do(t, "POST", ts2.URL+"/images/load", strings.NewReader("not a tar"))
	if resp.StatusCode != 200 || string(body) != `{"errorDetail":{"message":"unexpected EOF"},"error":"unexpected EOF"}`+"\n" {
		t.Fatalf("bad load: %d %s", resp.StatusCode, body)
	}

	// delete
	resp, body = apitest.Do(t, "DELETE", base+"/images/localhost:5000/team/app:1.2", nil)
	if resp.StatusCode != 200 || string(body) != `[{"Untagged":"localhost:5000/team/app:1.2"}]`+"\n" {
		t.Fatalf("untag: %d %s", resp.StatusCode, body)
	}
	resp, body = apitest.Do(t, "DELETE", base+"/images/nope", nil)
	if resp.StatusCode != 404 || !strings.Contains(string(body), "No such image: nope") {
		t.Fatalf("missing: %d %s", resp.StatusCode, body)
	}
	resp, _ = apitest.Do(t, "DELETE", base+"/images/busybox:x", nil)
	if resp.StatusCode != 200 {
		t.Fatalf("delete: %d", resp.StatusCode)
	}

	// unknown action is a 404
	resp, _ = apitest.Do(t, "GET", base+"/images/busybox/bogus", nil)
	if resp.StatusCode != 404 {
		t.Fatalf("bogus: %d", resp.StatusCode)
	}
}

// TestRegistryRoutes pushes, pulls and logs in through the API against
// wharf's own registry on 127.0.0.1.
func TestRegistryRoutes(t *testing.T) {
	store, err := registry.NewStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	reg := httptest.NewServer(registry.NewServer(store, nil, nil))
	t.Cleanup(reg.Close)
	host := strings.TrimPrefix(reg.URL, "http://")
	ts, _ := newImageServer(t)
	base := ts.URL + "/v1.50"

	q := url.Values{"fromSrc": {"-"}, "repo": {host + "/app"}, "tag": {"1"}}
	if resp, body := apitest.Do(t, "POST", base+"/images/create?"+q.Encode(), bytes.NewReader(rootfsTar(t))); resp.StatusCode != 200 {
		t.Fatalf("import: %d %s", resp.StatusCode, body)
	}
	resp, body := apitest.Do(t, "POST", base+"/images/"+host+"/app/push?tag=1", nil)
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"status":"The push refers to repository [`+host+`/app]"`) ||
		!strings.Contains(string(body), `"status":"Pushed"`) || !strings.Contains(string(body), `"aux":{"Tag":"1","Digest":"sha256:`) {
		t.Fatalf("push: %d %s", resp.StatusCode, body)
	}
	resp, body = apitest.Do(t, "POST", base+"/images/"+host+"/missing/push?tag=1", nil)
	if resp.StatusCode != 404 || !strings.Contains(string(body), "An image does not exist locally with the tag: "+host+"/missing:1") {
		t.Fatalf("push of a missing image: %d %s", resp.StatusCode, body)
	}

	// Pull into another daemon.
	ts2, _ := newImageServer(t)
	q = url.Values{"fromImage": {host + "/app"}, "tag": {"1"}}
	resp, body = apitest.Do(t, "POST", ts2.URL+"/v1.50/images/create?"+q.Encode(), nil)
	for _, want := range []string{`{"status":"Pulling from app","id":"1"}`, `"status":"Pull complete"`, `"status":"Digest: sha256:`, `{"status":"Status: Downloaded newer image for ` + host + `/app:1"}`} {
		if resp.StatusCode != 200 || !strings.Contains(string(body), want) {
			t.Fatalf("pull: %d, no %s in\n%s", resp.StatusCode, want, body)
		}
	}
	// No tag: every tag (pull --all-tags).
	if resp, body := apitest.Do(t, "POST", base+"/images/"+host+"/app:1/tag?repo="+url.QueryEscape(host+"/app")+"&tag=2", nil); resp.StatusCode != 201 {
		t.Fatalf("tag: %d %s", resp.StatusCode, body)
	}
	if resp, body := apitest.Do(t, "POST", base+"/images/"+host+"/app/push?tag=2", nil); resp.StatusCode != 200 {
		t.Fatalf("push: %d %s", resp.StatusCode, body)
	}
	ts3, svc3 := newImageServer(t)
	q = url.Values{"fromImage": {host + "/app"}}
	resp, body = apitest.Do(t, "POST", ts3.URL+"/v1.50/images/create?"+q.Encode(), nil)
	if resp.StatusCode != 200 || !strings.Contains(string(body), `{"status":"Pulling from app","id":"2"}`) || !strings.Contains(string(body), `{"status":"Status: Downloaded newer image for `+host+`/app"}`) {
		t.Fatalf("pull of all tags: %d %s", resp.StatusCode, body)
	}
	if img, err := svc3.Inspect(context.Background(), host+"/app:2"); err != nil || len(img.RepoTags) != 2 {
		t.Fatalf("after pulling all tags: %+v %v", img, err)
	}

	q = url.Values{"fromImage": {host + "/nope"}, "tag": {"latest"}}
	resp, body = apitest.Do(t, "POST", ts2.URL+"/v1.50/images/create?"+q.Encode(), nil)
	if resp.StatusCode != 404 || !strings.Contains(string(body), "manifest for "+host+"/nope:latest not found: manifest unknown: manifest unknown") {
		t.Fatalf("pull of an unknown image: %d %s", resp.StatusCode, body)
	}
	req, _ := http.NewRequest("POST", ts2.URL+"/v1.50/images/create?"+q.Encode(), nil)
	req.Header.Set("X-Registry-Auth", "!!")
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 400 {
		t.Fatalf("bad X-Registry-Auth: %v %v", resp, err)
	}

	resp, body = apitest.Do(t, "POST", base+"/auth", strings.NewReader(`{"serveraddress":"`+host+`","username":"u","password":"p"}`))
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"Status":"Login Succeeded"`) {
		t.Fatalf("auth: %d %s", resp.StatusCode, body)
	}
}
