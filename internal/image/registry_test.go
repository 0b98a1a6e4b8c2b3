package image

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/containerd/errdefs"
	"github.com/distribution/reference"
	"github.com/google/go-containerregistry/pkg/compression"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
	registrytypes "github.com/moby/moby/api/types/registry"
	"github.com/moby/moby/client/pkg/progress"
	"golang.org/x/crypto/bcrypt"

	"github.com/wharf/wharf/internal/filters"
	"github.com/wharf/wharf/internal/registry"
)

// recorder is a progress.Output that keeps "id: action" lines.
type recorder struct {
	mu    sync.Mutex
	lines []string
}

func (r *recorder) WriteProgress(p progress.Progress) error {
	if p.Action == "Downloading" || p.Action == "Pushing" || p.Aux != nil {
		return nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	l := p.Action + p.Message
	if p.ID != "" {
		l = p.ID + ": " + l
	}
	r.lines = append(r.lines, l)
	return nil
}

func (r *recorder) text() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return strings.Join(r.lines, "\n")
}

// startRegistry serves wharf's registry on 127.0.0.1; wrap, if set, sits
// in front of it.
func startRegistry(t *testing.T, htpasswd string, wrap func(http.Handler) http.Handler) string {
	t.Helper()
	store, err := registry.NewStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	var auth *registry.Htpasswd
	if htpasswd != "" {
		p := filepath.Join(t.TempDir(), "htpasswd")
		os.WriteFile(p, []byte(htpasswd), 0o600)
		if auth, err = registry.LoadHtpasswd(p); err != nil {
			t.Fatal(err)
		}
	}
	var h http.Handler = registry.NewServer(store, auth, nil)
	if wrap != nil {
		h = wrap(h)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

func mustRef(t testing.TB, s string) reference.Named {
	t.Helper()
	r, err := reference.ParseNormalizedNamed(s)
	if err != nil {
		t.Fatal(err)
	}
	return reference.TagNameOnly(r)
}

func TestPushPullRoundTrip(t *testing.T) {
	ctx := context.Background()
	host := startRegistry(t, "", nil)
	a, _ := newTestService(t)
	ref := host + "/team/app:1.0"
	id := importTar(t, a, simpleRootfs(t), host+"/team/app:1.0", "m")

	var out recorder
	if err := a.Push(ctx, host+"/team/app", "1.0", PushOptions{}, &out); err != nil {
		t.Fatalf("push: %v", err)
	}
	if !strings.Contains(out.text(), "The push refers to repository ["+host+"/team/app]") ||
		!strings.Contains(out.text(), ": Pushed") || !strings.Contains(out.text(), "1.0: digest: sha256:") {
		t.Errorf("push progress:\n%s", out.text())
	}
	// Pushing again finds every layer there already.
	out = recorder{}
	if err := a.Push(ctx, host+"/team/app", "1.0", PushOptions{}, &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.text(), "Layer already exists") {
		t.Errorf("second push:\n%s", out.text())
	}
	// A push to another repository of the same registry mounts the layer.
	if err := a.Tag(ctx, ref, host+"/other/app", "2"); err != nil {
		t.Fatal(err)
	}
	out = recorder{}
	if err := a.Push(ctx, host+"/other/app", "", PushOptions{}, &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.text(), "Mounted from team/app") {
		t.Errorf("push to another repository:\n%s", out.text())
	}

	b, _ := newTestService(t)
	out = recorder{}
	if err := b.Pull(ctx, mustRef(t, ref), PullOptions{}, &out); err != nil {
		t.Fatalf("pull: %v", err)
	}
	got := out.text()
	for _, want := range []string{"1.0: Pulling from team/app", "Pulling fs layer", "Download complete", "Pull complete", "Digest: sha256:", "Status: Downloaded newer image for " + ref} {
		if !strings.Contains(got, want) {
			t.Errorf("no %q in pull progress:\n%s", want, got)
		}
	}
	img, err := b.Inspect(ctx, ref)
	if err != nil {
		t.Fatal(err)
	}
	if img.ID != id || len(img.RepoDigests) != 1 || !strings.HasPrefix(img.RepoDigests[0], host+"/team/app@sha256:") {
		t.Fatalf("pulled image %s %v, pushed %s", img.ID, img.RepoDigests, id)
	}
	out = recorder{}
	if err := b.Pull(ctx, mustRef(t, ref), PullOptions{}, &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.text(), "Status: Image is up to date for "+ref) || !strings.Contains(out.text(), "Already exists") {
		t.Errorf("second pull:\n%s", out.text())
	}
	// By digest, into a third store.
	c, _ := newTestService(t)
	if err := c.Pull(ctx, mustRef(t, img.RepoDigests[0]), PullOptions{}, &recorder{}); err != nil {
		t.Fatalf("pull by digest: %v", err)
	}
	if got, err := c.Get(ctx, img.RepoDigests[0]); err != nil || got.ID != id {
		t.Fatalf("image by digest: %v %v", got, err)
	}
	out = recorder{}
	if err := c.Pull(ctx, mustRef(t, img.RepoDigests[0]), PullOptions{}, &out); err != nil || !strings.Contains(out.text(), "Status: Image is up to date for "+img.RepoDigests[0]) {
		t.Errorf("second pull by digest: %v\n%s", err, out.text())
	}
	// A single-platform image pulled for another platform.
	err = c.Pull(ctx, mustRef(t, ref), PullOptions{Platform: "linux/s390x"}, &recorder{})
	if err == nil || !strings.Contains(err.Error(), "does not match the specified platform (linux/s390x)") {
		t.Errorf("pull for another platform: %v", err)
	}
	if list, _ := c.List(ctx, noFilters(t)); len(list) != 1 || len(list[0].RepoTags) != 0 || len(list[0].RepoDigests) != 1 {
		t.Errorf("images after a pull by digest: %+v", list)
	}
	// rmi name@digest untags the digest and, as it was the last reference, deletes the image.
	if recs, err := c.Delete(ctx, img.RepoDigests[0], false, false); err != nil || len(recs) < 2 || recs[0].Untagged != img.RepoDigests[0] || recs[1].Deleted != id {
		t.Errorf("rmi by digest: %+v %v", recs, err)
	}
}

func TestPullErrors(t *testing.T) {
	ctx := context.Background()
	host := startRegistry(t, "", nil)
	s, _ := newTestService(t)
	err := s.Pull(ctx, mustRef(t, host+"/nope"), PullOptions{}, &recorder{})
	want := "manifest for " + host + "/nope:latest not found: manifest unknown: manifest unknown"
	if err == nil || err.Error() != want || !errdefs.IsNotFound(err) {
		t.Errorf("pull of an unknown image: %v, want %q", err, want)
	}
	if err := s.Pull(ctx, mustRef(t, host+"/x:1"), PullOptions{Platform: "linux/"}, &recorder{}); err == nil {
		t.Error("pull with a bad platform worked")
	}
	if err := s.Push(ctx, host+"/absent", "1", PushOptions{}, &recorder{}); err == nil || err.Error() != "An image does not exist locally with the tag: "+host+"/absent:1" {
		t.Errorf("push of a missing image: %v", err)
	}
}

// pushGGCR pushes img to ref with go-containerregistry: an independent
// client that writes OCI indexes, zstd layers and so on.
func pushGGCR(t *testing.T, ref string, img v1.Image) {
	t.Helper()
	r, err := name.ParseReference(ref)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(r, img); err != nil {
		t.Fatal(err)
	}
}

func ggcrImage(t *testing.T, arch string, comp compression.Compression, files ...tarEntry) v1.Image {
	t.Helper()
	data := makeTar(t, files...)
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil },
		tarball.WithCompression(comp), tarball.WithMediaType(types.OCILayer))
	if comp == compression.ZStd {
		layer, err = tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil },
			tarball.WithCompression(comp), tarball.WithMediaType(types.OCILayerZStd))
	}
	if err != nil {
		t.Fatal(err)
	}
	img, err := mutate.AppendLayers(mutate.MediaType(mutate.ConfigMediaType(empty.Image, types.OCIConfigJSON), types.OCIManifestSchema1), layer)
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = "linux", arch
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func TestPullIndexPlatformAndZstd(t *testing.T) {
	ctx := context.Background()
	host := startRegistry(t, "", nil)
	amd := ggcrImage(t, "amd64", compression.GZip, tarEntry{name: "arch", body: "amd64\n"})
	arm := ggcrImage(t, "arm64", compression.ZStd, tarEntry{name: "arch", body: "arm64\n"})
	idx := mutate.AppendManifests(mutate.IndexMediaType(empty.Index, types.OCIImageIndex),
		mutate.IndexAddendum{Add: amd, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: "amd64"}}},
		mutate.IndexAddendum{Add: arm, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: "arm64", Variant: "v8"}}},
	)
	r, _ := name.ParseReference(host + "/multi:1")
	if err := remote.WriteIndex(r, idx); err != nil {
		t.Fatal(err)
	}
	for _, arch := range []string{"amd64", "arm64"} {
		s, _ := newTestService(t)
		if err := s.Pull(ctx, mustRef(t, host+"/multi:1"), PullOptions{Platform: "linux/" + arch}, &recorder{}); err != nil {
			t.Fatalf("pull %s: %v", arch, err)
		}
		img, err := s.Get(ctx, host+"/multi:1")
		if err != nil || img.Config.Architecture != arch {
			t.Fatalf("pulled %v for %s: %v", img, arch, err)
		}
		dirs, err := s.extractedLayerDirs(ctx, img)
		if err != nil || len(dirs) != 1 {
			t.Fatal(dirs, err)
		}
		if got := readFile(t, filepath.Join(dirs[0], "arch")); got != arch+"\n" {
			t.Errorf("layer content %q for %s", got, arch)
		}
		// RepoDigests name the index, which is what was asked for.
		idxDigest, _ := idx.Digest()
		inspect, _ := s.Inspect(ctx, img.ID)
		if len(inspect.RepoDigests) != 1 || inspect.RepoDigests[0] != host+"/multi@"+idxDigest.String() {
			t.Errorf("repo digests %v, index %s", inspect.RepoDigests, idxDigest)
		}
	}
	s, _ := newTestService(t)
	err := s.Pull(ctx, mustRef(t, host+"/multi:1"), PullOptions{Platform: "linux/s390x"}, &recorder{})
	if err == nil || err.Error() != "no matching manifest for linux/s390x in the manifest list entries" {
		t.Errorf("pull for a missing platform: %v", err)
	}
}

