package registry

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opencontainers/go-digest"
	"golang.org/x/crypto/bcrypt"
)

type testRegistry struct {
	t     *testing.T
	url   string
	store *Store
}

func newTestRegistry(t *testing.T, auth *Htpasswd) *testRegistry {
	t.Helper()
	store, err := NewStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(NewServer(store, auth, nil))
	t.Cleanup(srv.Close)
	return &testRegistry{t: t, url: srv.URL, store: store}
}

// do sends a request and checks the status.
func (r *testRegistry) do(method, path string, body []byte, hdr map[string]string, want int) *http.Response {
	r.t.Helper()
	u := path
	if !strings.HasPrefix(u, "http") {
		u = r.url + path
	}
	req, err := http.NewRequest(method, u, bytes.NewReader(body))
	if err != nil {
		r.t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		r.t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(b))
	if resp.StatusCode != want {
		r.t.Fatalf("%s %s: status %d, want %d: %s", method, path, resp.StatusCode, want, b)
	}
	return resp
}

func body(resp *http.Response) string {
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// pushBlob uploads b monolithically (POST then PUT).
func (r *testRegistry) pushBlob(repo string, b []byte) digest.Digest {
	r.t.Helper()
	d := digest.FromBytes(b)
	resp := r.do("POST", "/v2/"+repo+"/blobs/uploads/", nil, nil, http.StatusAccepted)
	loc := resp.Header.Get("Location")
	r.do("PUT", loc+"?digest="+d.String(), b, map[string]string{"Content-Type": "application/octet-stream"}, http.StatusCreated)
	return d
}

func (r *testRegistry) pushManifest(repo, ref string, m any, mediaType string) (digest.Digest, *http.Response) {
	r.t.Helper()
	b, _ := json.Marshal(m)
	resp := r.do("PUT", "/v2/"+repo+"/manifests/"+ref, b, map[string]string{"Content-Type": mediaType}, http.StatusCreated)
	return digest.FromBytes(b), resp
}

const ociManifest = "application/vnd.oci.image.manifest.v1+json"

func manifestOf(config, layer digest.Digest, cs, ls int, subject *digest.Digest) map[string]any {
	m := map[string]any{
		"schemaVersion": 2,
		"mediaType":     ociManifest,
		"config":        map[string]any{"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config, "size": cs},
		"layers":        []any{map[string]any{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": layer, "size": ls}},
	}
	if subject != nil {
		m["subject"] = map[string]any{"mediaType": ociManifest, "digest": *subject, "size": 1}
		m["artifactType"] = "application/x-test"
	}
	return m
}

func TestBaseAndBlobs(t *testing.T) {
	r := newTestRegistry(t, nil)
	resp := r.do("GET", "/v2/", nil, nil, 200)
	if resp.Header.Get("Docker-Distribution-API-Version") != "registry/2.0" {
		t.Error("no API version header")
	}
	// Monolithic POST ?digest=.
	data := []byte("hello blob")
	d := digest.FromBytes(data)
	resp = r.do("POST", "/v2/a/b/blobs/uploads/?digest="+d.String(), data, nil, http.StatusCreated)
	if resp.Header.Get("Location") != "/v2/a/b/blobs/"+d.String() {
		t.Errorf("location %q", resp.Header.Get("Location"))
	}
	resp = r.do("GET", "/v2/a/b/blobs/"+d.String(), nil, nil, 200)
	if body(resp) != string(data) || resp.Header.Get("Docker-Content-Digest") != d.String() {
		t.Error("blob content")
	}
	resp = r.do("HEAD", "/v2/a/b/blobs/"+d.String(), nil, nil, 200)
	if resp.ContentLength != int64(len(data)) {
		t.Errorf("HEAD length %d", resp.ContentLength)
	}
	// The blob belongs to a/b only.
	r.do("GET", "/v2/other/blobs/"+d.String(), nil, nil, 404)
	// Wrong digest.
	bad := digest.FromString("something else")
	resp = r.do("POST", "/v2/a/b/blobs/uploads/?digest="+bad.String(), data, nil, 400)
	if !strings.Contains(body(resp), "DIGEST_INVALID") {
		t.Error("no DIGEST_INVALID")
	}
	r.do("GET", "/v2/a/b/blobs/"+bad.String(), nil, nil, 404)
	r.do("GET", "/v2/a/b/blobs/sha256:zz", nil, nil, 400)
	r.do("GET", "/v2/UPPER/blobs/"+d.String(), nil, nil, 400)
	// Delete.
	r.do("DELETE", "/v2/a/b/blobs/"+d.String(), nil, nil, 202)
	r.do("GET", "/v2/a/b/blobs/"+d.String(), nil, nil, 404)
	r.do("DELETE", "/v2/a/b/blobs/"+d.String(), nil, nil, 404)
}

func TestChunkedUpload(t *testing.T) {
	r := newTestRegistry(t, nil)
	data := []byte("0123456789abcdefghij")
	d := digest.FromBytes(data)
	loc := r.do("POST", "/v2/repo/blobs/uploads/", nil, nil, 202).Header.Get("Location")
	resp := r.do("PATCH", loc, data[:10], map[string]string{"Content-Range": "0-9", "Content-Type": "application/octet-stream"}, 202)
	if resp.Header.Get("Range") != "0-9" {
		t.Errorf("range %q", resp.Header.Get("Range"))
	}
	loc = resp.Header.Get("Location")
	// Out of order.
	r.do("PATCH", loc, data[15:], map[string]string{"Content-Range": "15-19"}, http.StatusRequestedRangeNotSatisfiable)
	resp = r.do("GET", loc, nil, nil, 204)
	if resp.Header.Get("Range") != "0-9" {
		t.Errorf("status range %q", resp.Header.Get("Range"))
	}
	resp = r.do("PATCH", loc, data[10:], map[string]string{"Content-Range": "10-19"}, 202)
	r.do("PUT", resp.Header.Get("Location")+"?digest="+d.String(), nil, nil, 201)
	if body(r.do("GET", "/v2/repo/blobs/"+d.String(), nil, nil, 200)) != string(data) {
		t.Error("chunked content")
	}
	// Streamed PATCH without Content-Range, then PUT with the last bytes.
	more := []byte("streamed-and-final")
	loc = r.do("POST", "/v2/repo/blobs/uploads/", nil, nil, 202).Header.Get("Location")
	loc = r.do("PATCH", loc, more[:8], nil, 202).Header.Get("Location")
	r.do("PUT", loc+"?digest="+digest.FromBytes(more).String(), more[8:], nil, 201)
	// Unknown and cancelled uploads.
	r.do("GET", "/v2/repo/blobs/uploads/0123456789abcdef0123456789abcdef", nil, nil, 404)
	loc = r.do("POST", "/v2/repo/blobs/uploads/", nil, nil, 202).Header.Get("Location")
	r.do("DELETE", loc, nil, nil, 204)
	r.do("GET", loc, nil, nil, 404)
	// An upload belongs to its repository.
	loc = r.do("POST", "/v2/repo/blobs/uploads/", nil, nil, 202).Header.Get("Location")
	r.do("GET", strings.Replace(loc, "/v2/repo/", "/v2/other/", 1), nil, nil, 404)
}

func TestMount(t *testing.T) {
	r := newTestRegistry(t, nil)
	d := r.pushBlob("src", []byte("shared layer"))
	resp := r.do("POST", "/v2/dst/blobs/uploads/?mount="+d.String()+"&from=src", nil, nil, 201)
	if resp.Header.Get("Location") != "/v2/dst/blobs/"+d.String() {
		t.Errorf("mount location %q", resp.Header.Get("Location"))
	}
	r.do("HEAD", "/v2/dst/blobs/"+d.String(), nil, nil, 200)
	// A blob the source does not have: an ordinary upload starts.
	r.do("POST", "/v2/dst2/blobs/uploads/?mount="+digest.FromString("x").String()+"&from=src", nil, nil, 202)
	// Without from: any stored blob can be mounted.
	r.do("POST", "/v2/dst3/blobs/uploads/?mount="+d.String(), nil, nil, 201)
}

func TestManifestsTagsReferrers(t *testing.T) {
	r := newTestRegistry(t, nil)
	cfg := []byte(`{"architecture":"amd64","os":"linux"}`)
	layer := []byte("layer")
	cd, ld := r.pushBlob("app", cfg), r.pushBlob("app", layer)
	// Blobs must be in the repository.
	b, _ := json.Marshal(manifestOf(cd, digest.FromString("missing"), len(cfg), 1, nil))
	resp := r.do("PUT", "/v2/app/manifests/v1", b, map[string]string{"Content-Type": ociManifest}, 400)
	if !strings.Contains(body(resp), "MANIFEST_BLOB_UNKNOWN") {
		t.Error("no MANIFEST_BLOB_UNKNOWN")
	}
	md, resp := r.pushManifest("app", "v1", manifestOf(cd, ld, len(cfg), len(layer), nil), ociManifest)
	if resp.Header.Get("Docker-Content-Digest") != md.String() {
		t.Error("manifest digest header")
	}
	for _, ref := range []string{"v1", md.String()} {
		resp := r.do("GET", "/v2/app/manifests/"+ref, nil, nil, 200)
		if resp.Header.Get("Content-Type") != ociManifest || digest.FromString(body(resp)) != md {
			t.Errorf("GET manifest %s", ref)
		}
		r.do("HEAD", "/v2/app/manifests/"+ref, nil, nil, 200)
	}
	resp = r.do("GET", "/v2/app/manifests/nope", nil, nil, 404)
	if !strings.Contains(body(resp), `"MANIFEST_UNKNOWN"`) || !strings.Contains(resp.Header.Get("Content-Type"), "json") {
		t.Error("unknown manifest error")
	}
	r.do("GET", "/v2/unknown/manifests/latest", nil, nil, 404)
	// PUT by digest must match the body.
	r.do("PUT", "/v2/app/manifests/"+digest.FromString("x").String(), b, map[string]string{"Content-Type": ociManifest}, 400)

	// Tags with pagination.
	for _, tag := range []string{"v2", "v3", "a"} {
		r.pushManifest("app", tag, manifestOf(cd, ld, len(cfg), len(layer), nil), ociManifest)
	}
	var tl struct {
		Name string
		Tags []string
	}
	json.Unmarshal([]byte(body(r.do("GET", "/v2/app/tags/list", nil, nil, 200))), &tl)
	if tl.Name != "app" || strings.Join(tl.Tags, ",") != "a,v1,v2,v3" {
		t.Errorf("tags %+v", tl)
	}
	resp = r.do("GET", "/v2/app/tags/list?n=2", nil, nil, 200)
	json.Unmarshal([]byte(body(resp)), &tl)
	if strings.Join(tl.Tags, ",") != "a,v1" || !strings.Contains(resp.Header.Get("Link"), "last=v1") {
		t.Errorf("page 1 %+v link %q", tl, resp.Header.Get("Link"))
	}
	json.Unmarshal([]byte(body(r.do("GET", "/v2/app/tags/list?n=2&last=v1", nil, nil, 200))), &tl)
	if strings.Join(tl.Tags, ",") != "v2,v3" {
		t.Errorf("page 2 %+v", tl)
	}
	r.do("GET", "/v2/nothing/tags/list", nil, nil, 404)

	// Referrers.
	sd, resp := r.pushManifest("app", digestOf(manifestOf(cd, ld, len(cfg), len(layer), &md)), manifestOf(cd, ld, len(cfg), len(layer), &md), ociManifest)
	if resp.Header.Get("OCI-Subject") != md.String() {
		t.Errorf("OCI-Subject %q", resp.Header.Get("OCI-Subject"))
	}
	var idx struct {
		Manifests []struct {
			Digest       digest.Digest
			ArtifactType string
		}
	}
	resp = r.do("GET", "/v2/app/referrers/"+md.String(), nil, nil, 200)
	json.Unmarshal([]byte(body(resp)), &idx)
	if len(idx.Manifests) != 1 || idx.Manifests[0].Digest != sd || idx.Manifests[0].ArtifactType != "application/x-test" {
		t.Errorf("referrers %+v", idx)
	}
	resp = r.do("GET", "/v2/app/referrers/"+md.String()+"?artifactType=other", nil, nil, 200)
	json.Unmarshal([]byte(body(resp)), &idx)
	if len(idx.Manifests) != 0 || resp.Header.Get("OCI-Filters-Applied") != "artifactType" {
		t.Errorf("filtered referrers %+v", idx)
	}
	// Catalog.
	var cat struct{ Repositories []string }
	json.Unmarshal([]byte(body(r.do("GET", "/v2/_catalog", nil, nil, 200))), &cat)
	if strings.Join(cat.Repositories, ",") != "app" {
		t.Errorf("catalog %+v", cat)
	}

	// Delete a tag, then the manifest by digest (which drops its tags and referrers entry).
	r.do("DELETE", "/v2/app/manifests/a", nil, nil, 202)
	r.do("GET", "/v2/app/manifests/a", nil, nil, 404)
	r.do("DELETE", "/v2/app/manifests/"+sd.String(), nil, nil, 202)
	json.Unmarshal([]byte(body(r.do("GET", "/v2/app/referrers/"+md.String(), nil, nil, 200))), &idx)
	if len(idx.Manifests) != 0 {
		t.Errorf("referrers after delete %+v", idx)
	}
	r.do("DELETE", "/v2/app/manifests/"+md.String(), nil, nil, 202)
	r.do("GET", "/v2/app/manifests/v1", nil, nil, 404)
	r.do("DELETE", "/v2/app/manifests/"+md.String(), nil, nil, 404)
}

func digestOf(v any) string {
	b, _ := json.Marshal(v)
	return digest.FromBytes(b).String()
}

func TestGarbageCollect(t *testing.T) {
	r := newTestRegistry(t, nil)
	cfg, layer, orphan := []byte(`{}`), []byte("kept"), []byte("orphan")
	cd, ld, od := r.pushBlob("app", cfg), r.pushBlob("app", layer), r.pushBlob("app", orphan)
	r.pushManifest("app", "v1", manifestOf(cd, ld, len(cfg), len(layer), nil), ociManifest)
	res, err := r.store.GarbageCollect(context.Background(), true)
	if err != nil || len(res.Blobs) != 1 || res.Blobs[0] != od {
		t.Fatalf("dry run: %+v %v", res, err)
	}
	r.do("HEAD", "/v2/app/blobs/"+od.String(), nil, nil, 200)
	if _, err := r.store.GarbageCollect(context.Background(), false); err != nil {
		t.Fatal(err)
	}
	r.do("HEAD", "/v2/app/blobs/"+od.String(), nil, nil, 404)
	r.do("HEAD", "/v2/app/blobs/"+ld.String(), nil, nil, 200)
	r.do("GET", "/v2/app/manifests/v1", nil, nil, 200)
	if _, err := os.Stat(r.store.repoPath("app", "_blobs", key(od))); err == nil {
		t.Error("link to a collected blob left")
	}
}

func TestHtpasswd(t *testing.T) {
	hash, _ := bcrypt.GenerateFromPassword([]byte("pw"), bcrypt.MinCost)
	p := filepath.Join(t.TempDir(), "htpasswd")
	os.WriteFile(p, []byte(fmt.Sprintf("# users\nbob:%s\n", hash)), 0o600)
	auth, err := LoadHtpasswd(p)
	if err != nil {
		t.Fatal(err)
	}
	r := newTestRegistry(t, auth)
	resp := r.do("GET", "/v2/", nil, nil, 401)
	if !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Basic ") || !strings.Contains(body(resp), "authentication required") {
		t.Errorf("401 %v", resp.Header)
	}
	req, _ := http.NewRequest("GET", r.url+"/v2/", nil)
	req.SetBasicAuth("bob", "pw")
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 200 {
		t.Fatalf("good password: %v %v", resp, err)
	}
	req.SetBasicAuth("bob", "nope")
	if resp, _ := http.DefaultClient.Do(req); resp.StatusCode != 401 {
		t.Error("bad password accepted")
	}
	os.WriteFile(p, []byte("bob:plaintext\n"), 0o600)
	if _, err := LoadHtpasswd(p); err == nil {
		t.Error("a non-bcrypt entry was accepted")
	}
}

// A root written before blobs went through the content store is served as
// it is; an upload begun then is dropped (its client starts it again).
func TestRootFromBeforeTheContentStore(t *testing.T) {
	root := t.TempDir()
	put := func(p string, b []byte) {
		os.MkdirAll(filepath.Dir(filepath.Join(root, p)), 0o755)
		if err := os.WriteFile(filepath.Join(root, p), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cfg, layer := []byte(`{}`), []byte("layer bytes")
	cd, ld := digest.FromBytes(cfg), digest.FromBytes(layer)
	m, _ := json.Marshal(manifestOf(cd, ld, len(cfg), len(layer), nil))
	md := digest.FromBytes(m)
	for _, b := range [][]byte{cfg, layer, m} {
		put("blobs/sha256/"+digest.FromBytes(b).Encoded(), b)
	}
	put("repos/app/_blobs/"+key(cd), nil)
	put("repos/app/_blobs/"+key(ld), nil)
	put("repos/app/_manifests/"+key(md), []byte(ociManifest))
	put("repos/app/_tags/v1", []byte(md.String()))
	old := strings.Repeat("ab", 16)
	put("uploads/"+old, []byte("half an upload"))
	put("uploads/"+old+".repo", []byte("app"))

	store, err := NewStore(root)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(NewServer(store, nil, nil))
	t.Cleanup(srv.Close)
	r := &testRegistry{t: t, url: srv.URL, store: store}
	if got := body(r.do("GET", "/v2/app/manifests/v1", nil, nil, 200)); got != string(m) {
		t.Fatalf("manifest %q", got)
	}
	if got := body(r.do("GET", "/v2/app/blobs/"+ld.String(), nil, nil, 200)); got != string(layer) {
		t.Fatalf("layer %q", got)
	}
	r.do("GET", "/v2/app/blobs/uploads/"+old, nil, nil, 404)
	for _, p := range []string{"uploads/" + old, "uploads/" + old + ".repo"} {
		if _, err := os.Stat(filepath.Join(root, p)); err == nil {
			t.Errorf("%s kept", p)
		}
	}
}
