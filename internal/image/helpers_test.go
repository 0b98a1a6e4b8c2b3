package image

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/opencontainers/go-digest"

	"github.com/wharf/wharf/internal/store/content"
	"github.com/wharf/wharf/internal/store/layer"
)

// tarEntry describes one entry of a generated tarball.
type tarEntry struct {
	name     string
	body     string
	typ      byte // 0 means regular file
	linkname string
	mode     int64
}

func makeTar(t testing.TB, entries ...tarEntry) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		h := &tar.Header{Name: e.name, Typeflag: e.typ, Linkname: e.linkname, Mode: e.mode}
		if h.Typeflag == 0 {
			h.Typeflag = tar.TypeReg
		}
		if h.Mode == 0 {
			h.Mode = 0o644
			if h.Typeflag == tar.TypeDir {
				h.Mode = 0o755
			}
		}
		if h.Typeflag == tar.TypeReg {
			h.Size = int64(len(e.body))
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if h.Typeflag == tar.TypeReg {
			if _, err := tw.Write([]byte(e.body)); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func gzipBytes(t *testing.T, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func newTestService(t *testing.T) (*Service, string) {
	t.Helper()
	root := filepath.Join(t.TempDir(), "image")
	return openService(t, root), root
}

// openService opens the service at root over local stores there, laid out
// as the daemon lays them out.
func openService(t testing.TB, root string) *Service {
	t.Helper()
	blobs, err := content.NewLocal(root, content.LocalOptions{})
	if err != nil {
		t.Fatal(err)
	}
	layers, err := layer.NewOverlay(layer.OverlayConfig{Root: root, RWRoot: filepath.Join(filepath.Dir(root), "containers")})
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(Config{Root: root, Content: blobs, Layers: layers})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// blobPath is where blob d is on disk: where it was before the content
// store, which the tests hold it to.
func blobPath(root string, d digest.Digest) string {
	return filepath.Join(root, "blobs", "sha256", d.Encoded())
}

// extractedLayerDirs extracts img's layers and returns their directories.
func (s *Service) extractedLayerDirs(ctx context.Context, img *Image) ([]string, error) {
	if _, err := s.Layers(ctx, img); err != nil {
		return nil, err
	}
	return s.layerDirs(img), nil
}

// importTar imports a tar with the given tag ("" for none).
func importTar(t *testing.T, s *Service, tarball []byte, repo, msg string, changes ...string) string {
	t.Helper()
	id, err := s.Import(context.Background(), bytes.NewReader(tarball), repo, "", msg, changes)
	if err != nil {
		t.Fatalf("import: %v", err)
	}
	return id
}

func simpleRootfs(t *testing.T) []byte {
	return makeTar(t,
		tarEntry{name: "bin/", typ: tar.TypeDir},
		tarEntry{name: "bin/sh", body: "#!fake shell\n", mode: 0o755},
		tarEntry{name: "hello.txt", body: "hello\n"},
	)
}

func readFile(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// removeOrphanLayers removes the layers no image names and counts them:
// none are left by a load or pull, whether it worked or not.
func removeOrphanLayers(t *testing.T, s *Service) (int, error) {
	t.Helper()
	ctx := context.Background()
	chains, err := s.layers.Chains(ctx)
	if err != nil {
		t.Fatal(err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.removeUnusedLayersLocked(ctx, chains)
}
