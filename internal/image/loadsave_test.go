package image

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"golang.org/x/sys/unix"
)

func tarNames(t *testing.T, b []byte) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	tr := tar.NewReader(bytes.NewReader(b))
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		data, _ := io.ReadAll(tr)
		out[h.Name] = data
	}
}

func TestSaveLoadRoundTrip(t *testing.T) {
	ctx := context.Background()
	src, _ := newTestService(t)
	id := importTar(t, src, simpleRootfs(t), "busybox", "", `CMD ["sh"]`)
	if err := src.Tag(ctx, id, "localhost:5000/team/app", "1.2"); err != nil {
		t.Fatal(err)
	}
	untagged := importTar(t, src, makeTar(t, tarEntry{name: "other", body: "o"}), "", "")

	var buf bytes.Buffer
	if err := src.Save(ctx, []string{"busybox", "localhost:5000/team/app:1.2", untagged}, &buf); err != nil {
		t.Fatal(err)
	}
	files := tarNames(t, buf.Bytes())
	for _, f := range []string{"manifest.json", "index.json", "oci-layout", "repositories"} {
		if _, ok := files[f]; !ok {
			t.Fatalf("saved archive lacks %s", f)
		}
	}
	var manifests []archiveManifest
	json.Unmarshal(files["manifest.json"], &manifests)
	if len(manifests) != 2 || !reflect.DeepEqual(manifests[0].RepoTags, []string{"busybox:latest", "localhost:5000/team/app:1.2"}) {
		t.Fatalf("manifest.json = %s", files["manifest.json"])
	}

	// The docker-archive half: load it into a fresh store.
	dst, _ := newTestService(t)
	var lines []string
	if err := dst.Load(ctx, bytes.NewReader(buf.Bytes()), func(l string) { lines = append(lines, l) }); err != nil {
		t.Fatal(err)
	}
	want := []string{"Loaded image: busybox:latest\n", "Loaded image: localhost:5000/team/app:1.2\n", "Loaded image ID: " + untagged + "\n"}
	if !reflect.DeepEqual(lines, want) {
		t.Fatalf("load output %q", lines)
	}
	img, err := dst.Get(ctx, "localhost:5000/team/app:1.2")
	if err != nil || img.ID != id || !reflect.DeepEqual(img.Config.Config.Cmd, []string{"sh"}) {
		t.Fatalf("loaded image: %+v %v", img, err)
	}
	dirs, _ := dst.extractedLayerDirs(ctx, img)
	if readFile(t, filepath.Join(dirs[0], "hello.txt")) != "hello\n" {
		t.Fatal("loaded layer content")
	}

	// The OCI half alone: drop manifest.json so the loader reads index.json.
	var oci bytes.Buffer
	tw := tar.NewWriter(&oci)
	for name, data := range files {
		if name == "manifest.json" || name == "repositories" || strings.HasSuffix(name, "/") {
			continue
		}
		tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(data)), Typeflag: tar.TypeReg})
		tw.Write(data)
	}
	tw.Close()
	dst2, _ := newTestService(t)
	if err := dst2.Load(ctx, &oci, func(string) {}); err != nil {
		t.Fatal(err)
	}
	for _, ref := range []string{"busybox", "localhost:5000/team/app:1.2", untagged} {
		if _, err := dst2.Get(ctx, ref); err != nil {
			t.Fatalf("OCI load lost %s: %v", ref, err)
		}
	}

	// Loading again moves nothing and renames nothing.
	lines = nil
	dst.Tag(ctx, untagged, "busybox", "latest")
	dst.Load(ctx, bytes.NewReader(buf.Bytes()), func(l string) { lines = append(lines, l) })
	if !strings.HasPrefix(lines[0], "The image busybox:latest already exists, renaming the old one with ID "+untagged) {
		t.Fatalf("retag message: %q", lines)
	}
}

