package image

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"
)

// FuzzPull pulls from a registry that serves whatever manifest, index,
// child manifest and config it is given, under any media type, and the
// platform asked for is any string. Placeholders in the inputs are filled
// in with the digests and sizes of the others ({config}, {configsize},
// {layer}, {layersize}, {diff}, {child}, {childsize}), so that the fuzzer
// reaches past the digest checks. The pull ends (within 20 s), with an
// image or an error, never a panic, and leaves no layer no image names.
func FuzzPull(f *testing.F) {
	const (
		ociManifest = "application/vnd.oci.image.manifest.v1+json"
		ociIndex    = "application/vnd.oci.image.index.v1+json"
	)
	mediaTypes := []string{ociManifest, ociIndex, "application/vnd.docker.distribution.manifest.v2+json",
		"application/vnd.docker.distribution.manifest.list.v2+json", "application/vnd.docker.distribution.manifest.v1+prettyjws", "text/plain", ""}
	config := `{"architecture":"amd64","os":"linux","config":{"Cmd":["sh"]},"rootfs":{"type":"layers","diff_ids":["{diff}"]}}`
	manifest := `{"schemaVersion":2,"mediaType":"` + ociManifest + `","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{config}","size":{configsize}},` +
		`"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"{layer}","size":{layersize}}]}`
	index := `{"schemaVersion":2,"mediaType":"` + ociIndex + `","manifests":[` +
		`{"mediaType":"` + ociManifest + `","digest":"{child}","size":{childsize},"platform":{"os":"unknown","architecture":"unknown"}},` +
		`{"mediaType":"` + ociManifest + `","digest":"{child}","size":{childsize},"platform":{"os":"linux","architecture":"amd64","variant":"v8"}}]}`
	for _, s := range []struct {
		top      string
		mt       uint8
		child    string
		config   string
		platform string
	}{
		{manifest, 0, "", config, ""},
		{index, 1, manifest, config, ""},
		{index, 1, manifest, config, "linux/amd64/v8"},
		{index, 1, manifest, config, "windows"},
		{manifest, 0, "", config, "linux/arm64"},
		{manifest, 0, "", strings.Replace(config, `["{diff}"]`, `[]`, 1), ""},
		{strings.Replace(manifest, "{configsize}", "99999999999999999", 1), 0, "", config, ""},
		{strings.Replace(manifest, "{layersize}", "-1", 1), 0, "", config, ""},
		{strings.Replace(index, "{child}", "{config}", -1), 1, manifest, config, ""},
		{index, 1, index, config, ""},
		{manifest, 3, "", config, "///"},
		{"{}", 4, "", "", ""},
	} {
		f.Add(s.top, s.mt, s.child, s.config, s.platform)
	}
	layerTar := makeTar(f, tarEntry{name: "hello", body: "hi"})
	layerDigest := digest.FromBytes(layerTar)
	s := openService(f, filepath.Join(f.TempDir(), "image"))

	f.Fuzz(func(t *testing.T, top string, mt uint8, child, config, platform string) {
		config = strings.ReplaceAll(config, "{diff}", layerDigest.String())
		configDigest := digest.FromString(config)
		fill := strings.NewReplacer("{config}", configDigest.String(), "{configsize}", fmt.Sprint(len(config)),
			"{layer}", layerDigest.String(), "{layersize}", fmt.Sprint(len(layerTar)))
		child = fill.Replace(child)
		childDigest := digest.FromString(child)
		top = strings.NewReplacer("{child}", childDigest.String(), "{childsize}", fmt.Sprint(len(child))).Replace(fill.Replace(top))
		topDigest := digest.FromString(top)
		blobs := map[string][]byte{configDigest.String(): []byte(config), layerDigest.String(): layerTar}
		manifests := map[string][]byte{"1": []byte(top), topDigest.String(): []byte(top), childDigest.String(): []byte(child)}
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			p := r.URL.Path
			switch {
			case p == "/v2/":
				w.Write([]byte("{}"))
			case strings.HasPrefix(p, "/v2/f/manifests/"):
				ref := strings.TrimPrefix(p, "/v2/f/manifests/")
				b, ok := manifests[ref]
				if !ok {
					http.Error(w, `{"errors":[{"code":"MANIFEST_UNKNOWN"}]}`, http.StatusNotFound)
					return
				}
				ct := mediaTypes[int(mt)%len(mediaTypes)]
				if ref == childDigest.String() && ref != topDigest.String() {
					ct = ociManifest
				}
				w.Header().Set("Content-Type", ct)
				w.Header().Set("Docker-Content-Digest", digest.FromBytes(b).String())
				w.Header().Set("Content-Length", fmt.Sprint(len(b)))
				if r.Method != http.MethodHead {
					w.Write(b)
				}
			case strings.HasPrefix(p, "/v2/f/blobs/"):
				b, ok := blobs[strings.TrimPrefix(p, "/v2/f/blobs/")]
				if !ok {
					http.Error(w, `{"errors":[{"code":"BLOB_UNKNOWN"}]}`, http.StatusNotFound)
					return
				}
				w.Write(b)
			default:
				http.NotFound(w, r)
			}
		}))
		defer srv.Close()
		ref := mustRef(t, strings.TrimPrefix(srv.URL, "http://")+"/f:1")
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		err := s.Pull(ctx, ref, PullOptions{Platform: platform}, &recorder{})
		if ctx.Err() != nil {
			t.Fatalf("the pull did not end in 20 s (%v)", err)
		}
		t.Logf("pull: %v", err)
		if err == nil {
			if _, ierr := s.Inspect(ctx, ref.String()); ierr != nil {
				t.Fatalf("pulled, but the image does not inspect: %v", ierr)
			}
		}
		n, rerr := removeOrphanLayers(t, s)
		if rerr != nil || n != 0 {
			t.Fatalf("the pull (%v) left %d layers no image names (%v)", err, n, rerr)
		}
	})
}
