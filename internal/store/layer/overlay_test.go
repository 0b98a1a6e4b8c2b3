package layer_test

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opencontainers/go-digest"
	"github.com/opencontainers/image-spec/identity"

	"github.com/wharf/wharf/internal/store/layer"
	"github.com/wharf/wharf/internal/store/layer/layertest"
)

func newOverlay(t testing.TB, root string, untar layer.Untar) *layer.Overlay {
	t.Helper()
	s, err := layer.NewOverlay(layer.OverlayConfig{
		Root:   filepath.Join(root, "image"),
		RWRoot: filepath.Join(root, "containers"),
		Untar:  untar,
	})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestOverlay(t *testing.T) {
	layertest.RunTestSuite(t, func(t *testing.T, root string) layer.Store {
		return newOverlay(t, root, nil)
	})
}

// What a crash leaves is removed on opening: an extraction without its
// marker, a removal that dropped the marker but not the files.
func TestOverlayCleansCrashLeftovers(t *testing.T) {
	root := t.TempDir()
	s := newOverlay(t, root, nil)
	ctx := context.Background()
	b := layertest.MakeTar(t, layertest.Entry{Name: "f", Body: "x"})
	chain := identity.ChainID([]digest.Digest{digest.FromBytes(b)})
	if err := s.Create(ctx, chain, layertest.TarOf(b)); err != nil {
		t.Fatal(err)
	}
	layerDir := filepath.Join(root, "image", "layers", chain.Encoded())
	os.Remove(filepath.Join(layerDir, "committed"))
	half := filepath.Join(root, "image", "layers", strings.Repeat("a", 64))
	os.MkdirAll(filepath.Join(half, "diff", "etc"), 0o755)
	stray := filepath.Join(root, "image", "layers", "not-a-chain")
	os.MkdirAll(stray, 0o755)

	s = newOverlay(t, root, nil)
	for _, p := range []string{layerDir, half, stray, s.Dir(chain)} {
		if _, err := os.Lstat(p); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s survived opening", p)
		}
	}
	if s.Exists(ctx, chain) {
		t.Fatal("unmarked layer counted as created")
	}
}

// A container made before the store existed has its writable layer in
// its directory but no record: Prepare takes it over, files and all.
func TestOverlayAdoptsOldWritableLayer(t *testing.T) {
	root := t.TempDir()
	old := filepath.Join(root, "containers", "abc123")
	os.MkdirAll(filepath.Join(old, "upper", "etc"), 0o755)
	os.WriteFile(filepath.Join(old, "upper", "etc", "changed"), []byte("mine"), 0o644)
	os.WriteFile(filepath.Join(old, "container.json"), []byte("{}"), 0o600)
	s := newOverlay(t, root, nil)
	ctx := context.Background()
	rw, err := s.Prepare(ctx, "abc123", nil)
	if err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(filepath.Join(rw.Upper, "etc", "changed")); err != nil || string(b) != "mine" {
		t.Fatalf("old writable layer's file: %q, %v", b, err)
	}
	// Removing the layer keeps what else is in the directory.
	if err := s.RemoveRW(ctx, "abc123"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(old, "container.json")); err != nil {
		t.Fatal("RemoveRW removed a file not its own")
	}
	if _, err := os.Stat(rw.Upper); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("upper directory survived RemoveRW")
	}
}

// hostileTars are layers that try to write outside their directory.
func hostileTars(t *testing.T, outside string) map[string][]byte {
	type e = layertest.Entry
	return map[string][]byte{
		"dotdot": layertest.MakeTar(t, e{Name: "../../../../../../../../" + outside + "/dotdot", Body: "x"}),
		"abs":    layertest.MakeTar(t, e{Name: outside + "/abs", Body: "x"}),
		"symlink-dir": layertest.MakeTar(t,
			e{Name: "escape", Type: tar.TypeSymlink, Linkname: outside},
			e{Name: "escape/through-symlink", Body: "x"}),
		"symlink-root": layertest.MakeTar(t,
			e{Name: "root", Type: tar.TypeSymlink, Linkname: "/"},
			e{Name: "root" + outside + "/through-root", Body: "x"}),
		"hardlink": layertest.MakeTar(t,
			e{Name: "passwd", Type: tar.TypeLink, Linkname: "/etc/passwd"}),
		"hardlink-dotdot": layertest.MakeTar(t,
			e{Name: "passwd", Type: tar.TypeLink, Linkname: "../../../../../../../../etc/passwd"}),
	}
}

// TestHostileLayers feeds breakout attempts through both extractors (the
// chroot one needs root) and checks that nothing lands outside the layer
// and no layer file is a hardlink to a host file.
func TestHostileLayers(t *testing.T) {
	extractors := map[string]layer.Untar{"unprivileged": layer.UnprivilegedUntar}
	if os.Geteuid() == 0 {
		extractors["chroot"] = layer.DefaultUntar()
	}
	for ename, untar := range extractors {
		for name := range hostileTars(t, "") {
			t.Run(ename+"/"+name, func(t *testing.T) {
				outside := t.TempDir()
				root := t.TempDir()
				s := newOverlay(t, root, untar)
				b := hostileTars(t, outside)[name]
				chain := identity.ChainID([]digest.Digest{digest.FromBytes(b)})
				_ = s.Create(context.Background(), chain, layertest.TarOf(b))
				if des, _ := os.ReadDir(outside); len(des) != 0 {
					t.Fatalf("wrote outside the layer: %v", des)
				}
				passwd, err := os.Stat("/etc/passwd")
				if err != nil {
					t.Skip("no /etc/passwd")
				}
				filepath.Walk(filepath.Join(root, "image", "layers"), func(p string, fi os.FileInfo, err error) error {
					if err == nil && os.SameFile(fi, passwd) {
						t.Fatalf("%s is a hardlink to the host's /etc/passwd", p)
					}
					return nil
				})
			})
		}
	}
}

// BenchmarkContainerRootfs is what a `run --rm` asks of the store: prepare
// a writable layer over an image's layer, mount it, unmount it, remove it.
func BenchmarkContainerRootfs(b *testing.B) {
	if os.Geteuid() != 0 {
		b.Skip("mounting needs root")
	}
	root := b.TempDir()
	s, err := layer.NewOverlay(layer.OverlayConfig{Root: filepath.Join(root, "image"), RWRoot: filepath.Join(root, "containers")})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	tb := layertest.MakeTar(b, layertest.Entry{Name: "bin/sh", Body: "x"})
	chain := identity.ChainID([]digest.Digest{digest.FromBytes(tb)})
	if err := s.Create(ctx, chain, layertest.TarOf(tb)); err != nil {
		b.Fatal(err)
	}
	for i := 0; b.Loop(); i++ {
		key := fmt.Sprintf("c%d", i)
		target := filepath.Join(root, "containers", key, "rootfs")
		if _, err := s.Prepare(ctx, key, []digest.Digest{chain}); err != nil {
			b.Fatal(err)
		}
		if err := s.Mount(ctx, key, target); err != nil {
			b.Fatal(err)
		}
		if err := s.Unmount(ctx, target); err != nil {
			b.Fatal(err)
		}
		if err := s.RemoveRW(ctx, key); err != nil {
			b.Fatal(err)
		}
		os.RemoveAll(filepath.Join(root, "containers", key))
	}
}
