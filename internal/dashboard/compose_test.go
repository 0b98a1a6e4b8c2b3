package dashboard

import (
	"bufio"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fakeCompose is a docker-compose plugin that says how it was run: its
// arguments, whether DOCKER_HOST is a live socket, and the file it got;
// the project "broken" fails as compose does.
const fakeCompose = `#!/bin/sh
[ "$1" = docker-cli-plugin-metadata ] && { echo '{"SchemaVersion":"0.1.0","Vendor":"test"}'; exit 0; }
echo "args: $*"
sock=${DOCKER_HOST#unix://}
[ -S "$sock" ] && echo "socket: ok"
[ -n "$COMPOSE_FILE" ] && echo "leaked COMPOSE_FILE"
while [ $# -gt 0 ]; do
	case $1 in --file) cat "$2";; --project-name) [ "$2" = broken ] && { echo "no such image" >&2; exit 17; };; esac
	shift
done
exit 0
`

func composeStream(t *testing.T, resp *http.Response) (text, errMsg string) {
	t.Helper()
	sc := bufio.NewScanner(resp.Body)
	var b strings.Builder
	for sc.Scan() {
		var m struct {
			Stream string `json:"stream"`
			Error  string `json:"error"`
		}
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		b.WriteString(m.Stream)
		if m.Error != "" {
			errMsg = m.Error
		}
	}
	return b.String(), errMsg
}

func TestCompose(t *testing.T) {
	t.Setenv("COMPOSE_FILE", "/elsewhere.yaml")
	s, _ := start(t)
	auth := http.Header{"Authorization": {"Bearer " + login(t, s)}}
	dir := t.TempDir()
	s.composeDirs = []string{dir}

	if resp := do(t, s, http.MethodPost, "/compose/up", `{"Project":"web","File":"services: {}"}`, auth); resp.StatusCode != http.StatusNotImplemented {
		t.Fatalf("without the plugin: %s", resp.Status)
	}
	// compose 1.29 (a program, not a plugin) is passed over.
	if err := os.WriteFile(filepath.Join(dir, "docker-compose"), []byte("#!/bin/sh\necho 'No such command: docker-cli-plugin-metadata' >&2; exit 1\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if resp := do(t, s, http.MethodPost, "/compose/up", `{"Project":"web","File":"services: {}"}`, auth); resp.StatusCode != http.StatusNotImplemented {
		t.Fatalf("with compose 1.29 only: %s", resp.Status)
	}
	if err := os.WriteFile(filepath.Join(dir, "docker-compose"), []byte(fakeCompose), 0o755); err != nil {
		t.Fatal(err)
	}

	resp := do(t, s, http.MethodPost, "/compose/up", `{"Project":"web","File":"services:\n  app: {image: busybox}\n"}`, auth)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("up: %s", resp.Status)
	}
	text, errMsg := composeStream(t, resp)
	if errMsg != "" || !strings.Contains(text, "args: --ansi never --progress plain --project-name web --file ") ||
		!strings.Contains(text, " up --detach") || !strings.Contains(text, "socket: ok") || !strings.Contains(text, "app: {image: busybox}") || strings.Contains(text, "leaked") {
		t.Errorf("up ran as %q (error %q)", text, errMsg)
	}

	resp = do(t, s, http.MethodPost, "/compose/down", `{"Project":"web","Volumes":true}`, auth)
	if text, errMsg := composeStream(t, resp); errMsg != "" || !strings.Contains(text, "--project-name web down --volumes") {
		t.Errorf("down ran as %q (error %q)", text, errMsg)
	}

	resp = do(t, s, http.MethodPost, "/compose/up", `{"Project":"broken","File":"services: {}"}`, auth)
	if text, errMsg := composeStream(t, resp); !strings.Contains(text, "no such image") || !strings.Contains(errMsg, "exit status 17") {
		t.Errorf("a failing up: %q (error %q)", text, errMsg)
	}

	for _, body := range []string{`{"Project":"Bad Name","File":"x"}`, `{"Project":"-p","File":"x"}`, `{"Project":"web"}`, `{"Project":"web","File":"x","Dir":"relative"}`, `{"Project":"web","File":"x","Dir":"/no/such/dir"}`, `not json`} {
		if resp := do(t, s, http.MethodPost, "/compose/up", body, auth); resp.StatusCode != http.StatusBadRequest {
			t.Errorf("up %s: %s", body, resp.Status)
		}
	}
	// The session and the guard, as for the API: no CSRF, no rebinding.
	if resp := do(t, s, http.MethodPost, "/compose/down", `{"Project":"web"}`, nil); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("without a session: %s", resp.Status)
	}
	if resp := do(t, s, http.MethodPost, "/compose/down", `{"Project":"web"}`, http.Header{"Authorization": auth["Authorization"], "Origin": {"http://evil.example"}}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("from another origin: %s", resp.Status)
	}
}

func TestComposeRunsOnePerProject(t *testing.T) {
	var c composeRuns
	release, err := c.acquire("a")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.acquire("a"); err == nil {
		t.Error("two runs on one project")
	}
	for _, p := range []string{"b", "c", "d"} {
		if _, err := c.acquire(p); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.acquire("e"); err == nil {
		t.Errorf("more than %d runs", maxComposeRuns)
	}
	release()
	if _, err := c.acquire("a"); err != nil {
		t.Errorf("after release: %v", err)
	}
}