// A registry that serves a corrupted layer makes the pull fail and leaves
// no image behind.
func TestPullRejectsCorruptBlob(t *testing.T) {
	ctx := context.Background()
	var corrupt atomic.Bool
	host := startRegistry(t, "", func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if !corrupt.Load() || r.Method != http.MethodGet || !strings.Contains(r.URL.Path, "/blobs/") {
				h.ServeHTTP(w, r)
				return
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, r)
			b := rec.Body.Bytes()
			var probe map[string]any
			if len(b) > 0 && json.Unmarshal(b, &probe) != nil { // a layer, not the config
				b = append([]byte(nil), b...)
				b[len(b)/2] ^= 0xff
			}
			for k, v := range rec.Header() {
				w.Header()[k] = v
			}
			w.WriteHeader(rec.Code)
			w.Write(b)
		})
	})
	pushGGCR(t, host+"/bad:1", ggcrImage(t, "amd64", compression.GZip, tarEntry{name: "f", body: strings.Repeat("x", 4096)}))
	corrupt.Store(true)
	s, _ := newTestService(t)
	if err := s.Pull(ctx, mustRef(t, host+"/bad:1"), PullOptions{}, &recorder{}); err == nil {
		t.Fatal("pull of a corrupted layer worked")
	}
	if list, _ := s.List(ctx, noFilters(t)); len(list) != 0 {
		t.Errorf("images after a failed pull: %+v", list)
	}
	// Once the registry serves the right bytes, the pull completes.
	corrupt.Store(false)
	if err := s.Pull(ctx, mustRef(t, host+"/bad:1"), PullOptions{}, &recorder{}); err != nil {
		t.Fatal(err)
	}
}

