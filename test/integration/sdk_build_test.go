//go:build integration

package integration

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// postBuild sends a context holding one Dockerfile to POST /v1.41/build
// with the query q and returns the stream's messages, each re-encoded
// as compact JSON.
func postBuild(t *testing.T, dockerfile string, q url.Values) []string {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	tw.WriteHeader(&tar.Header{Name: "Dockerfile", Mode: 0o644, Size: int64(len(dockerfile))})
	tw.Write([]byte(dockerfile))
	tw.Close()
	resp, err := testEnv.http().Post("http://wharf/v1.41/build?"+q.Encode(), "application/x-tar", &buf)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(resp.Body)
		t.Fatalf("build: %d %s", resp.StatusCode, body)
	}
	var msgs []string
	dec := json.NewDecoder(resp.Body)
	for {
		var m json.RawMessage
		if err := dec.Decode(&m); err == io.EOF {
			break
		} else if err != nil {
			t.Fatalf("build stream: %v", err)
		}
		var c bytes.Buffer
		json.Compact(&c, m)
		msgs = append(msgs, c.String())
	}
	return msgs
}

// matchMessages checks msgs against patterns, one regexp per message, in
// which <id> stands for a short image or container ID and <sha> for a
// full image ID.
func matchMessages(t *testing.T, msgs, patterns []string) {
	t.Helper()
	ok := len(msgs) == len(patterns)
	for i := 0; ok && i < len(msgs); i++ {
		p := strings.ReplaceAll(regexp.QuoteMeta(patterns[i]), "<id>", "[0-9a-f]{12}")
		p = strings.ReplaceAll(p, "<sha>", "sha256:[0-9a-f]{64}")
		ok = regexp.MustCompile("^" + p + "$").MatchString(msgs[i])
	}
	if !ok {
		t.Fatalf("build stream:\n%s\nwant:\n%s", strings.Join(msgs, "\n"), strings.Join(patterns, "\n"))
	}
}

// The classic builder's stream, message by message, as dockerd sends it:
// RUN's stderr in red, "Using cache" a message of its own, the image ID
// as aux before "Successfully built". (dockerd also runs a container for
// ENV and prints its "Running in"; wharf commits metadata steps without
// one.)
func TestBuildStreamMessages(t *testing.T) {
	tag := strings.ToLower(uniqueName(t, "img"))
	cleanupImages(t, tag)
	df := "FROM busybox\nRUN echo out && echo err >&2\nENV A=" + tag + "\n"
	msgs := postBuild(t, df, url.Values{"t": {tag}})
	matchMessages(t, msgs, []string{
		`{"stream":"Step 1/3 : FROM busybox"}`, `{"stream":"\n"}`,
		`{"stream":" ---\u003e <id>\n"}`,
		`{"stream":"Step 2/3 : RUN echo out \u0026\u0026 echo err \u003e\u00262"}`, `{"stream":"\n"}`,
		`{"stream":" ---\u003e Running in <id>\n"}`,
		`{"stream":"out\n"}`,
		`{"stream":"\u001b[91merr\n\u001b[0m"}`,
		`{"stream":"Removing intermediate container <id>\n"}`,
		`{"stream":" ---\u003e <id>\n"}`,
		`{"stream":"Step 3/3 : ENV A=` + tag + `"}`, `{"stream":"\n"}`,
		`{"stream":" ---\u003e <id>\n"}`,
		`{"aux":{"ID":"<sha>"}}`,
		`{"stream":"Successfully built <id>\n"}`,
		`{"stream":"Successfully tagged ` + tag + `:latest\n"}`,
	})
	msgs = postBuild(t, df, url.Values{"t": {tag}})
	matchMessages(t, msgs, []string{
		`{"stream":"Step 1/3 : FROM busybox"}`, `{"stream":"\n"}`,
		`{"stream":" ---\u003e <id>\n"}`,
		`{"stream":"Step 2/3 : RUN echo out \u0026\u0026 echo err \u003e\u00262"}`, `{"stream":"\n"}`,
		`{"stream":" ---\u003e Using cache\n"}`,
		`{"stream":" ---\u003e <id>\n"}`,
		`{"stream":"Step 3/3 : ENV A=` + tag + `"}`, `{"stream":"\n"}`,
		`{"stream":" ---\u003e Using cache\n"}`,
		`{"stream":" ---\u003e <id>\n"}`,
		`{"aux":{"ID":"<sha>"}}`,
		`{"stream":"Successfully built <id>\n"}`,
		`{"stream":"Successfully tagged ` + tag + `:latest\n"}`,
	})
	// Quiet: the image ID alone.
	msgs = postBuild(t, df, url.Values{"t": {tag}, "q": {"1"}})
	matchMessages(t, msgs, []string{`{"stream":"<sha>\n"}`})
}