// TestLoadLegacyDockerArchive loads the pre-25 layout: <hex>.json config,
// <id>/layer.tar layers, a duplicate layer stored as a symlink.
func TestLoadLegacyDockerArchive(t *testing.T) {
	layer := simpleRootfs(t)
	diff := digest.FromBytes(layer)
	created := time.Unix(1700000000, 0).UTC()
	cfg := dockerspec.DockerOCIImage{Image: ocispec.Image{
		Created:  &created,
		Platform: ocispec.Platform{OS: "linux", Architecture: "amd64"},
		RootFS:   ocispec.RootFS{Type: "layers", DiffIDs: []digest.Digest{diff, diff}},
		History:  []ocispec.History{{Created: &created, CreatedBy: "ADD a"}, {Created: &created, CreatedBy: "ADD b"}, {Created: &created, CreatedBy: "CMD", EmptyLayer: true}},
	}}
	raw, _ := json.Marshal(cfg)
	id := digest.FromBytes(raw)
	manifest, _ := json.Marshal([]archiveManifest{{Config: id.Encoded() + ".json", RepoTags: []string{"legacy:1"}, Layers: []string{"aaa/layer.tar", "bbb/layer.tar"}}})
	archive := makeTar(t,
		tarEntry{name: "aaa/", typ: tar.TypeDir},
		tarEntry{name: "aaa/layer.tar", body: string(layer)},
		tarEntry{name: "bbb/", typ: tar.TypeDir},
		tarEntry{name: "bbb/layer.tar", typ: tar.TypeSymlink, linkname: "../aaa/layer.tar"},
		tarEntry{name: id.Encoded() + ".json", body: string(raw)},
		tarEntry{name: "manifest.json", body: string(manifest)},
	)
	s, _ := newTestService(t)
	ctx := context.Background()
	if err := s.Load(ctx, bytes.NewReader(gzipBytes(t, archive)), func(string) {}); err != nil {
		t.Fatal(err)
	}
	img, err := s.Get(ctx, "legacy:1")
	if err != nil || img.ID != id.String() {
		t.Fatalf("%v %v", img, err)
	}
	hist, err := s.History(ctx, "legacy:1")
	if err != nil || len(hist) != 3 || hist[0].ID != id.String() || hist[1].ID != "<missing>" || hist[0].CreatedBy != "CMD" || hist[0].Size != 0 || hist[1].Size != int64(len(layer)) {
		t.Fatalf("history %+v %v", hist, err)
	}

	// A layer that does not match its diff ID is refused.
	bad := makeTar(t,
		tarEntry{name: "aaa/layer.tar", body: string(makeTar(t, tarEntry{name: "evil", body: "x"}))},
		tarEntry{name: "bbb/layer.tar", typ: tar.TypeSymlink, linkname: "../aaa/layer.tar"},
		tarEntry{name: id.Encoded() + ".json", body: string(raw)},
		tarEntry{name: "manifest.json", body: string(manifest)},
	)
	s2, _ := newTestService(t)
	if err := s2.Load(ctx, bytes.NewReader(bad), func(string) {}); err == nil || !strings.Contains(err.Error(), "digest mismatch") {
		t.Fatalf("tampered layer accepted: %v", err)
	}
}

