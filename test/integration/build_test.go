//go:build integration

package integration

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
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
