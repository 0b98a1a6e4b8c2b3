package image

import (
	"archive/tar"
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
)

// Derive stores and extracts a builder's layer: the layer directory holds
// its files when first used (not before); the same layer again is reused;
// no scratch is left behind.
func TestDeriveExtracts(t *testing.T) {
	s, root := newTestService(t)
	ctx := context.Background()
	base := importTar(t, s, simpleRootfs(t), "", "")
	layer := makeTar(t, tarEntry{name: "app/", typ: tar.TypeDir}, tarEntry{name: "app/x", body: "copied\n"})
	id, err := s.Derive(ctx, base, bytes.NewReader(layer), dockerspec.DockerOCIImageConfig{}, "COPY x")
	if err != nil {
		t.Fatal(err)
	}
	img, err := s.Get(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if des, _ := os.ReadDir(filepath.Join(root, "layers")); len(des) != 1 {
		t.Errorf("layers right after Derive: %d, want the base's only", len(des))
	}
	dirs, err := s.extractedLayerDirs(ctx, img)
	if err != nil || len(dirs) != 2 {
		t.Fatalf("layer dirs %q %v", dirs, err)
	}
	if got := readFile(t, filepath.Join(dirs[1], "app/x")); got != "copied\n" {
		t.Errorf("extracted file %q", got)
	}
	if _, err := s.Derive(ctx, base, bytes.NewReader(layer), dockerspec.DockerOCIImageConfig{}, "COPY x again"); err != nil {
		t.Fatal(err)
	}
	if des, _ := os.ReadDir(filepath.Join(root, "tmp")); len(des) != 0 {
		t.Errorf("scratch left behind: %v", des)
	}
}

// A layer holding a device node (RUN mknod) is refused and leaves no
// layer directory.
func TestDeriveRefusesDevices(t *testing.T) {
	s, root := newTestService(t)
	base := importTar(t, s, simpleRootfs(t), "", "")
	layer := makeTar(t, tarEntry{name: "f", body: "x"}, tarEntry{name: "sda", typ: tar.TypeBlock})
	if _, err := s.Derive(context.Background(), base, bytes.NewReader(layer), dockerspec.DockerOCIImageConfig{}, "RUN mknod"); err == nil {
		t.Fatal("no error")
	}
	if des, _ := os.ReadDir(filepath.Join(root, "tmp")); len(des) != 0 {
		t.Errorf("scratch left behind: %v", des)
	}
	if des, _ := os.ReadDir(filepath.Join(root, "layers")); len(des) != 1 {
		t.Errorf("layers: %d, want the base's only", len(des))
	}
}
