package image

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"slices"
	"strconv"
	"testing"

	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// dockerArchive is a docker-save archive of one image, tagged tag, with
// the given layer tars.
func dockerArchive(t testing.TB, tag string, layers ...[]byte) []byte {
	t.Helper()
	cfg := dockerspec.DockerOCIImage{Image: ocispec.Image{
		Platform: ocispec.Platform{OS: "linux", Architecture: "amd64"},
		RootFS:   ocispec.RootFS{Type: "layers"},
	}}
	var entries []tarEntry
	var names []string
	for i, l := range layers {
		cfg.RootFS.DiffIDs = append(cfg.RootFS.DiffIDs, digest.FromBytes(l))
		name := "l" + strconv.Itoa(i) + "/layer.tar"
		names = append(names, name)
		entries = append(entries, tarEntry{name: name, body: string(l)})
	}
	raw, _ := json.Marshal(cfg)
	id := digest.FromBytes(raw)
	manifest, _ := json.Marshal([]archiveManifest{{Config: id.Encoded() + ".json", RepoTags: []string{tag}, Layers: names}})
	entries = append(entries,
		tarEntry{name: id.Encoded() + ".json", body: string(raw)},
		tarEntry{name: "manifest.json", body: string(manifest)})
	return makeTar(t, entries...)
}

func chainsOf(t *testing.T, s *Service) []digest.Digest {
	t.Helper()
	chains, err := s.layers.Chains(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(chains)
	return chains
}

// TestFailedLoadLeavesNoLayer: a load whose second layer is refused at
// extraction removes the first layer it extracted at once, not at the
// next start; LayersSize counts the blobs left until then.
func TestFailedLoadLeavesNoLayer(t *testing.T) {
	s, root := newTestService(t)
	ctx := context.Background()
	good := simpleRootfs(t)
	device := makeTar(t, tarEntry{name: "dev/sda", typ: tar.TypeBlock})
	if err := s.Load(ctx, bytes.NewReader(dockerArchive(t, "bad:1", good, device)), func(string) {}); err == nil {
		t.Fatal("a layer with a device node was loaded")
	}
	if got := chainsOf(t, s); len(got) != 0 {
		t.Fatalf("a failed load left layers %v", got)
	}
	size, err := s.LayersSize(ctx)
	if err != nil || size != int64(len(good)+len(device)) {
		t.Fatalf("LayersSize = %d, %v; want the %d bytes of the two blobs left", size, err, len(good)+len(device))
	}
	s = openService(t, root)
	if size, err := s.LayersSize(ctx); err != nil || size != 0 {
		t.Fatalf("LayersSize after a restart = %d, %v; want 0", size, err)
	}
}

// TestStartupRemovesUnusedLayers: what a load killed before it recorded
// its image leaves (blobs and extracted layers) is gone after a restart;
// the images' layers stay, and so does a layer a container stands on.
func TestStartupRemovesUnusedLayers(t *testing.T) {
	s, root := newTestService(t)
	ctx := context.Background()
	kept := simpleRootfs(t)
	if err := s.Load(ctx, bytes.NewReader(dockerArchive(t, "kept:1", kept)), func(string) {}); err != nil {
		t.Fatal(err)
	}
	want := chainsOf(t, s)

	// A crash after extraction, before the image record: layer and blob.
	orphan := makeTar(t, tarEntry{name: "orphan", body: "o"})
	orphanDiff := digest.FromBytes(orphan)
	if _, err := s.blobs.Put(ctx, bytes.NewReader(orphan), orphanDiff); err != nil {
		t.Fatal(err)
	}
	if _, err := s.createNewLayers(ctx, []digest.Digest{orphanDiff}); err != nil {
		t.Fatal(err)
	}
	// A layer whose image was removed with --force under a stopped
	// container: the container's writable layer stands on it.
	used := makeTar(t, tarEntry{name: "used", body: "u"})
	usedDiff := digest.FromBytes(used)
	if _, err := s.blobs.Put(ctx, bytes.NewReader(used), usedDiff); err != nil {
		t.Fatal(err)
	}
	usedChains, err := s.createNewLayers(ctx, []digest.Digest{usedDiff})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.layers.Prepare(ctx, "c1", usedChains); err != nil {
		t.Fatal(err)
	}
	if got := chainsOf(t, s); len(got) != 3 {
		t.Fatalf("before the restart: %v", got)
	}

	s = openService(t, root)
	want = append(want, usedChains...)
	slices.Sort(want)
	if got := chainsOf(t, s); !slices.Equal(got, want) {
		t.Fatalf("layers after the restart %v, want %v", got, want)
	}
	if s.hasBlob(ctx, orphanDiff) {
		t.Fatal("the orphan layer's blob is still stored")
	}
	if _, err := s.Get(ctx, "kept:1"); err != nil {
		t.Fatal(err)
	}
}