func TestLoginAndAuthenticatedPull(t *testing.T) {
	ctx := context.Background()
	hash, _ := bcrypt.GenerateFromPassword([]byte("secret"), bcrypt.MinCost)
	host := startRegistry(t, "alice:"+string(hash)+"\n", nil)
	s, _ := newTestService(t)
	good := registrytypes.AuthConfig{Username: "alice", Password: "secret", ServerAddress: host}
	resp, err := s.Login(ctx, good)
	if err != nil || resp.Status != "Login Succeeded" {
		t.Fatalf("login: %+v %v", resp, err)
	}
	_, err = s.Login(ctx, registrytypes.AuthConfig{Username: "alice", Password: "wrong", ServerAddress: "http://" + host + "/v2/"})
	want := "login attempt to http://" + host + "/v2/ failed with status: 401 Unauthorized"
	if err == nil || err.Error() != want || !errdefs.IsUnauthorized(err) {
		t.Errorf("login with a bad password: %v, want %q", err, want)
	}

	importTar(t, s, simpleRootfs(t), host+"/private:1", "m")
	if err := s.Push(ctx, host+"/private", "1", PushOptions{}, &recorder{}); err == nil || !strings.Contains(err.Error(), "authentication required") {
		t.Errorf("anonymous push: %v", err)
	}
	if err := s.Push(ctx, host+"/private", "1", PushOptions{Auth: good}, &recorder{}); err != nil {
		t.Fatal(err)
	}
	p, _ := newTestService(t)
	err = p.Pull(ctx, mustRef(t, host+"/private:1"), PullOptions{}, &recorder{})
	if err == nil || !strings.Contains(err.Error(), "pull access denied for "+host+"/private, repository does not exist or may require 'docker login'") {
		t.Errorf("anonymous pull: %v", err)
	}
	if err := p.Pull(ctx, mustRef(t, host+"/private:1"), PullOptions{Auth: good}, &recorder{}); err != nil {
		t.Fatal(err)
	}
}

