package build

import (
	"archive/tar"
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
)

func writeTree(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func exists(dir, name string) bool {
	_, err := os.Lstat(filepath.Join(dir, name))
	return err == nil
}

func TestDockerignore(t *testing.T) {
	dir := writeTree(t, map[string]string{
		"Dockerfile": "FROM scratch", "keep.txt": "k", "secret.txt": "s",
		"logs/a.log": "a", "logs/important.log": "i", "node_modules/x/y.js": "y", "sub/secret.txt": "s2",
	})
	patterns := []string{"*.txt", "!keep.txt", "logs/*.log", "!logs/important.log", "node_modules", "**/secret.txt", "Dockerfile"}
	if err := applyIgnore(dir, patterns, "Dockerfile"); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]bool{
		"Dockerfile": true, "keep.txt": true, "secret.txt": false, "logs/a.log": false,
		"logs/important.log": true, "node_modules": false, "sub/secret.txt": false,
	} {
		if got := exists(dir, name); got != want {
			t.Errorf("%s: exists = %v, want %v", name, got, want)
		}
	}
}

func TestReadIgnoreMissing(t *testing.T) {
	p, err := readIgnore(t.TempDir())
	if err != nil || p != nil {
		t.Fatalf("readIgnore = %v, %v", p, err)
	}
}