// A failed RUN ends the stream with docker's error message and the
// command's exit code.
func TestBuildStreamError(t *testing.T) {
	msgs := postBuild(t, "FROM busybox\nRUN exit 3\n", nil)
	want := `{"errorDetail":{"code":3,"message":"The command '/bin/sh -c exit 3' returned a non-zero code: 3"},"error":"The command '/bin/sh -c exit 3' returned a non-zero code: 3"}`
	if len(msgs) == 0 || msgs[len(msgs)-1] != want {
		t.Fatalf("failed build stream:\n%s\nwant it to end with\n%s", strings.Join(msgs, "\n"), want)
	}
}

// --add-host and --network reach RUN's container (docker CLI, classic
// builder).
func TestBuildExtraHostsNetworkMode(t *testing.T) {
	noBuildkit(t)
	dir := buildContext(t, map[string]string{"Dockerfile": "FROM busybox\nRUN cat /etc/hosts; ls /sys/class/net\n"})
	r := testEnv.run("docker", "build", "--no-cache", "--add-host", "buildhost:10.1.2.3", "--network", "none", dir)
	if r.code != 0 {
		t.Fatalf("docker build: %d %s", r.code, r.stderr)
	}
	if !regexp.MustCompile(`10\.1\.2\.3\s+buildhost`).MatchString(r.stdout) {
		t.Errorf("--add-host not in RUN's /etc/hosts:\n%s", r.stdout)
	}
	if strings.Contains(r.stdout, "eth0") {
		t.Errorf("--network none: RUN's container has eth0:\n%s", r.stdout)
	}
}

// --cache-from: an image built elsewhere (here: saved, removed with its
// intermediate images and loaded again) gives the cache for the steps it
// was made by; the local cache answers only with images a source
// descends from.
func TestBuildCacheFrom(t *testing.T) {
	noBuildkit(t)
	src := strings.ToLower(uniqueName(t, "src"))
	other := strings.ToLower(uniqueName(t, "other"))
	cleanupImages(t, src, other)
	df := "FROM busybox\nRUN echo one > /one\nENV K=" + src + "\nRUN echo two > /two\n"
	dir := buildContext(t, map[string]string{"Dockerfile": df})
	cli(t, "docker", "build", "-t", src, dir)
	id := strings.TrimSpace(cli(t, "docker", "image", "inspect", "-f", "{{.Id}}", src))
	archive := t.TempDir() + "/src.tar"
	cli(t, "docker", "save", "-o", archive, src)
	cli(t, "docker", "rmi", src)
	cli(t, "docker", "load", "-i", archive)

	out := cli(t, "docker", "build", "--cache-from", src, dir)
	if n := strings.Count(out, "Using cache"); n != 3 {
		t.Fatalf("build --cache-from %s: %d steps from the cache, want 3:\n%s", src, n, out)
	}
	if !strings.Contains(out, "Successfully built "+strings.TrimPrefix(id, "sha256:")[:12]) {
		t.Fatalf("build --cache-from did not end with the source image %s:\n%s", id, out)
	}
	// Without it the local cache is gone with the intermediate images.
	if out := cli(t, "docker", "build", "-t", other, "--no-cache", dir); strings.Contains(out, "Using cache") {
		t.Fatalf("build --no-cache used the cache:\n%s", out)
	}
	// The local cache now holds other's steps; a source unrelated to them
	// keeps the build from using them.
	if out := cli(t, "docker", "build", "--cache-from", "busybox", dir); strings.Count(out, "Using cache") != 0 {
		t.Fatalf("build --cache-from busybox used the local cache:\n%s", out)
	}
}