// TestLoadOCILayoutWithIndex loads a plain OCI layout whose index.json
// points at a multi-platform index with a gzip layer.
func TestLoadOCILayoutWithIndex(t *testing.T) {
	layer := simpleRootfs(t)
	gz := gzipBytes(t, layer)
	cfg := dockerspec.DockerOCIImage{Image: ocispec.Image{
		Platform: ocispec.Platform{OS: "linux", Architecture: "amd64"},
		RootFS:   ocispec.RootFS{Type: "layers", DiffIDs: []digest.Digest{digest.FromBytes(layer)}},
	}}
	raw, _ := json.Marshal(cfg)
	blobs := map[digest.Digest][]byte{digest.FromBytes(raw): raw, digest.FromBytes(gz): gz}
	add := func(v any) ocispec.Descriptor {
		b, _ := json.Marshal(v)
		d := digest.FromBytes(b)
		blobs[d] = b
		return ocispec.Descriptor{Digest: d, Size: int64(len(b))}
	}
	m := add(ocispec.Manifest{MediaType: ocispec.MediaTypeImageManifest,
		Config: ocispec.Descriptor{MediaType: ocispec.MediaTypeImageConfig, Digest: digest.FromBytes(raw), Size: int64(len(raw))},
		Layers: []ocispec.Descriptor{{MediaType: ocispec.MediaTypeImageLayerGzip, Digest: digest.FromBytes(gz), Size: int64(len(gz))}}})
	m.MediaType = ocispec.MediaTypeImageManifest
	m.Platform = &ocispec.Platform{OS: "linux", Architecture: "amd64"}
	other := m
	other.Platform = &ocispec.Platform{OS: "linux", Architecture: "s390x"}
	idx := add(ocispec.Index{MediaType: ocispec.MediaTypeImageIndex, Manifests: []ocispec.Descriptor{other, m}})
	idx.MediaType = ocispec.MediaTypeImageIndex
	idx.Annotations = map[string]string{"io.containerd.image.name": "docker.io/library/multi:2", ocispec.AnnotationRefName: "2"}
	top, _ := json.Marshal(ocispec.Index{Manifests: []ocispec.Descriptor{idx}})

	entries := []tarEntry{{name: "oci-layout", body: `{"imageLayoutVersion":"1.0.0"}`}, {name: "index.json", body: string(top)}}
	for d, b := range blobs {
		entries = append(entries, tarEntry{name: "blobs/sha256/" + d.Encoded(), body: string(b)})
	}
	s, _ := newTestService(t)
	ctx := context.Background()
	var lines []string
	if err := s.Load(ctx, bytes.NewReader(makeTar(t, entries...)), func(l string) { lines = append(lines, l) }); err != nil {
		t.Fatal(err)
	}
	img, err := s.Get(ctx, "multi:2")
	if err != nil || img.ID != digest.FromBytes(raw).String() || lines[0] != "Loaded image: multi:2\n" {
		t.Fatalf("%v %v %q", img, err, lines)
	}
}

// TestWhiteoutsStayOverlayWhiteouts checks pitfall 8: a ".wh." entry must
// become an overlay whiteout (0/0 char device) in the upper layer's
// directory, not delete the file from it. Needs root (mknod).
func TestWhiteoutsStayOverlayWhiteouts(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to create whiteout devices")
	}
	l1 := makeTar(t, tarEntry{name: "foo", body: "x"})
	l2 := makeTar(t, tarEntry{name: ".wh.foo"})
	cfg := dockerspec.DockerOCIImage{Image: ocispec.Image{RootFS: ocispec.RootFS{Type: "layers", DiffIDs: []digest.Digest{digest.FromBytes(l1), digest.FromBytes(l2)}}}}
	raw, _ := json.Marshal(cfg)
	manifest, _ := json.Marshal([]archiveManifest{{Config: "config.json", RepoTags: []string{"wh:1"}, Layers: []string{"1.tar", "2.tar"}}})
	s, _ := newTestService(t)
	ctx := context.Background()
	err := s.Load(ctx, bytes.NewReader(makeTar(t,
		tarEntry{name: "1.tar", body: string(l1)}, tarEntry{name: "2.tar", body: string(l2)},
		tarEntry{name: "config.json", body: string(raw)}, tarEntry{name: "manifest.json", body: string(manifest)})), func(string) {})
	if err != nil {
		t.Fatal(err)
	}
	img, _ := s.Get(ctx, "wh:1")
	dirs, err := s.extractedLayerDirs(ctx, img)
	if err != nil || len(dirs) != 2 {
		t.Fatal(dirs, err)
	}
	fi, err := os.Lstat(filepath.Join(dirs[1], "foo"))
	if err != nil || fi.Mode()&os.ModeCharDevice == 0 {
		t.Fatalf("whiteout not an overlay char device: %v %v", fi, err)
	}
	if readFile(t, filepath.Join(dirs[0], "foo")) != "x" {
		t.Fatal("lower layer changed")
	}
	// The short paths work as overlay lowerdirs (top layer first).
	mnt := t.TempDir()
	if err := unix.Mount("overlay", mnt, "overlay", unix.MS_RDONLY, "lowerdir="+dirs[1]+":"+dirs[0]); err != nil {
		t.Skipf("overlay not available here: %v", err)
	}
	defer unix.Unmount(mnt, 0)
	if _, err := os.Stat(filepath.Join(mnt, "foo")); !os.IsNotExist(err) {
		t.Fatalf("whiteout ignored by overlay: %v", err)
	}
}