func TestAllowHTTP(t *testing.T) {
	for host, want := range map[string]bool{
		"127.0.0.1:5000": true, "127.1.2.3": true, "localhost:5000": true, "[::1]:5000": true,
		"registry.example:5000": false, "10.0.0.5:5000": true, "10.1.0.5:5000": false, "docker.io": false, "my.reg": true,
	} {
		if got := allowHTTP(host, []string{"10.0.0.0/24", "my.reg"}); got != want {
			t.Errorf("allowHTTP(%q) = %v", host, got)
		}
	}
}

// Plain HTTP is refused before any connection to a registry not allowed it.
func TestHTTPSOnly(t *testing.T) {
	s, _ := newTestService(t)
	s.SetInsecureRegistries([]string{"my.reg:5000"})
	rt := s.baseTransport("registry.example:5000")
	req, _ := http.NewRequest("GET", "http://registry.example:5000/v2/", nil)
	if _, err := rt.RoundTrip(req); err == nil || !strings.Contains(err.Error(), "plain HTTP is not allowed for registry.example:5000") {
		t.Errorf("http to a secure registry: %v", err)
	}
	host := startRegistry(t, "", nil)
	req, _ = http.NewRequest("GET", "http://"+host+"/v2/", nil)
	if resp, err := rt.RoundTrip(req); err != nil || resp.StatusCode != 200 {
		t.Errorf("http to 127.0.0.1: %v %v", resp, err)
	}
}

func TestSelectManifest(t *testing.T) {
	idx := &v1.IndexManifest{Manifests: []v1.Descriptor{
		{MediaType: types.OCIManifestSchema1, Digest: v1.Hash{Algorithm: "sha256", Hex: "01"}, Platform: &v1.Platform{OS: "unknown", Architecture: "unknown"}},
		{MediaType: types.OCIManifestSchema1, Digest: v1.Hash{Algorithm: "sha256", Hex: "02"}, Platform: &v1.Platform{OS: "linux", Architecture: "arm", Variant: "v7"}},
		{MediaType: types.OCIManifestSchema1, Digest: v1.Hash{Algorithm: "sha256", Hex: "03"}, Platform: &v1.Platform{OS: "linux", Architecture: "amd64"}},
		{MediaType: types.OCIManifestSchema1, Digest: v1.Hash{Algorithm: "sha256", Hex: "04"}, Platform: &v1.Platform{OS: "linux", Architecture: "arm64"}},
	}}
	for plat, want := range map[string]string{"linux/amd64": "03", "linux/arm/v7": "02", "linux/arm64/v8": "04", "linux/aarch64": "04"} {
		p, err := parsePlatform(plat)
		if err != nil {
			t.Fatal(err)
		}
		d, err := selectManifest(idx, p)
		if err != nil || d.Digest.Hex != want {
			t.Errorf("%s: %v %v", plat, d.Digest, err)
		}
	}
	if _, err := selectManifest(idx, v1.Platform{OS: "linux", Architecture: "arm", Variant: "v6"}); err == nil {
		t.Error("arm/v6 matched")
	}
}

func noFilters(t *testing.T) filters.Args { return filters.Args{} }

