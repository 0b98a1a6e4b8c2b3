//go:build integration

package integration

import (
	"crypto/sha256"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// buildContext writes files into a new context directory.
func buildContext(t *testing.T, files map[string]string) string {
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

// noBuildkit makes the docker CLI use the classic POST /build.
func noBuildkit(t *testing.T) { t.Setenv("DOCKER_BUILDKIT", "0") }

// cleanupImages removes the images when the test ends.
func cleanupImages(t *testing.T, refs ...string) {
	t.Cleanup(func() { testEnv.run("wharf", append([]string{"rmi", "-f"}, refs...)...) })
}

// containerCount is how many containers exist.
func containerCount(t *testing.T) int {
	return len(strings.Fields(cli(t, "wharf", "ps", "-aq")))
}

const buildDockerfile = `FROM busybox
ENV GREETING=hello
WORKDIR /app
COPY a.txt b.txt ./
RUN echo "built $GREETING" > built.txt
CMD ["sh", "-c", "echo $GREETING; cat a.txt b.txt built.txt; pwd"]
`

func TestBuild(t *testing.T) {
	noBuildkit(t)
	for _, c := range clis {
		t.Run(c, func(t *testing.T) {
			tag := uniqueName(t, "img")
			cleanupImages(t, tag)
			dir := buildContext(t, map[string]string{"Dockerfile": buildDockerfile, "a.txt": "A\n", "b.txt": "B " + c + "\n"})
			out := cli(t, c, "build", "-t", tag, dir)
			for _, want := range []string{"Step 1/6 : FROM busybox", "Step 5/6 : RUN echo", "Successfully built ", "Successfully tagged " + tag + ":latest"} {
				if !strings.Contains(out, want) {
					t.Fatalf("build output lacks %q:\n%s", want, out)
				}
			}
			if got, want := cli(t, c, "run", "--rm", tag), "hello\nA\nB "+c+"\nbuilt hello\n/app\n"; got != want {
				t.Fatalf("run: %q, want %q", got, want)
			}

			// An unchanged context is fully cached.
			out = cli(t, c, "build", "-t", tag, dir)
			if n := strings.Count(out, "Using cache"); n != 5 {
				t.Fatalf("second build used the cache %d times, want 5:\n%s", n, out)
			}

			// Changing one copied file rebuilds from the COPY on.
			if err := os.WriteFile(filepath.Join(dir, "b.txt"), []byte("B2 "+c+"\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			out = cli(t, c, "build", "-t", tag, dir)
			if n := strings.Count(out, "Using cache"); n != 2 {
				t.Fatalf("after a change the cache was used %d times, want 2:\n%s", n, out)
			}
			if got := cli(t, c, "run", "--rm", tag); !strings.Contains(got, "B2 "+c+"\n") {
				t.Fatalf("rebuilt image: %q", got)
			}
			if n := len(lines(cli(t, c, "history", "-q", tag))); n != 6 {
				t.Fatalf("history has %d rows, want 6", n)
			}
		})
	}
}

func TestBuildFailingRun(t *testing.T) {
	noBuildkit(t)
	for _, c := range clis {
		t.Run(c, func(t *testing.T) {
			before := containerCount(t)
			dir := buildContext(t, map[string]string{"Dockerfile": "FROM busybox\nRUN echo failing; exit 3\n"})
			r := testEnv.run(c, "build", "--no-cache", dir)
			if r.code != 1 || !strings.Contains(r.stderr, "The command '/bin/sh -c echo failing; exit 3' returned a non-zero code: 3") {
				t.Fatalf("exit %d\nstdout: %s\nstderr: %s", r.code, r.stdout, r.stderr)
			}
			if !strings.Contains(r.stdout, "failing") {
				t.Fatalf("RUN output not shown:\n%s", r.stdout)
			}
			if after := containerCount(t); after != before {
				t.Fatalf("containers: %d before, %d after", before, after)
			}
		})
	}
}

func TestBuildErrors(t *testing.T) {
	noBuildkit(t)
	for _, c := range clis {
		t.Run(c, func(t *testing.T) {
			for df, want := range map[string]string{
				"FROM busybox\nBOGUS x\n":        "line 2",
				"FROM busybox\nCOPY ../x /\n":    "forbidden path outside the build context: ../x",
				"FROM busybox\nCOPY missing /\n": "file not found in build context",
			} {
				dir := buildContext(t, map[string]string{"Dockerfile": df})
				r := testEnv.run(c, "build", dir)
				if r.code != 1 || !strings.Contains(r.stderr, want) {
					t.Errorf("%q: exit %d, stderr %q, want %q", df, r.code, r.stderr, want)
				}
			}
		})
	}
}

func TestBuildMultiStageTarget(t *testing.T) {
	noBuildkit(t)
	df := `ARG BASE=busybox
FROM ${BASE} AS builder
RUN mkdir /out && echo artifact > /out/app
FROM busybox AS unused
RUN exit 1
FROM busybox AS final
COPY --from=builder /out/app /app
CMD ["cat", "/app"]
FROM final
RUN exit 1
`
	for _, c := range clis {
		t.Run(c, func(t *testing.T) {
			tag := uniqueName(t, "ms")
			cleanupImages(t, tag)
			dir := buildContext(t, map[string]string{"Dockerfile": df})
			out := cli(t, c, "build", "-q", "--target", "final", "-t", tag, dir)
			if !strings.HasPrefix(strings.TrimSpace(out), "sha256:") {
				t.Fatalf("-q printed %q", out)
			}
			if got := cli(t, c, "run", "--rm", tag); got != "artifact\n" {
				t.Fatalf("run: %q", got)
			}
		})
	}
}

func TestBuildDockerignore(t *testing.T) {
	noBuildkit(t)
	for _, c := range clis {
		t.Run(c, func(t *testing.T) {
			tag := uniqueName(t, "ign")
			cleanupImages(t, tag)
			dir := buildContext(t, map[string]string{
				"Dockerfile":    "FROM busybox\nCOPY . /ctx/\n",
				".dockerignore": "*.secret\nlogs\n!logs/keep.log\n",
				"a.secret":      "s", "ok.txt": "o", "logs/x.log": "x", "logs/keep.log": "k",
			})
			cli(t, c, "build", "-t", tag, dir)
			got := cli(t, c, "run", "--rm", tag, "find", "/ctx", "-type", "f")
			if strings.Contains(got, "a.secret") || strings.Contains(got, "x.log") || !strings.Contains(got, "ok.txt") || !strings.Contains(got, "keep.log") {
				t.Fatalf("files in the image:\n%s", got)
			}
		})
	}
}

// TestBuildCacheSteps: an unchanged context reuses every step; one
// changed copied file rebuilds from its COPY on, and only that.
func TestBuildCacheSteps(t *testing.T) {
	noBuildkit(t)
	tag := uniqueName(t, "cache")
	cleanupImages(t, tag)
	files := map[string]string{"Dockerfile": `FROM busybox
RUN echo one > /one
RUN echo two > /two
COPY files /files
RUN cat /files/d/b > /copied
CMD ["cat", "/copied"]
`}
	for i := range 40 {
		files[fmt.Sprintf("files/d/f%d", i)] = strings.Repeat("x", i*100)
	}
	files["files/d/b"] = "first\n"
	dir := buildContext(t, files)
	cli(t, "wharf", "build", "-t", tag, dir)
	out := cli(t, "wharf", "build", "-t", tag, dir)
	if n := strings.Count(out, "Using cache"); n != 5 {
		t.Fatalf("unchanged context: cache used %d times, want 5:\n%s", n, out)
	}
	if err := os.WriteFile(filepath.Join(dir, "files/d/b"), []byte("second\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out = cli(t, "wharf", "build", "-t", tag, dir)
	steps := strings.Split(out, "Step ")
	for i, s := range steps[1:] {
		cached := strings.Contains(s, "Using cache")
		if want := i == 1 || i == 2; cached != want { // the RUNs before COPY cached; COPY on rebuilt
			t.Fatalf("step %d cached=%v, want %v:\n%s", i+1, cached, want, out)
		}
	}
	if got := cli(t, "wharf", "run", "--rm", tag); got != "second\n" {
		t.Fatalf("run: %q", got)
	}
	// A file's mtime alone does not invalidate the cache.
	future := time.Now().Add(time.Hour)
	if err := os.Chtimes(filepath.Join(dir, "files/d/f1"), future, future); err != nil {
		t.Fatal(err)
	}
	if out := cli(t, "wharf", "build", "-t", tag, dir); strings.Count(out, "Using cache") != 5 {
		t.Fatalf("after touching a file:\n%s", out)
	}
}

func TestBuildChownByName(t *testing.T) {
	noBuildkit(t)
	tag := uniqueName(t, "chown")
	cleanupImages(t, tag)
	dir := buildContext(t, map[string]string{
		"Dockerfile": `FROM busybox
RUN echo 'app:x:1234:2345::/home/app:/bin/sh' >> /etc/passwd && echo 'app:x:2345:' >> /etc/group && echo 'staff2:x:3456:' >> /etc/group
COPY --chown=app a.txt /a.txt
COPY --chown=app:staff2 d /d/
ADD --chown=1:app a.txt /b.txt
`,
		"a.txt": "a", "d/x": "x",
	})
	cli(t, "wharf", "build", "-t", tag, dir)
	got := cli(t, "wharf", "run", "--rm", tag, "stat", "-c", "%n %u:%g", "/a.txt", "/d/x", "/b.txt")
	if want := "/a.txt 1234:2345\n/d/x 1234:3456\n/b.txt 1:2345\n"; got != want {
		t.Fatalf("owners:\n%s\nwant\n%s", got, want)
	}
	dir = buildContext(t, map[string]string{"Dockerfile": "FROM busybox\nCOPY --chown=nosuchuser a /a\n", "a": "a"})
	r := testEnv.run("wharf", "build", dir)
	if r.code != 1 || !strings.Contains(r.stderr, "nosuchuser") {
		t.Fatalf("unknown user: exit %d, stderr %q", r.code, r.stderr)
	}
}

func TestBuildCopyFromGlob(t *testing.T) {
	noBuildkit(t)
	tag := uniqueName(t, "fromglob")
	cleanupImages(t, tag)
	dir := buildContext(t, map[string]string{"Dockerfile": `FROM busybox AS builder
RUN mkdir -p /out/sub && echo 1 > /out/a.bin && echo 2 > /out/b.bin && echo no > /out/c.txt && echo 3 > /out/sub/d.bin
FROM busybox
COPY --from=builder /out/*.bin /bin2/
COPY --from=builder /out/*/*.bin /deep/
CMD ["ls", "/bin2", "/deep"]
`})
	cli(t, "wharf", "build", "-t", tag, dir)
	if got, want := cli(t, "wharf", "run", "--rm", tag), "/bin2:\na.bin\nb.bin\n\n/deep:\nd.bin\n"; got != want {
		t.Fatalf("run: %q, want %q", got, want)
	}
	dir = buildContext(t, map[string]string{"Dockerfile": "FROM busybox AS b\nFROM busybox\nCOPY --from=b /etc/*.none /x/\n"})
	if r := testEnv.run("wharf", "build", dir); r.code != 1 || !strings.Contains(r.stderr, "no source files were specified") {
		t.Fatalf("no match: exit %d, stderr %q", r.code, r.stderr)
	}
}

func TestBuildRemoteAdd(t *testing.T) {
	noBuildkit(t)
	content := "served over http\n"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/pkg/tool.txt" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Last-Modified", "Wed, 01 Jan 2020 00:00:00 GMT")
		io.WriteString(w, content)
	}))
	defer srv.Close()
	url := srv.URL + "/pkg/tool.txt"
	sum := sha256.Sum256([]byte(content))
	tag := uniqueName(t, "remote")
	cleanupImages(t, tag)
	dir := buildContext(t, map[string]string{"Dockerfile": fmt.Sprintf(`FROM busybox
ADD %s /opt/
ADD --checksum=sha256:%x %s /named
`, url, sum, url)})
	cli(t, "wharf", "build", "-t", tag, dir)
	got := cli(t, "wharf", "run", "--rm", tag, "sh", "-c", "cat /opt/tool.txt /named; stat -c '%a %Y' /opt/tool.txt")
	if want := content + content + "600 1577836800\n"; got != want {
		t.Fatalf("run: %q, want %q", got, want)
	}
	if out := cli(t, "wharf", "build", "-t", tag, dir); strings.Count(out, "Using cache") != 2 {
		t.Fatalf("second build not cached:\n%s", out)
	}
	plain := buildContext(t, map[string]string{"Dockerfile": fmt.Sprintf("FROM busybox\nADD %s /opt/\n", url)})
	if out := cli(t, "wharf", "build", "-t", tag, plain); strings.Count(out, "Using cache") != 1 {
		t.Fatalf("same download not cached:\n%s", out)
	}
	content = "changed\n"
	if out := cli(t, "wharf", "build", "-t", tag, plain); strings.Count(out, "Using cache") != 0 {
		t.Fatalf("changed download still cached:\n%s", out)
	}
	// The --checksum line now fails.
	dir = buildContext(t, map[string]string{"Dockerfile": fmt.Sprintf("FROM busybox\nADD --checksum=sha256:%x %s /named\n", sum, url)})
	if r := testEnv.run("wharf", "build", dir); r.code != 1 || !strings.Contains(r.stderr, "checksum mismatch") {
		t.Fatalf("wrong checksum: exit %d, stderr %q", r.code, r.stderr)
	}
}
