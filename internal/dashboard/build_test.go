package dashboard

import (
	"archive/tar"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// serveBuild stands for the Engine API's POST /build: it answers the
// query it got, then each name in the context, as build messages.
func serveBuild(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	enc := json.NewEncoder(w)
	enc.Encode(map[string]string{"stream": "query " + r.URL.RawQuery + "\n"})
	tr := tar.NewReader(r.Body)
	var names []string
	for {
		h, err := tr.Next()
		if err != nil {
			break
		}
		names = append(names, h.Name)
	}
	sort.Strings(names)
	enc.Encode(map[string]string{"stream": "context " + strings.Join(names, ",") + "\n"})
}

func TestBuildFromHostPath(t *testing.T) {
	s, _ := start(t)
	session := login(t, s)
	bearer := http.Header{"Authorization": {"Bearer " + session}}
	dir := t.TempDir()
	for name, body := range map[string]string{
		"Dockerfile":      "FROM busybox\n",
		"app/main.sh":     "echo hi\n",
		"secret.key":      "x",
		".dockerignore":   "*.key\n",
		"docker/other.df": "FROM busybox\n",
	} {
		p := filepath.Join(dir, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	body := func(req buildRequest) string {
		b, _ := json.Marshal(req)
		return string(b)
	}

	resp := do(t, s, "POST", "/images/build", body(buildRequest{Path: dir, Tag: "app:1", NoCache: true}), bearer)
	text, errMsg := composeStream(t, resp)
	if resp.StatusCode != http.StatusOK || errMsg != "" {
		t.Fatalf("build: %s %s", resp.Status, errMsg)
	}
	// .dockerignore applies (no secret.key), and the query is the CLI's.
	for _, want := range []string{"dockerfile=Dockerfile", "t=app%3A1", "nocache=1", "context .dockerignore,Dockerfile,app/,app/main.sh,docker/,docker/other.df\n"} {
		if !strings.Contains(text, want) {
			t.Errorf("build stream lacks %q:\n%s", want, text)
		}
	}

	resp = do(t, s, "POST", "/images/build", body(buildRequest{Path: dir, Dockerfile: "docker/other.df"}), bearer)
	if text, _ := composeStream(t, resp); !strings.Contains(text, "dockerfile=docker%2Fother.df") {
		t.Errorf("a named Dockerfile: %s", text)
	}

	// Bad paths are refused in the docker CLI's words, before the API.
	for _, c := range []struct {
		req  buildRequest
		want string
	}{
		{buildRequest{Path: "relative/dir"}, "is not an absolute path"},
		{buildRequest{Path: filepath.Join(dir, "missing")}, "unable to prepare context: path"},
		{buildRequest{Path: filepath.Join(dir, "app")}, "Dockerfile path: lstat"},
		{buildRequest{Path: filepath.Join(dir, "app"), Dockerfile: "../Dockerfile"}, "must be within the build context"},
		{buildRequest{Path: filepath.Join(dir, "Dockerfile")}, "context must be a directory"},
	} {
		resp := do(t, s, "POST", "/images/build", body(c.req), bearer)
		data, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(data), c.want) {
			t.Errorf("%+v: %s %s, want 400 with %q", c.req, resp.Status, data, c.want)
		}
	}

	// Without a session, nothing is read.
	resp = do(t, s, "POST", "/images/build", body(buildRequest{Path: dir}), nil)
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("without a session: %s", resp.Status)
	}
}
