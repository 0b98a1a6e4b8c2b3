//go:build integration

package integration

import (
	"crypto/sha256"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
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
			// The CLI exits with the RUN's code, which the error carries (as from dockerd).
			if r.code != 3 || !strings.Contains(r.stderr, "The command '/bin/sh -c echo failing; exit 3' returned a non-zero code: 3") {
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
				"FROM busybox\nBOGUS x\n":        "Dockerfile parse error line 2: unknown instruction: BOGUS",
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

// layerCount is how many layers the image has.
func layerCount(t *testing.T, ref string) int {
	t.Helper()
	return len(strings.Fields(inspectField(t, ref, "{{range .RootFS.Layers}}{{.}} {{end}}")))
}

// buildMounts is how many mounts there are under the daemon's root.
func buildMounts(t *testing.T) int {
	t.Helper()
	b, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	return strings.Count(string(b), testEnv.root)
}

const heredocDockerfile = `# syntax=docker/dockerfile:1
FROM busybox
RUN <<EOF
echo one > /one
echo two >> /one
EOF
RUN cat <<A > /a && cat <<B > /b
first
A
second
B
RUN <<EOF sh
echo "via sh" > /c
EOF
RUN <<EOF
#!/bin/sh
echo "script $0" > /d
EOF
RUN <<-EOF
	echo chomped > /e
	EOF
ENV NAME=world
COPY <<EOF /etc/inline.txt
hello $NAME
EOF
COPY <<'EOF' /etc/raw.txt
hello $NAME
EOF
`

func TestBuildHeredoc(t *testing.T) {
	noBuildkit(t)
	for _, c := range clis {
		t.Run(c, func(t *testing.T) {
			tag := uniqueName(t, "heredoc")
			cleanupImages(t, tag)
			// Each CLI has its own steps, not the other's cache.
			df := strings.Replace(heredocDockerfile, "FROM busybox\n", "FROM busybox\nENV CLI="+c+"\n", 1)
			dir := buildContext(t, map[string]string{"Dockerfile": df})
			cli(t, c, "build", "-t", tag, dir)
			got := cli(t, c, "run", "--rm", tag, "cat", "/one", "/a", "/b", "/c", "/d", "/e", "/etc/inline.txt", "/etc/raw.txt")
			want := "one\ntwo\nfirst\nsecond\nvia sh\nscript /dev/pipes/EOF\nchomped\nhello world\nhello $NAME\n"
			if got != want {
				t.Fatalf("files: %q, want %q", got, want)
			}
			// The script's text is the step's: a changed script is a new step.
			df = strings.Replace(df, `echo "script $0"`, `echo "changed $0"`, 1)
			if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte(df), 0o644); err != nil {
				t.Fatal(err)
			}
			out := cli(t, c, "build", "-t", tag, dir)
			if n := strings.Count(out, "Using cache"); n != 4 {
				t.Fatalf("after changing the script the cache was used %d times, want 4:\n%s", n, out)
			}
			if got := cli(t, c, "run", "--rm", tag, "cat", "/d"); got != "changed /dev/pipes/EOF\n" {
				t.Fatalf("/d: %q", got)
			}
		})
	}
}

func TestBuildOnbuild(t *testing.T) {
	noBuildkit(t)
	for _, c := range clis {
		t.Run(c, func(t *testing.T) {
			base, child := uniqueName(t, "base"), uniqueName(t, "child")
			cleanupImages(t, child, base)
			dir := buildContext(t, map[string]string{"Dockerfile": "FROM busybox\nONBUILD RUN echo triggered > /t\nONBUILD ENV FROM_TRIGGER=1\nONBUILD COPY app.txt /app/\n"})
			cli(t, c, "build", "-t", base, dir)
			if got := inspectField(t, base, "{{json .Config.OnBuild}}"); got != `["RUN echo triggered > /t","ENV FROM_TRIGGER=1","COPY app.txt /app/"]` {
				t.Fatalf("OnBuild: %s", got)
			}
			if got := cli(t, c, "run", "--rm", base, "sh", "-c", "cat /t 2>/dev/null; echo $FROM_TRIGGER"); got != "\n" {
				t.Fatalf("the triggers ran in the base image: %q", got)
			}
			// The triggers' COPY takes from the child's context.
			dir = buildContext(t, map[string]string{"Dockerfile": "FROM " + base + "\nRUN echo after >> /t\n", "app.txt": "app of " + c + "\n"})
			out := cli(t, c, "build", "-t", child, dir)
			if !strings.Contains(out, "# Executing 3 build triggers") {
				t.Fatalf("build output:\n%s", out)
			}
			if got := cli(t, c, "run", "--rm", child, "sh", "-c", "cat /t /app/app.txt; echo $FROM_TRIGGER"); got != "triggered\nafter\napp of "+c+"\n1\n" {
				t.Fatalf("child: %q", got)
			}
			if got := inspectField(t, child, "{{len .Config.OnBuild}}"); got != "0" {
				t.Fatalf("the triggers passed on: %s", got)
			}
		})
	}
}

func TestBuildWorkdir(t *testing.T) {
	noBuildkit(t)
	for _, c := range clis {
		t.Run(c, func(t *testing.T) {
			tag := uniqueName(t, "wd")
			cleanupImages(t, tag)
			dir := buildContext(t, map[string]string{"Dockerfile": "FROM busybox\nWORKDIR /srv/app\nWORKDIR sub\nWORKDIR /tmp\nWORKDIR /srv/app/sub\nRUN pwd > here\n"})
			cli(t, c, "build", "-t", tag, dir)
			if got := cli(t, c, "run", "--rm", tag, "sh", "-c", "cat /srv/app/sub/here; stat -c '%a %u' /srv/app /srv/app/sub"); got != "/srv/app/sub\n755 0\n755 0\n" {
				t.Fatalf("image: %q", got)
			}
			// busybox's layers, one for each WORKDIR that made its
			// directory, one for the RUN.
			if got, want := layerCount(t, tag), layerCount(t, "busybox")+3; got != want {
				t.Fatalf("%d layers, want %d", got, want)
			}
			if got := inspectField(t, tag, "{{.Config.WorkingDir}}"); got != "/srv/app/sub" {
				t.Fatalf("WorkingDir %q", got)
			}

			// A link to a directory is a directory; a file is not.
			linked := uniqueName(t, "wdlink")
			cleanupImages(t, linked)
			dir = buildContext(t, map[string]string{"Dockerfile": "FROM busybox\nRUN ln -s /tmp /tmplink && touch /file\nWORKDIR /tmplink\n"})
			cli(t, c, "build", "-t", linked, dir)
			if got, want := layerCount(t, linked), layerCount(t, "busybox")+1; got != want {
				t.Fatalf("WORKDIR of a link: %d layers, want %d", got, want)
			}
			dir = buildContext(t, map[string]string{"Dockerfile": "FROM busybox\nRUN touch /file\nWORKDIR /file\n"})
			if r := testEnv.run(c, "build", dir); r.code != 1 || !strings.Contains(r.stderr, "Cannot mkdir: /file is not a directory") {
				t.Fatalf("WORKDIR of a file: exit %d\n%s%s", r.code, r.stdout, r.stderr)
			}

			// On scratch the directory and its parents make the layer.
			scratch := uniqueName(t, "wdscratch")
			cleanupImages(t, scratch)
			dir = buildContext(t, map[string]string{"Dockerfile": "FROM scratch\nWORKDIR /x/y\nCOPY f .\n", "f": "f"})
			cli(t, c, "build", "-t", scratch, dir)
			if got := layerCount(t, scratch); got != 2 {
				t.Fatalf("scratch: %d layers, want 2", got)
			}
			ctr := uniqueName(t, "wdctr")
			cleanupContainers(t, ctr)
			cli(t, c, "create", "--name", ctr, scratch, "/none")
			// The tar of the one file: its header, then its content.
			if out := cli(t, c, "cp", ctr+":/x/y/f", "-"); !strings.HasPrefix(out, "f\x00") || !strings.Contains(out, "\x00f\x00") {
				t.Fatalf("cp of /x/y/f: %q", out)
			}
		})
	}
}

func TestBuildProxyArgs(t *testing.T) {
	noBuildkit(t)
	for _, c := range clis {
		t.Run(c, func(t *testing.T) {
			tag := uniqueName(t, "proxy")
			cleanupImages(t, tag)
			dir := buildContext(t, map[string]string{"Dockerfile": "FROM busybox\nARG USED\nRUN echo \"$HTTP_PROXY $no_proxy $USED\" > /p\n"})
			out := cli(t, c, "build", "-t", tag, "--build-arg", "HTTP_PROXY=http://proxy.invalid:3128", "--build-arg", "no_proxy=local",
				"--build-arg", "USED=u", "--build-arg", "ZZZ=1", "--build-arg", "AAA=2", dir)
			if !strings.Contains(out, "[Warning] One or more build-args [AAA ZZZ] were not consumed") {
				t.Fatalf("no warning about unused build args:\n%s", out)
			}
			if got := cli(t, c, "run", "--rm", tag, "cat", "/p"); got != "http://proxy.invalid:3128 local u\n" {
				t.Fatalf("/p: %q", got)
			}
			hist := cli(t, c, "history", "--no-trunc", "--format", "{{.CreatedBy}}", tag)
			if strings.Contains(hist, "proxy.invalid") || !strings.Contains(hist, "|1 USED=u /bin/sh -c") {
				t.Fatalf("history:\n%s", hist)
			}
			// Another proxy makes the same image.
			out = cli(t, c, "build", "-t", tag, "--build-arg", "HTTP_PROXY=http://other.invalid:8080", "--build-arg", "USED=u", dir)
			if n := strings.Count(out, "Using cache"); n != 2 || strings.Contains(out, "[Warning]") {
				t.Fatalf("rebuild with another proxy:\n%s", out)
			}
		})
	}
}

func TestBuildParallelStages(t *testing.T) {
	noBuildkit(t)
	// Each stage notes the host's uptime (/proc/uptime is not namespaced)
	// when its RUN starts and ends.
	df := `FROM busybox AS a
RUN cut -d" " -f1 /proc/uptime > /a && sleep 2 && cut -d" " -f1 /proc/uptime >> /a
FROM busybox AS b
RUN cut -d" " -f1 /proc/uptime > /b && sleep 2 && cut -d" " -f1 /proc/uptime >> /b
FROM busybox AS unused
RUN exit 1
FROM busybox
COPY --from=a /a /a
COPY --from=b /b /b
CMD ["cat", "/a", "/b"]
`
	stepRe := regexp.MustCompile(`(?m)^Step (\d+)/(\d+) : (.*)$`)
	for _, c := range clis {
		t.Run(c, func(t *testing.T) {
			tag := uniqueName(t, "par")
			cleanupImages(t, tag)
			dir := buildContext(t, map[string]string{"Dockerfile": df})
			out := cli(t, c, "build", "--no-cache", "-t", tag, dir)
			var times []float64
			for _, f := range strings.Fields(cli(t, c, "run", "--rm", tag)) {
				v, err := strconv.ParseFloat(f, 64)
				if err != nil {
					t.Fatal(err)
				}
				times = append(times, v)
			}
			// The two stages ran side by side: each started before the
			// other ended.
			if len(times) != 4 || times[0] >= times[3] || times[2] >= times[1] {
				t.Errorf("stage a ran from/to, then stage b: %v: not at the same time", times)
			}
			// The output reads as a serial build: steps in order, each
			// stage's lines together.
			steps := stepRe.FindAllStringSubmatch(out, -1)
			if len(steps) != 8 {
				t.Fatalf("%d steps:\n%s", len(steps), out)
			}
			for i, m := range steps {
				if m[1] != strconv.Itoa(i+1) || m[2] != "8" {
					t.Fatalf("step %d is %q:\n%s", i+1, m[0], out)
				}
			}
			if !strings.HasSuffix(steps[1][3], ">> /a") || !strings.HasSuffix(steps[3][3], ">> /b") {
				t.Fatalf("stages out of order:\n%s", out)
			}
			a, b := strings.Index(out, "Step 2/8"), strings.Index(out, "Step 3/8")
			if between := out[a:b]; !strings.Contains(between, "Running in") || !strings.Contains(between, "Removing intermediate container") {
				t.Fatalf("stage a's output is not together:\n%s", out)
			}
		})
	}
}

func TestBuildPull(t *testing.T) {
	noBuildkit(t)
	host := startRegistry(t, "")
	for _, c := range clis {
		t.Run(c, func(t *testing.T) {
			base := host + "/it/" + uniqueName(t, "base") + ":1"
			tag := uniqueName(t, "pulled")
			cleanupImages(t, tag, base)
			cli(t, "wharf", "tag", "busybox", base)
			cli(t, "wharf", "push", base)
			cli(t, "wharf", "rmi", base)

			// A missing base image is pulled.
			dir := buildContext(t, map[string]string{"Dockerfile": "FROM " + base + "\nRUN echo built > /built\n"})
			out := cli(t, c, "build", "-t", tag, dir)
			if !strings.Contains(out, "Status: Downloaded newer image for "+base) {
				t.Fatalf("build output:\n%s", out)
			}
			if got := cli(t, c, "run", "--rm", tag, "cat", "/built"); got != "built\n" {
				t.Fatalf("run: %q", got)
			}
			// Present, it is used as it is; --pull asks the registry anyway.
			if out := cli(t, c, "build", "-t", tag, dir); strings.Contains(out, "Status:") {
				t.Fatalf("pulled a present image:\n%s", out)
			}
			if out := cli(t, c, "build", "--pull", "-t", tag, dir); !strings.Contains(out, "Status: Image is up to date for "+base) {
				t.Fatalf("--pull:\n%s", out)
			}
			// Two stages from the same missing image pull it once.
			cli(t, "wharf", "rmi", base)
			dir = buildContext(t, map[string]string{"Dockerfile": "FROM " + base + " AS a\nRUN echo a > /a\nFROM " + base + "\nCOPY --from=a /a /a\n"})
			if out := cli(t, c, "build", dir); strings.Count(out, "Status: Downloaded newer image for "+base) != 1 || strings.Contains(out, "Status: Image is up to date") {
				t.Fatalf("two stages from one missing image:\n%s", out)
			}

			// A base image neither here nor in the registry fails the build.
			dir = buildContext(t, map[string]string{"Dockerfile": "FROM " + host + "/it/missing:1\n"})
			if r := testEnv.run(c, "build", dir); r.code != 1 || !strings.Contains(r.stderr, "missing") {
				t.Fatalf("missing base: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
			}
		})
	}
}

func TestBuildDirectives(t *testing.T) {
	noBuildkit(t)
	df := "# syntax=docker/dockerfile:1\n# escape=`\n\nFROM busybox\nENV WINPATH=C:\\dir\\file\nRUN echo one `\n    two `\n  three > /joined\nLABEL a=1 `\n      b=2\n"
	for _, c := range clis {
		t.Run(c, func(t *testing.T) {
			tag := uniqueName(t, "dir")
			cleanupImages(t, tag)
			dir := buildContext(t, map[string]string{"Dockerfile": df})
			cli(t, c, "build", "-t", tag, dir)
			if got := cli(t, c, "run", "--rm", tag, "sh", "-c", "cat /joined; echo $WINPATH"); got != "one two three\nC:\\dir\\file\n" {
				t.Fatalf("run: %q", got)
			}
			if got := inspectField(t, tag, "{{.Config.Labels.a}}{{.Config.Labels.b}}"); got != "12" {
				t.Fatalf("labels: %q", got)
			}
		})
	}
}

// TestBuildFailureLeavesNothing: a build failing after steps that made
// images, layers and containers leaves none of them, nor any file in the
// data root, whichever step fails.
func TestBuildFailureLeavesNothing(t *testing.T) {
	noBuildkit(t)
	for _, c := range clis {
		for name, failing := range map[string]string{
			"first step":  "RUN false",
			"after steps": "ENV A=1\nRUN echo made > /made\nCOPY x /x\nLABEL l=1\nRUN cat /x /made && false",
			"too large":   "ARG X=" + strings.Repeat("x", 60<<10) + "\nENV A=1\nRUN echo made > /made\nCOPY x /x\nENV B=" + strings.Repeat("$X", 20),
		} {
			t.Run(c+"/"+name, func(t *testing.T) {
				containers, images, mounts, files := containerCount(t), len(lines(cli(t, "wharf", "images", "-aq"))), buildMounts(t), dataRootFiles(t)
				dir := buildContext(t, map[string]string{"Dockerfile": "FROM busybox\n" + failing + "\n", "x": "x"})
				r := testEnv.run(c, "build", "--no-cache", "-t", uniqueName(t, "never"), dir)
				if r.code != 1 || !strings.Contains(r.stderr, "returned a non-zero code: 1") && !strings.Contains(r.stderr, "exceeds maximum allowed size") {
					t.Fatalf("exit %d\nstdout: %.3000s\nstderr: %.3000s", r.code, r.stdout, r.stderr)
				}
				if got := containerCount(t); got != containers {
					t.Errorf("containers: %d before, %d after", containers, got)
				}
				if got := len(lines(cli(t, "wharf", "images", "-aq"))); got != images {
					t.Errorf("images: %d before, %d after", images, got)
				}
				if got := buildMounts(t); got != mounts {
					t.Errorf("mounts under the daemon root: %d before, %d after", mounts, got)
				}
				if got := dataRootFiles(t); !slices.Equal(got, files) {
					t.Errorf("files in the data root: %d before, %d after; new: %q", len(files), len(got), newNames(files, got))
				}
			})
		}
	}
}

// dataRootFiles are the paths in the suite daemon's data root, but for
// the build cache's file, which the first build makes.
func dataRootFiles(t *testing.T) []string {
	t.Helper()
	var names []string
	err := filepath.WalkDir(testEnv.root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if name := strings.TrimPrefix(p, testEnv.root); name != "/build/cache.json" {
			names = append(names, name)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return names
}

// newNames are the names in after that are not in before.
func newNames(before, after []string) []string {
	var out []string
	for _, n := range after {
		if !slices.Contains(before, n) {
			out = append(out, n)
		}
	}
	return out
}

func TestBuildParallelStageFails(t *testing.T) {
	noBuildkit(t)
	df := `FROM busybox AS slow
RUN sleep 30
FROM busybox AS failing
RUN sleep 1; echo failing here; exit 7
FROM busybox
COPY --from=slow /etc/passwd /a
COPY --from=failing /etc/passwd /b
`
	for _, c := range clis {
		t.Run(c, func(t *testing.T) {
			before := containerCount(t)
			dir := buildContext(t, map[string]string{"Dockerfile": df})
			start := time.Now()
			r := testEnv.run(c, "build", "--no-cache", dir)
			if r.code != 7 || !strings.Contains(r.stderr, "The command '/bin/sh -c sleep 1; echo failing here; exit 7' returned a non-zero code: 7") {
				t.Fatalf("exit %d\nstdout: %s\nstderr: %s", r.code, r.stdout, r.stderr)
			}
			// The failure stops the other stage rather than waiting for it,
			// and its output is shown.
			if took := time.Since(start); took > 15*time.Second {
				t.Errorf("the build took %s", took)
			}
			if !strings.Contains(r.stdout, "failing here") {
				t.Errorf("no output of the failed stage:\n%s", r.stdout)
			}
			if after := containerCount(t); after != before {
				t.Errorf("containers: %d before, %d after", before, after)
			}
		})
	}
}

// TestBuildPullAuth pulls a base image from a password-protected registry
// with the credentials the CLI sends along with the build.
func TestBuildPullAuth(t *testing.T) {
	noBuildkit(t)
	hash, err := bcrypt.GenerateFromPassword([]byte("s3cret"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	host := startRegistry(t, "alice:"+string(hash)+"\n")
	for _, c := range clis {
		t.Run(c, func(t *testing.T) {
			base := host + "/private/" + uniqueName(t, "base") + ":1"
			tag := uniqueName(t, "img")
			cleanupImages(t, tag, base)
			t.Cleanup(func() { testEnv.run(c, "logout", host) })
			if r := testEnv.runIn([]byte("s3cret\n"), c, "login", "-u", "alice", "--password-stdin", host); r.code != 0 {
				t.Fatalf("login: exit %d\n%s%s", r.code, r.stdout, r.stderr)
			}
			cli(t, "wharf", "tag", "busybox", base)
			cli(t, c, "push", base)
			cli(t, "wharf", "rmi", base)

			dir := buildContext(t, map[string]string{"Dockerfile": "FROM " + base + "\nRUN echo ok > /ok\n"})
			if out := cli(t, c, "build", "-t", tag, dir); !strings.Contains(out, "Status: Downloaded newer image for "+base) {
				t.Fatalf("build output:\n%s", out)
			}
			cli(t, "wharf", "rmi", base)
			cli(t, c, "logout", host)
			r := testEnv.run(c, "build", "-t", tag, dir)
			if r.code != 1 || !strings.Contains(r.stderr, "pull access denied for "+strings.TrimSuffix(base, ":1")) {
				t.Fatalf("build after logout: exit %d\n%s%s", r.code, r.stdout, r.stderr)
			}
		})
	}
}

// TestBuildCLIFlags: the flags users pass to docker build, BuildKit's
// --progress included, and COPY --link --chmod.
func TestBuildCLIFlags(t *testing.T) {
	noBuildkit(t)
	a, b := uniqueName(t, "a"), uniqueName(t, "b")
	cleanupImages(t, a, b)
	dir := buildContext(t, map[string]string{"Dockerfile": "FROM busybox\nCOPY --link --chmod=751 f /f\n", "f": "x\n"})
	iid := filepath.Join(t.TempDir(), "iid")
	id := strings.TrimSpace(cli(t, "wharf", "build", "-q", "--iidfile", iid, "--label", "l=1", "--network", "none", "--progress", "plain", "-t", a, "-t", b, dir))
	data, err := os.ReadFile(iid)
	// With -q the CLI writes what the daemon printed, newline included, as with dockerd.
	if err != nil || strings.TrimSpace(string(data)) != id || !strings.HasPrefix(id, "sha256:") {
		t.Fatalf("-q printed %q, --iidfile holds %q (%v)", id, data, err)
	}
	if got := inspectField(t, b, `{{.Id}} {{index .Config.Labels "l"}}`); got != id+" 1" {
		t.Errorf("second tag: %q", got)
	}
	if got := cli(t, "wharf", "run", "--rm", a, "stat", "-c", "%a", "/f"); got != "751\n" {
		t.Errorf("COPY --chmod: %q", got)
	}
}
