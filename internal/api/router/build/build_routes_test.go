package build

import (
	"context"
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/wharf/wharf/internal/api/apitest"
	"github.com/wharf/wharf/internal/api/backend"
)

// fakeBuilder records the options and context of a build, which fails
// when the context is "fail".
type fakeBuilder struct {
	opts    backend.BuildOptions
	context string
}

func (f *fakeBuilder) Build(ctx context.Context, src io.Reader, o backend.BuildOptions, out io.Writer) (string, error) {
	b, _ := io.ReadAll(src)
	f.opts, f.context = o, string(b)
	if f.context == "fail" {
		return "", errors.New("The command '/bin/sh -c false' returned a non-zero code: 1")
	}
	io.WriteString(out, "Step 1/1 : FROM scratch\n")
	return "sha256:abc", nil
}

func TestBuild(t *testing.T) {
	fb := &fakeBuilder{}
	ts := apitest.NewServer(t, NewRouter(fb))
	q := url.Values{"t": {"a:1", "b"}, "buildargs": {`{"X":"y"}`}, "labels": {`{"l":"v"}`}, "nocache": {"1"}}
	req, _ := http.NewRequest("POST", ts.URL+"/v1.41/build?"+q.Encode(), strings.NewReader("tar"))
	req.Header.Set("X-Registry-Config", base64.RawURLEncoding.EncodeToString([]byte(`{"reg:5000":{"username":"u"}}`)))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), `{"stream":"Step 1/1 : FROM scratch\n"}`) || !strings.Contains(string(body), `{"aux":{"ID":"sha256:abc"}}`) {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
	o := fb.opts
	if fb.context != "tar" || len(o.Tags) != 2 || *o.BuildArgs["X"] != "y" || o.Labels["l"] != "v" || !o.NoCache || o.AuthConfigs["reg:5000"].Username != "u" {
		t.Fatalf("options %+v", o)
	}

	resp, body = apitest.Do(t, "POST", ts.URL+"/build", strings.NewReader("fail"))
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"error":"The command '/bin/sh -c false' returned a non-zero code: 1"`) {
		t.Fatalf("failed build: %d %s", resp.StatusCode, body)
	}
	req, _ = http.NewRequest("POST", ts.URL+"/build", strings.NewReader("tar"))
	req.Header.Set("X-Registry-Config", "!!")
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 400 {
		t.Fatalf("bad X-Registry-Config: %v %v", resp, err)
	}
	if resp, body := apitest.Do(t, "POST", ts.URL+"/build?remote=git://x", nil); resp.StatusCode != 400 {
		t.Fatalf("remote context: %d %s", resp.StatusCode, body)
	}
}