func TestCacheKey(t *testing.T) {
	a := cacheKey("sha256:1", "RUN x")
	if a != cacheKey("sha256:1", "RUN x") {
		t.Error("same parent and instruction: different keys")
	}
	if a == cacheKey("sha256:2", "RUN x") || a == cacheKey("sha256:1", "RUN y") {
		t.Error("different parent or instruction: same key")
	}
	c, err := openCache(filepath.Join(t.TempDir(), "cache.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.put(a, "sha256:img"); err != nil {
		t.Fatal(err)
	}
	c2, err := openCache(c.path)
	if err != nil {
		t.Fatal(err)
	}
	if id, ok := c2.get(a); !ok || id != "sha256:img" {
		t.Errorf("reloaded cache: %q %v", id, ok)
	}
}

func TestCopyChecksum(t *testing.T) {
	dir := writeTree(t, map[string]string{"a/1.txt": "one", "a/2.txt": "two"})
	sum := func() string {
		entries, err := collect(dir, "/", copySpec{sources: []string{"a"}, dest: "/dst/"})
		if err != nil {
			t.Fatal(err)
		}
		s, err := checksum(entries, 0, 0, nil)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	first := sum()
	os.Chtimes(filepath.Join(dir, "a/1.txt"), timeAgo(), timeAgo())
	if sum() != first {
		t.Error("touching a file changed the checksum")
	}
	os.WriteFile(filepath.Join(dir, "a/1.txt"), []byte("changed"), 0o644)
	if sum() == first {
		t.Error("changing a file left the checksum")
	}
}

func TestCollect(t *testing.T) {
	dir := writeTree(t, map[string]string{"a.go": "a", "b.go": "b", "c.txt": "c", "d/e": "e"})
	names := func(c copySpec, workdir string) []string {
		entries, err := collect(dir, workdir, c)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, e := range entries {
			out = append(out, e.name)
		}
		slices.Sort(out)
		return out
	}
	if got := names(copySpec{sources: []string{"*.go"}, dest: "/src"}, "/"); !slices.Equal(got, []string{"src/a.go", "src/b.go"}) {
		t.Errorf("glob: %q", got)
	}
	if got := names(copySpec{sources: []string{"c.txt"}, dest: "x"}, "/app"); !slices.Equal(got, []string{"app/x"}) {
		t.Errorf("file to relative dest: %q", got)
	}
	if got := names(copySpec{sources: []string{"."}, dest: "/ctx/"}, "/"); len(got) != 5 {
		t.Errorf("whole context: %q", got)
	}
	if got := names(copySpec{sources: []string{"d"}, dest: "/opt/"}, "/"); !slices.Equal(got, []string{"opt/e"}) {
		t.Errorf("directory: %q", got)
	}
	for _, src := range []string{"../x", "missing"} {
		if _, err := collect(dir, "/", copySpec{sources: []string{src}, dest: "/"}); err == nil {
			t.Errorf("%s: no error", src)
		}
	}
}

func TestWriteLayer(t *testing.T) {
	dir := writeTree(t, map[string]string{"f": "data"})
	entries, err := collect(dir, "/", copySpec{sources: []string{"f"}, dest: "/g"})
	if err != nil {
		t.Fatal(err)
	}
	mode := os.FileMode(0o600)
	var buf bytes.Buffer
	if err := writeLayer(&buf, entries, 1000, 1001, &mode); err != nil {
		t.Fatal(err)
	}
	h, err := tar.NewReader(&buf).Next()
	if err != nil {
		t.Fatal(err)
	}
	if h.Name != "g" || h.Uid != 1000 || h.Gid != 1001 || h.Mode != 0o600 || h.Size != 4 {
		t.Errorf("header: %+v", h)
	}
}

func TestParseChown(t *testing.T) {
	for in, want := range map[string][2]int{"": {0, 0}, "1000": {1000, 1000}, "1:2": {1, 2}, "root:5": {0, 5}} {
		u, g, err := parseChown(in)
		if err != nil || u != want[0] || g != want[1] {
			t.Errorf("%q: %d %d %v", in, u, g, err)
		}
	}
	if _, _, err := parseChown("nobody"); err == nil {
		t.Error("names: no error")
	}
}

func TestApplyConfig(t *testing.T) {
	df := `FROM busybox
ENV A=1 B=2
LABEL x=y
WORKDIR /app
WORKDIR sub
USER 1000
EXPOSE 80 53/udp
VOLUME /data
STOPSIGNAL SIGINT
SHELL ["/bin/bash", "-c"]
CMD echo hi
ENTRYPOINT ["/bin/tini"]
HEALTHCHECK CMD true
`
	stages, _, err := parseDockerfile([]byte(df))
	if err != nil {
		t.Fatal(err)
	}
	var cfg dockerspec.DockerOCIImageConfig
	for _, c := range stages[0].Commands {
		if _, err := applyConfig(&cfg, c); err != nil {
			t.Fatal(err)
		}
	}
	check := func(what string, ok bool) {
		if !ok {
			t.Errorf("%s: %+v", what, cfg)
		}
	}
	check("env", slices.Equal(cfg.Env, []string{"A=1", "B=2"}))
	check("label", cfg.Labels["x"] == "y")
	check("workdir", cfg.WorkingDir == "/app/sub")
	check("user", cfg.User == "1000")
	_, tcp := cfg.ExposedPorts["80/tcp"]
	_, udp := cfg.ExposedPorts["53/udp"]
	check("expose", tcp && udp)
	_, vol := cfg.Volumes["/data"]
	check("volume", vol)
	check("stopsignal", cfg.StopSignal == "SIGINT")
	check("cmd in SHELL", slices.Equal(cfg.Cmd, []string{"/bin/bash", "-c", "echo hi"}))
	check("entrypoint", slices.Equal(cfg.Entrypoint, []string{"/bin/tini"}))
	check("healthcheck", cfg.Healthcheck != nil && len(cfg.Healthcheck.Test) > 0)
}

func TestParseErrorLine(t *testing.T) {
	_, _, err := parseDockerfile([]byte("FROM busybox\nBOGUS x\n"))
	if err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Fatalf("err = %v", err)
	}
}

func TestNeededStages(t *testing.T) {
	stages, metaArgs, err := parseDockerfile([]byte(`ARG BASE=busybox
FROM ${BASE} AS a
FROM busybox AS b
FROM a AS c
COPY --from=b /x /x
FROM busybox AS d
`))
	if err != nil {
		t.Fatal(err)
	}
	r := &run{stages: stages, metaArgs: metaArgs}
	need := map[int]bool{}
	r.markNeeded(r.stageIndex("c", len(stages)), need)
	if !need[0] || !need[1] || !need[2] || need[3] {
		t.Errorf("needed for c: %v", need)
	}
	if got := r.baseName(0); got != "busybox" {
		t.Errorf("ARG before FROM: base %q", got)
	}
}

func timeAgo() (t time.Time) { return time.Now().Add(-time.Hour) }
