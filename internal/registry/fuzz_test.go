package registry

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/opencontainers/go-digest"
)

// FuzzServer sends the registry server any request: any method, path,
// query, Content-Type, Content-Range and body, against a repository that
// holds a blob, a manifest and an upload in progress ({id} in the path is
// that upload, {blob} and {manifest} their digests). It answers without a
// panic, never with a 5xx (a client's request is not the server's fault),
// writes nothing outside its root, and the repository still answers.
func FuzzServer(f *testing.F) {
	base := f.TempDir()
	root := filepath.Join(base, "root")
	store, err := NewStore(root)
	if err != nil {
		f.Fatal(err)
	}
	srv := NewServer(store, nil, nil)
	do := func(method, target, contentType, contentRange string, body []byte) *httptest.ResponseRecorder {
		req := httptest.NewRequest("GET", "http://registry/", bytes.NewReader(body))
		req.Method = method
		req.URL.Path, req.URL.RawQuery, _ = strings.Cut(target, "?")
		req.RequestURI = ""
		if contentType != "" {
			req.Header.Set("Content-Type", contentType)
		}
		if contentRange != "" {
			req.Header.Set("Content-Range", contentRange)
		}
		w := httptest.NewRecorder()
		srv.ServeHTTP(w, req)
		return w
	}
	blob := []byte(`{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}`)
	blobDigest := digest.FromBytes(blob)
	if w := do("POST", "/v2/f/blobs/uploads/?digest="+blobDigest.String(), "", "", blob); w.Code != http.StatusCreated {
		f.Fatalf("pushing the blob: %d %s", w.Code, w.Body)
	}
	manifest, _ := json.Marshal(map[string]any{"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
		"config": map[string]any{"mediaType": "application/vnd.oci.image.config.v1+json", "digest": blobDigest, "size": len(blob)}, "layers": []any{}})
	if w := do("PUT", "/v2/f/manifests/1", "application/vnd.oci.image.manifest.v1+json", "", manifest); w.Code != http.StatusCreated {
		f.Fatalf("pushing the manifest: %d %s", w.Code, w.Body)
	}
	w := do("POST", "/v2/f/blobs/uploads/", "", "", nil)
	upload := w.Header().Get("Docker-Upload-UUID")
	if upload == "" {
		f.Fatalf("starting an upload: %d %s", w.Code, w.Body)
	}
	index := `{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"{manifest}","size":` + fmt.Sprint(len(manifest)) + `,"platform":{"os":"linux","architecture":"amd64"}}]}`
	for _, s := range []struct{ method, target, ct, cr, body string }{
		{"GET", "/v2/f/manifests/1", "", "", ""},
		{"HEAD", "/v2/f/manifests/{manifest}", "", "", ""},
		{"PUT", "/v2/f/manifests/2", "application/vnd.oci.image.manifest.v1+json", "", string(manifest)},
		{"PUT", "/v2/f/manifests/i", "application/vnd.oci.image.index.v1+json", "", index},
		{"PUT", "/v2/f/manifests/big", "application/vnd.oci.image.manifest.v1+json", "", `{"schemaVersion":2,"config":{"digest":"{blob}","size":99999999999999},"layers":[{"digest":"sha256:` + strings.Repeat("0", 64) + `","size":-1}]}`},
		{"PUT", "/v2/f/manifests/{blob}", "application/vnd.docker.distribution.manifest.v2+json", "", "{"},
		{"DELETE", "/v2/f/manifests/{manifest}", "", "", ""},
		{"PATCH", "/v2/f/blobs/uploads/{id}", "application/octet-stream", "0-3", "abcd"},
		{"PATCH", "/v2/f/blobs/uploads/{id}", "", "5-2", "x"},
		{"PUT", "/v2/f/blobs/uploads/{id}?digest={blob}", "", "", "trailing"},
		{"PUT", "/v2/f/blobs/uploads/{id}?digest=sha256:zz", "", "", ""},
		{"GET", "/v2/f/blobs/uploads/{id}", "", "", ""},
		{"DELETE", "/v2/f/blobs/uploads/{id}", "", "", ""},
		{"POST", "/v2/g/blobs/uploads/?mount={blob}&from=f", "", "", ""},
		{"GET", "/v2/f/blobs/{blob}", "", "bytes=0-1", ""},
		{"GET", "/v2/../../etc/blobs/{blob}", "", "", ""},
		{"GET", "/v2/f/tags/list?n=-1&last=zzz", "", "", ""},
		{"GET", "/v2/_catalog?n=100000000000", "", "", ""},
		{"GET", "/v2/f/referrers/{manifest}?artifactType=x", "", "", ""},
	} {
		f.Add(s.method, s.target, s.ct, s.cr, []byte(s.body))
	}
	expand := strings.NewReplacer("{id}", upload, "{blob}", blobDigest.String(), "{manifest}", digest.FromBytes(manifest).String())
	f.Fuzz(func(t *testing.T, method, target, contentType, contentRange string, body []byte) {
		target = "/" + strings.TrimLeft(expand.Replace(target), "/")
		w := do(method, target, contentType, contentRange, []byte(expand.Replace(string(body))))
		if w.Code >= 500 {
			t.Fatalf("%s %s (%s, %s): %d %s", method, target, contentType, contentRange, w.Code, w.Body)
		}
		if w := do("GET", "/v2/f/tags/list", "", "", nil); w.Code >= 500 {
			t.Fatalf("after %s %s the repository answers %d %s", method, target, w.Code, w.Body)
		}
		des, _ := os.ReadDir(base)
		var names []string
		for _, d := range des {
			names = append(names, d.Name())
		}
		if !slices.Equal(names, []string{"root"}) {
			t.Fatalf("after %s %s, beside the root: %v", method, target, names)
		}
	})
}
