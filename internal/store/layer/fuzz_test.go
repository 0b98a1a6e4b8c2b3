package layer_test

import (
	"archive/tar"
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/containerd/errdefs"
	"github.com/opencontainers/go-digest"
	"github.com/opencontainers/image-spec/identity"

	"github.com/wharf/wharf/internal/store/layer/layertest"
)

// FuzzCreate: any layer tar is extracted or refused with a 400, never a
// panic; a refused one leaves nothing, an extracted one holds no device
// node but overlay's whiteouts, and no entry reaches outside the store.
// As root the extraction is the daemon's (chrootarchive); without root,
// the unprivileged one. CI runs the seeds and testdata/fuzz.
func FuzzCreate(f *testing.F) {
	for _, entries := range [][]layertest.Entry{
		{{Name: "etc/hostname", Body: "x"}, {Name: "bin", Type: tar.TypeDir}},
		{{Name: "dev/sda", Type: tar.TypeBlock}},
		{{Name: "dev/null", Type: tar.TypeChar}},
		{{Name: "l", Type: tar.TypeSymlink, Linkname: "../../.."}, {Name: "l/escaped", Body: "x"}},
		{{Name: "l", Type: tar.TypeSymlink, Linkname: "/"}, {Name: "l/tmp/escaped", Body: "x"}},
		{{Name: "a", Type: tar.TypeSymlink, Linkname: "b"}, {Name: "b", Type: tar.TypeSymlink, Linkname: "../.."}, {Name: "a/x", Body: "x"}},
		{{Name: "h", Type: tar.TypeLink, Linkname: "/etc/passwd"}},
		{{Name: "h", Type: tar.TypeLink, Linkname: "../../../etc/passwd"}},
		{{Name: "../../escaped", Body: "x"}},
		{{Name: "/abs/escaped", Body: "x"}},
		{{Name: "d", Type: tar.TypeDir}, {Name: "d/.wh..wh..opq"}, {Name: ".wh.gone"}},
		{{Name: "suid", Body: "#!/bin/sh"}},
	} {
		f.Add(layertest.MakeTar(f, entries...))
	}
	full := layertest.MakeTar(f, layertest.Entry{Name: "big", Body: "0123456789"})
	f.Add(full[:len(full)-1024]) // truncated
	f.Add([]byte("not a tar"))

	base := f.TempDir()
	root := filepath.Join(base, "store")
	outside := filepath.Join(base, "outside")
	if err := os.MkdirAll(outside, 0o755); err != nil {
		f.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(outside, "secret"), []byte("secret"), 0o644); err != nil {
		f.Fatal(err)
	}
	s := newOverlay(f, root, nil)
	ctx := context.Background()
	f.Fuzz(func(t *testing.T, data []byte) {
		chain := identity.ChainID([]digest.Digest{digest.FromBytes(data)})
		err := withinTime(t, func() error { return s.Create(ctx, chain, layertest.TarOf(data)) })
		layerDir := filepath.Join(root, "image", "layers", chain.Encoded())
		if err != nil {
			if !errdefs.IsInvalidArgument(err) {
				t.Fatalf("%v is not a 400", err)
			}
			if s.Exists(ctx, chain) {
				t.Fatal("a refused layer exists")
			}
			if _, serr := os.Lstat(layerDir); serr == nil {
				t.Fatalf("a refused layer left %s", layerDir)
			}
		} else {
			filepath.WalkDir(layerDir, func(p string, d fs.DirEntry, err error) error {
				if err != nil || d.Type()&(fs.ModeDevice|fs.ModeCharDevice) == 0 {
					return nil
				}
				var st syscall.Stat_t
				if syscall.Lstat(p, &st) == nil && (d.Type()&fs.ModeCharDevice == 0 || st.Rdev != 0) {
					t.Fatalf("an extracted layer holds the device %s", p)
				}
				return nil
			})
			if err := s.Remove(ctx, chain); err != nil {
				t.Fatal(err)
			}
		}
		for dir, want := range map[string][]string{base: {"outside", "store"}, root: {"containers", "image"}, outside: {"secret"}} {
			des, _ := os.ReadDir(dir)
			var names []string
			for _, d := range des {
				names = append(names, d.Name())
			}
			if !slices.Equal(names, want) {
				t.Fatalf("%s holds %v after the layer (%v), want %v", dir, names, err, want)
			}
		}
		if b, _ := os.ReadFile(filepath.Join(outside, "secret")); string(b) != "secret" {
			t.Fatalf("a file outside the store was changed: %q", b)
		}
	})
}

// withinTime runs fn, failing the test with every goroutine's stack if it
// has not returned in 10 s: a hang is a finding too.
func withinTime(t *testing.T, fn func() error) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- fn() }()
	select {
	case err := <-done:
		return err
	case <-time.After(10 * time.Second):
		buf := make([]byte, 1<<20)
		t.Fatalf("hung for 10 s:\n%s", buf[:runtime.Stack(buf, true)])
		return nil
	}
}
