package api

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	imagetypes "github.com/moby/moby/api/types/image"

	"github.com/wharf/wharf/internal/image"
)

func newImageServer(t *testing.T) (*httptest.Server, *image.Service) {
	t.Helper()
	svc, err := image.New(filepath.Join(t.TempDir(), "image"), nil)
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{b: Backends{Images: svc}, log: slog.New(slog.DiscardHandler), mux: http.NewServeMux()}
	s.imageRoutes()
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	return ts, svc
}

func rootfsTar(t *testing.T) []byte {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	tw.WriteHeader(&tar.Header{Name: "hello.txt", Mode: 0o644, Size: 6, Typeflag: tar.TypeReg})
	tw.Write([]byte("hello\n"))
	tw.Close()
	return buf.Bytes()
}

func do(t *testing.T, method, u string, body io.Reader) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest(method, u, body)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

func TestImageRoutes(t *testing.T) {
	ts, _ := newImageServer(t)
	base := ts.URL + "/v1.50"

	// import with changes
	q := url.Values{"fromSrc": {"-"}, "repo": {"localhost:5000/team/app"}, "tag": {"1.2"}, "changes": {`CMD ["sh"]`, "ENV A=b"}}
	resp, body := do(t, "POST", base+"/images/create?"+q.Encode(), bytes.NewReader(rootfsTar(t)))
	var msg struct{ Status string }
	if resp.StatusCode != 200 || json.Unmarshal(body, &msg) != nil || !strings.HasPrefix(msg.Status, "sha256:") {
		t.Fatalf("import: %d %s", resp.StatusCode, body)
	}
	id := msg.Status

	// inspect through a name with slashes and a port
	resp, body = do(t, "GET", base+"/images/localhost:5000/team/app:1.2/json", nil)
	var insp imagetypes.InspectResponse
	json.Unmarshal(body, &insp)
	if resp.StatusCode != 200 || insp.ID != id || insp.Config.Env[0] != "A=b" || insp.RootFS.Type != "layers" || insp.GraphDriver.Name != "overlay2" {
		t.Fatalf("inspect: %d %s", resp.StatusCode, body)
	}

	// tag, bad tag
	resp, _ = do(t, "POST", base+"/images/"+id[7:19]+"/tag?repo=busybox&tag=x", nil)
	if resp.StatusCode != 201 {
		t.Fatalf("tag: %d", resp.StatusCode)
	}
	resp, body = do(t, "POST", base+"/images/busybox:x/tag?repo=Bad", nil)
	if resp.StatusCode != 400 || !strings.Contains(string(body), "must be lowercase") {
		t.Fatalf("bad tag: %d %s", resp.StatusCode, body)
	}

	// list
	resp, body = do(t, "GET", base+"/images/json", nil)
	var list []imagetypes.Summary
	json.Unmarshal(body, &list)
	if resp.StatusCode != 200 || len(list) != 1 || len(list[0].RepoTags) != 2 {
		t.Fatalf("list: %s", body)
	}
	resp, _ = do(t, "GET", base+`/images/json?filters={"bogus":{"x":true}}`, nil)
	if resp.StatusCode != 400 {
		t.Fatalf("bad filter: %d", resp.StatusCode)
	}

	// history
	resp, body = do(t, "GET", base+"/images/busybox:x/history", nil)
	var hist []imagetypes.HistoryResponseItem
	json.Unmarshal(body, &hist)
	if resp.StatusCode != 200 || len(hist) != 1 || hist[0].ID != id {
		t.Fatalf("history: %s", body)
	}

	// save both ways, then load into a fresh server
	resp, saved := do(t, "GET", base+"/images/get?names=busybox:x", nil)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/x-tar" {
		t.Fatalf("save: %d", resp.StatusCode)
	}
	resp, _ = do(t, "GET", base+"/images/localhost:5000/team/app:1.2/get", nil)
	if resp.StatusCode != 200 {
		t.Fatalf("save one: %d", resp.StatusCode)
	}
	ts2, _ := newImageServer(t)
	resp, body = do(t, "POST", ts2.URL+"/images/load?quiet=1", bytes.NewReader(saved))
	if resp.StatusCode != 200 || !strings.Contains(string(body), `{"stream":"Loaded image: busybox:x\n"}`) {
		t.Fatalf("load: %d %s", resp.StatusCode, body)
	}
	resp, body = do(t, "POST", ts2.URL+"/images/load", strings.NewReader("not a tar"))
	if resp.StatusCode != 400 {
		t.Fatalf("bad load: %d %s", resp.StatusCode, body)
	}

	// delete
	resp, body = do(t, "DELETE", base+"/images/localhost:5000/team/app:1.2", nil)
	if resp.StatusCode != 200 || string(body) != `[{"Untagged":"localhost:5000/team/app:1.2"}]`+"\n" {
		t.Fatalf("untag: %d %s", resp.StatusCode, body)
	}
	resp, body = do(t, "DELETE", base+"/images/nope", nil)
	if resp.StatusCode != 404 || !strings.Contains(string(body), "No such image: nope") {
		t.Fatalf("missing: %d %s", resp.StatusCode, body)
	}
	resp, _ = do(t, "DELETE", base+"/images/busybox:x", nil)
	if resp.StatusCode != 200 {
		t.Fatalf("delete: %d", resp.StatusCode)
	}

	// pull is not ours yet; unknown action is a 404
	resp, _ = do(t, "POST", base+"/images/create?fromImage=busybox&tag=latest", nil)
	if resp.StatusCode != 501 {
		t.Fatalf("pull: %d", resp.StatusCode)
	}
	resp, _ = do(t, "GET", base+"/images/busybox/bogus", nil)
	if resp.StatusCode != 404 {
		t.Fatalf("bogus: %d", resp.StatusCode)
	}
}