// An image pulled from one registry (gzip and zstd layers) pushes to
// another: gzip layers the first registry has are mounted, zstd ones are
// recompressed, and the image keeps its ID.
func TestRepushPulledImage(t *testing.T) {
	ctx := context.Background()
	host, host2 := startRegistry(t, "", nil), startRegistry(t, "", nil)
	data := func(s string) []byte { return makeTar(t, tarEntry{name: s, body: strings.Repeat(s, 1000)}) }
	var layers []v1.Layer
	for i, comp := range []compression.Compression{compression.GZip, compression.ZStd, compression.GZip} {
		b := data(fmt.Sprint("layer", i))
		mt := types.OCILayer
		if comp == compression.ZStd {
			mt = types.OCILayerZStd
		}
		l, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil },
			tarball.WithCompression(comp), tarball.WithMediaType(mt))
		if err != nil {
			t.Fatal(err)
		}
		layers = append(layers, l)
	}
	img, err := mutate.AppendLayers(mutate.MediaType(mutate.ConfigMediaType(empty.Image, types.OCIConfigJSON), types.OCIManifestSchema1), layers...)
	if err != nil {
		t.Fatal(err)
	}
	pushGGCR(t, host+"/src/img:1", img)

	s, _ := newTestService(t)
	if err := s.Pull(ctx, mustRef(t, host+"/src/img:1"), PullOptions{}, &recorder{}); err != nil {
		t.Fatal(err)
	}
	id := mustGet(t, s, host+"/src/img:1").ID
	if err := s.Tag(ctx, id, host+"/dst/img", "1"); err != nil {
		t.Fatal(err)
	}
	var out recorder
	if err := s.Push(ctx, host+"/dst/img", "1", PushOptions{}, &out); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(out.text(), "Mounted from src/img"); n != 2 || strings.Count(out.text(), ": Pushed") != 1 {
		t.Errorf("push to the same registry:\n%s", out.text())
	}
	if err := s.Tag(ctx, id, host2+"/img", "1"); err != nil {
		t.Fatal(err)
	}
	out = recorder{}
	if err := s.Push(ctx, host2+"/img", "1", PushOptions{}, &out); err != nil {
		t.Fatal(err)
	}
	if strings.Count(out.text(), ": Pushed") != 3 {
		t.Errorf("push to another registry:\n%s", out.text())
	}
	for _, ref := range []string{host + "/dst/img:1", host2 + "/img:1"} {
		c, _ := newTestService(t)
		if err := c.Pull(ctx, mustRef(t, ref), PullOptions{}, &recorder{}); err != nil {
			t.Fatal(err)
		}
		if got := mustGet(t, c, ref).ID; got != id {
			t.Errorf("%s: image %s, want %s", ref, got, id)
		}
	}
}

func mustGet(t *testing.T, s *Service, ref string) *Image {
	t.Helper()
	img, err := s.Get(context.Background(), ref)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// A registry behind a token server, as Docker Hub is: anonymous bearer
// tokens for public repositories, tokens for credentials otherwise.
func TestBearerTokenAuth(t *testing.T) {
	ctx := context.Background()
	var host string
	host = startRegistry(t, "", func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/token" {
				tok := "anon"
				if u, p, ok := r.BasicAuth(); ok {
					if u != "bob" || p != "pw" {
						w.WriteHeader(http.StatusUnauthorized)
						io.WriteString(w, `{"errors":[{"code":"UNAUTHORIZED","message":"incorrect username or password"}]}`)
						return
					}
					tok = "bob"
				}
				json.NewEncoder(w).Encode(map[string]string{"token": tok})
				return
			}
			auth := r.Header.Get("Authorization")
			read := r.Method == http.MethodGet || r.Method == http.MethodHead
			ok := auth == "Bearer bob" || (auth == "Bearer anon" && read && !strings.Contains(r.URL.Path, "/private/"))
			if !ok {
				w.Header().Set("WWW-Authenticate", `Bearer realm="http://`+host+`/token",service="test"`)
				w.WriteHeader(http.StatusUnauthorized)
				io.WriteString(w, `{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}`)
				return
			}
			h.ServeHTTP(w, r)
		})
	})
	bob := registrytypes.AuthConfig{Username: "bob", Password: "pw", ServerAddress: host}
	s, _ := newTestService(t)
	importTar(t, s, simpleRootfs(t), host+"/public/app:1", "m")
	importTar(t, s, simpleRootfs(t), host+"/private/app:1", "m")
	for _, repo := range []string{"public/app", "private/app"} {
		if err := s.Push(ctx, host+"/"+repo, "1", PushOptions{Auth: bob}, &recorder{}); err != nil {
			t.Fatalf("push %s: %v", repo, err)
		}
	}
	p, _ := newTestService(t)
	if err := p.Pull(ctx, mustRef(t, host+"/public/app:1"), PullOptions{}, &recorder{}); err != nil {
		t.Errorf("anonymous pull of a public image: %v", err)
	}
	err := p.Pull(ctx, mustRef(t, host+"/private/app:1"), PullOptions{}, &recorder{})
	if err == nil || !strings.Contains(err.Error(), "pull access denied for "+host+"/private/app") {
		t.Errorf("anonymous pull of a private image: %v", err)
	}
	if err := p.Pull(ctx, mustRef(t, host+"/private/app:1"), PullOptions{Auth: bob}, &recorder{}); err != nil {
		t.Errorf("pull with a token: %v", err)
	}
	if _, err := p.Login(ctx, bob); err != nil {
		t.Errorf("login: %v", err)
	}
	_, err = p.Login(ctx, registrytypes.AuthConfig{Username: "bob", Password: "bad", ServerAddress: host})
	if err == nil || !errdefs.IsUnauthorized(err) || !strings.Contains(err.Error(), "unauthorized: incorrect username or password") {
		t.Errorf("login with a bad password: %v", err)
	}
}

