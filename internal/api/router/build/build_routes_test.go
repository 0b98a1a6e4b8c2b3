package build

import (
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/moby/moby/api/types/jsonstream"

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
	io.WriteString(out, "Step 1/1 : FROM scratch\n")
	if f.context == "fail" {
		return "", fmt.Errorf("step: %w", &jsonstream.Error{Code: 1, Message: "The command '/bin/sh -c false' returned a non-zero code: 1"})
	}
	// The builder sends the image ID as aux before "Successfully built".
	if a, ok := out.(interface{ Aux(string) }); ok {
		a.Aux("sha256:abc")
	}
	io.WriteString(out, "Successfully built abc\n")
	return "sha256:abc", nil
}

func TestBuild(t *testing.T) {
	fb := &fakeBuilder{}
	ts := apitest.NewServer(t, NewRouter(fb))
	q := url.Values{"t": {"a:1", "b"}, "buildargs": {`{"X":"y"}`}, "labels": {`{"l":"v"}`}, "nocache": {"1"},
		"cachefrom": {`["img:1","img:2"]`}, "extrahosts": {"a:1.2.3.4,b:5.6.7.8"}, "networkmode": {"host"}}
	req, _ := http.NewRequest("POST", ts.URL+"/v1.41/build?"+q.Encode(), strings.NewReader("tar"))
	req.Header.Set("X-Registry-Config", base64.RawURLEncoding.EncodeToString([]byte(`{"reg:5000":{"username":"u"}}`)))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	want := `{"stream":"Step 1/1 : FROM scratch\n"}` + "\n" + `{"aux":{"ID":"sha256:abc"}}` + "\n" + `{"stream":"Successfully built abc\n"}` + "\n"
	if resp.StatusCode != 200 || string(body) != want {
		t.Fatalf("%d %s\nwant %s", resp.StatusCode, body, want)
	}
	o := fb.opts
	if fb.context != "tar" || len(o.Tags) != 2 || *o.BuildArgs["X"] != "y" || o.Labels["l"] != "v" || !o.NoCache || o.AuthConfigs["reg:5000"].Username != "u" ||
		strings.Join(o.CacheFrom, " ") != "img:1 img:2" || strings.Join(o.ExtraHosts, " ") != "a:1.2.3.4 b:5.6.7.8" || o.NetworkMode != "host" {
		t.Fatalf("options %+v", o)
	}

	resp, body = apitest.Do(t, "POST", ts.URL+"/build", strings.NewReader("fail"))
	if resp.StatusCode != 200 || !strings.HasSuffix(string(body), `{"errorDetail":{"code":1,"message":"step: The command '/bin/sh -c false' returned a non-zero code: 1"},"error":"step: The command '/bin/sh -c false' returned a non-zero code: 1"}`+"\n") {
		t.Fatalf("failed build: %d %s", resp.StatusCode, body)
	}
	// Quiet: the image ID alone, no aux; on failure the held output, then the error.
	resp, body = apitest.Do(t, "POST", ts.URL+"/v1.41/build?q=1", strings.NewReader("tar"))
	if string(body) != `{"stream":"sha256:abc\n"}`+"\n" {
		t.Fatalf("quiet build: %d %s", resp.StatusCode, body)
	}
	resp, body = apitest.Do(t, "POST", ts.URL+"/v1.41/build?q=1", strings.NewReader("fail"))
	if !strings.HasPrefix(string(body), `{"stream":"Step 1/1 : FROM scratch\n"}`+"\n"+`{"errorDetail":{"code":1`) {
		t.Fatalf("failed quiet build: %d %s", resp.StatusCode, body)
	}
	// Before 1.30 there are no aux messages.
	resp, body = apitest.Do(t, "POST", ts.URL+"/v1.29/build", strings.NewReader("tar"))
	if resp.StatusCode != 200 || strings.Contains(string(body), "aux") || !strings.Contains(string(body), "Successfully built") {
		t.Fatalf("build at 1.29: %d %s", resp.StatusCode, body)
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