// A pull cut off in the middle of a layer leaves no image and no partial
// blob; the next pull completes.
func TestInterruptedPull(t *testing.T) {
	var stall atomic.Bool
	started := make(chan struct{}, 1)
	host := startRegistry(t, "", func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if !stall.Load() || r.Method != http.MethodGet || !strings.Contains(r.URL.Path, "/blobs/") {
				h.ServeHTTP(w, r)
				return
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, r)
			b := rec.Body.Bytes()
			var probe map[string]any
			if json.Unmarshal(b, &probe) == nil { // the config
				w.Write(b)
				return
			}
			w.Header().Set("Content-Length", fmt.Sprint(len(b)))
			w.Write(b[:len(b)/2])
			w.(http.Flusher).Flush()
			started <- struct{}{}
			<-r.Context().Done()
		})
	})
	pushGGCR(t, host+"/cut:1", ggcrImage(t, "amd64", compression.GZip, tarEntry{name: "f", body: strings.Repeat("abcdefgh", 64<<10)}))
	stall.Store(true)
	s, root := newTestService(t)
	ctx, cancel := context.WithCancel(context.Background())
	go func() { <-started; cancel() }()
	if err := s.Pull(ctx, mustRef(t, host+"/cut:1"), PullOptions{}, &recorder{}); err == nil {
		t.Fatal("interrupted pull succeeded")
	}
	if list, _ := s.List(context.Background(), noFilters(t)); len(list) != 0 {
		t.Errorf("images after an interrupted pull: %+v", list)
	}
	for _, dir := range []string{"tmp", "blobs/sha256"} {
		if des, _ := os.ReadDir(filepath.Join(root, dir)); len(des) != 0 {
			t.Errorf("%s after an interrupted pull: %v", dir, des)
		}
	}
	stall.Store(false)
	if err := s.Pull(context.Background(), mustRef(t, host+"/cut:1"), PullOptions{}, &recorder{}); err != nil {
		t.Fatal(err)
	}
}

// A registry serving HTTPS with its own CA is trusted through
// certs.d/<host:port>/ca.crt, as with dockerd.
func TestRegistryTLSCertsDir(t *testing.T) {
	ctx := context.Background()
	store, err := registry.NewStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(registry.NewServer(store, nil, nil))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the failed handshakes are expected
	srv.StartTLS()
	t.Cleanup(srv.Close)
	host := strings.TrimPrefix(srv.URL, "https://")

	s, _ := newTestService(t)
	certs := t.TempDir()
	s.certsDirs = []string{certs}
	importTar(t, s, simpleRootfs(t), host+"/tls/app:1", "m")
	if err := s.Push(ctx, host+"/tls/app", "1", PushOptions{}, &recorder{}); err == nil {
		t.Fatal("push to an untrusted HTTPS registry worked")
	}
	os.MkdirAll(filepath.Join(certs, host), 0o755)
	pemCert := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	if err := os.WriteFile(filepath.Join(certs, host, "ca.crt"), pemCert, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := s.Push(ctx, host+"/tls/app", "1", PushOptions{}, &recorder{}); err != nil {
		t.Fatalf("push with the CA in certs.d: %v", err)
	}
	p, _ := newTestService(t)
	p.certsDirs = []string{certs}
	if err := p.Pull(ctx, mustRef(t, host+"/tls/app:1"), PullOptions{}, &recorder{}); err != nil {
		t.Fatalf("pull over TLS: %v", err)
	}
}
