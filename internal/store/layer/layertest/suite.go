// Package layertest is the conformance suite for layer.Store, in the idiom
// of containerd's snapshots testsuite: layers are created, stacked under
// read-write layers, mounted and read through the mount, committed as new
// layers, removed while in use, interrupted, and prepared concurrently.
// Checks that mount need root and are skipped without it.
package layertest

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/containerd/errdefs"
	"github.com/opencontainers/go-digest"
	"github.com/opencontainers/image-spec/identity"
	"golang.org/x/sync/errgroup"

	"github.com/wharf/wharf/internal/store/layer"
)

// NewStore opens the store kept under root; called again with the same
// root it must open the same layers, as a restarted daemon does.
type NewStore func(t *testing.T, root string) layer.Store

// RunTestSuite runs every check, each against a store of its own.
func RunTestSuite(t *testing.T, newStore NewStore) {
	for _, tc := range []struct {
		name string
		fn   func(t *testing.T, newStore NewStore, root string)
	}{
		{"CreateOnce", checkCreateOnce},
		{"DeviceNodesRefused", checkDevicesRefused},
		{"InvalidTarRefused", checkInvalidTar},
		{"EscapingTarRefused", checkEscapingTar},
		{"CancelledCreateLeavesNothing", checkCancelledCreate},
		{"ConcurrentCreates", checkConcurrentCreates},
		{"Reopen", checkReopen},
		{"Chains", checkChains},
		{"Prepare", checkPrepare},
		{"RemoveParentInUse", checkRemoveInUse},
		{"ConcurrentPrepares", checkConcurrentPrepares},
		{"ConcurrentPrepareAndRemove", checkPrepareRemoveRace},
		{"MountStackedLayers", checkMountStacked},
		{"CommitAndStack", checkCommitAndStack},
		{"MountWithoutParents", checkMountNoParents},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.fn(t, newStore, t.TempDir())
		})
	}
}

func needRoot(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("mounting needs root")
	}
}

// Entry is one member of a generated layer tar.
type Entry struct {
	Name     string
	Body     string // a regular file's content
	Type     byte   // 0: regular file
	Linkname string // a link's target
}

func file(name, body string) Entry { return Entry{Name: name, Body: body} }
func dir(name string) Entry        { return Entry{Name: name, Type: tar.TypeDir} }

// whiteout deletes name from the layers below (docker's ".wh." form).
func whiteout(name string) Entry {
	return Entry{Name: filepath.Join(filepath.Dir(name), ".wh."+filepath.Base(name))}
}

// MakeTar makes a layer tar of entries.
func MakeTar(t testing.TB, entries ...Entry) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		h := &tar.Header{Name: e.Name, Typeflag: e.Type, Linkname: e.Linkname, Mode: 0o644}
		switch e.Type {
		case 0:
			h.Typeflag, h.Size = tar.TypeReg, int64(len(e.Body))
		case tar.TypeDir:
			h.Mode = 0o755
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if _, err := io.WriteString(tw, e.Body); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TarOf is b as a layer.Tar.
func TarOf(b []byte) layer.Tar {
	return layer.Tar{DiffID: digest.FromBytes(b), Data: io.NewSectionReader(bytes.NewReader(b), 0, int64(len(b)))}
}

// stack creates tars as the layers of one image, lowest first, and
// returns their chain IDs.
func stack(t *testing.T, s layer.Store, tars ...[]byte) []digest.Digest {
	t.Helper()
	var diffIDs []digest.Digest
	for _, b := range tars {
		diffIDs = append(diffIDs, digest.FromBytes(b))
	}
	chains := identity.ChainIDs(diffIDs)
	for i, b := range tars {
		if err := s.Create(context.Background(), chains[i], TarOf(b)); err != nil {
			t.Fatalf("Create layer %d: %v", i, err)
		}
	}
	return chains
}

// prepareOverTwo creates two layers and prepares read-write layer key
// over them.
func prepareOverTwo(t *testing.T, s layer.Store, key string) ([]digest.Digest, layer.RW) {
	t.Helper()
	chains := stack(t, s, MakeTar(t, file("a", "1")), MakeTar(t, file("b", "2")))
	rw, err := s.Prepare(context.Background(), key, chains)
	if err != nil {
		t.Fatal(err)
	}
	return chains, rw
}

func readAt(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func mustNotExist(t *testing.T, path string) {
	t.Helper()
	if _, err := os.Lstat(path); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("%s exists (%v)", path, err)
	}
}

func checkCreateOnce(t *testing.T, newStore NewStore, root string) {
	s := newStore(t, root)
	ctx := context.Background()
	base := MakeTar(t, dir("etc/"), file("etc/os-release", "wharf\n"), file("hello", "hi\n"))
	chain := identity.ChainID([]digest.Digest{digest.FromBytes(base)})
	if s.Exists(ctx, chain) {
		t.Fatal("layer exists before Create")
	}
	if err := s.Create(ctx, chain, TarOf(base)); err != nil {
		t.Fatal(err)
	}
	if !s.Exists(ctx, chain) {
		t.Fatal("layer missing after Create")
	}
	if got := readAt(t, filepath.Join(s.Dir(chain), "etc/os-release")); got != "wharf\n" {
		t.Fatalf("etc/os-release = %q", got)
	}
	// A second Create of the chain leaves the layer as it is.
	if err := s.Create(ctx, chain, TarOf(MakeTar(t, file("other", "x")))); err != nil {
		t.Fatal(err)
	}
	mustNotExist(t, filepath.Join(s.Dir(chain), "other"))
	if err := s.Create(ctx, "sha256:nothex", TarOf(base)); !errdefs.IsInvalidArgument(err) {
		t.Fatalf("Create with a bad chain ID: %v", err)
	}
}

func checkDevicesRefused(t *testing.T, newStore NewStore, root string) {
	s := newStore(t, root)
	ctx := context.Background()
	for _, typ := range []byte{tar.TypeBlock, tar.TypeChar} {
		b := MakeTar(t, file("ok", "x"), Entry{Name: "disk", Type: typ})
		chain := identity.ChainID([]digest.Digest{digest.FromBytes(b)})
		err := s.Create(ctx, chain, TarOf(b))
		if !errdefs.IsInvalidArgument(err) || !bytes.Contains([]byte(err.Error()), []byte("device node (disk): refused")) {
			t.Fatalf("type %c: %v", typ, err)
		}
		if s.Exists(ctx, chain) {
			t.Fatalf("type %c: refused layer exists", typ)
		}
		mustNotExist(t, filepath.Join(s.Dir(chain), "ok"))
		if err := layer.CheckTar(TarOf(b)); !errdefs.IsInvalidArgument(err) {
			t.Fatalf("CheckTar: %v", err)
		}
	}
}

func checkInvalidTar(t *testing.T, newStore NewStore, root string) {
	s := newStore(t, root)
	b := bytes.Repeat([]byte("not a tar "), 100)
	chain := identity.ChainID([]digest.Digest{digest.FromBytes(b)})
	if err := s.Create(context.Background(), chain, TarOf(b)); !errdefs.IsInvalidArgument(err) {
		t.Fatalf("Create from garbage: %v", err)
	}
	if s.Exists(context.Background(), chain) {
		t.Fatal("layer exists")
	}
}

// checkEscapingTar: a tar whose entries climb out of the layer is bad
// input (errs.Invalid, a 400), and leaves no layer.
func checkEscapingTar(t *testing.T, newStore NewStore, root string) {
	s := newStore(t, root)
	for _, b := range [][]byte{
		MakeTar(t, file("../../escaped", "x")),
		MakeTar(t, Entry{Name: "l", Type: tar.TypeSymlink, Linkname: "../../.."}, file("l/escaped", "x")),
		MakeTar(t, Entry{Name: "h", Type: tar.TypeLink, Linkname: "../../etc/passwd"}),
	} {
		chain := identity.ChainID([]digest.Digest{digest.FromBytes(b)})
		if err := s.Create(context.Background(), chain, TarOf(b)); !errdefs.IsInvalidArgument(err) {
			t.Errorf("Create of an escaping tar: %v, want an invalid-argument error", err)
		}
		if s.Exists(context.Background(), chain) {
			t.Error("layer exists")
		}
	}
}

// An extraction cancelled halfway leaves no layer, now or after a
// restart, and the next Create extracts it whole.
func checkCancelledCreate(t *testing.T, newStore NewStore, root string) {
	s := newStore(t, root)
	var entries []Entry
	for i := range 200 {
		entries = append(entries, file("f"+string(rune('a'+i%26))+string(rune('a'+i/26)), string(bytes.Repeat([]byte{'x'}, 4096))))
	}
	b := MakeTar(t, entries...)
	chain := identity.ChainID([]digest.Digest{digest.FromBytes(b)})
	ctx, cancel := context.WithCancel(context.Background())
	tr := TarOf(b)
	tr.Progress = func(r io.Reader, size int64) io.Reader {
		return &cancelAfter{r: r, n: size / 2, cancel: cancel}
	}
	if err := s.Create(ctx, chain, tr); err == nil {
		t.Fatal("cancelled Create succeeded")
	}
	if s.Exists(context.Background(), chain) {
		t.Fatal("cancelled layer exists")
	}
	s = newStore(t, root)
	if s.Exists(context.Background(), chain) {
		t.Fatal("cancelled layer exists after reopening")
	}
	if err := s.Create(context.Background(), chain, TarOf(b)); err != nil {
		t.Fatal(err)
	}
	if got := readAt(t, filepath.Join(s.Dir(chain), "fzg")); len(got) != 4096 {
		t.Fatalf("last file has %d bytes", len(got))
	}
}

// cancelAfter cancels its context once n bytes have been read.
type cancelAfter struct {
	r      io.Reader
	n      int64
	cancel context.CancelFunc
}

func (c *cancelAfter) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if c.n -= int64(n); c.n <= 0 {
		c.cancel()
	}
	return n, err
}

func checkConcurrentCreates(t *testing.T, newStore NewStore, root string) {
	s := newStore(t, root)
	b := MakeTar(t, file("a", "1"), file("b", "2"))
	chain := identity.ChainID([]digest.Digest{digest.FromBytes(b)})
	var extractions atomic.Int32
	var g errgroup.Group
	for range 8 {
		g.Go(func() error {
			tr := TarOf(b)
			tr.Progress = func(r io.Reader, _ int64) io.Reader { extractions.Add(1); return r }
			return s.Create(context.Background(), chain, tr)
		})
	}
	if err := g.Wait(); err != nil {
		t.Fatal(err)
	}
	if n := extractions.Load(); n != 1 {
		t.Fatalf("extracted %d times, want once", n)
	}
	if readAt(t, filepath.Join(s.Dir(chain), "b")) != "2" {
		t.Fatal("wrong content")
	}
}

func checkReopen(t *testing.T, newStore NewStore, root string) {
	s := newStore(t, root)
	ctx := context.Background()
	chains, rw := prepareOverTwo(t, s, "c1")
	os.WriteFile(filepath.Join(rw.Upper, "kept"), []byte("k"), 0o644)

	s = newStore(t, root)
	for _, c := range chains {
		if !s.Exists(ctx, c) {
			t.Fatalf("layer %s lost on reopening", c)
		}
	}
	got, err := s.Stat(ctx, "c1")
	if err != nil || len(got.Parents) != 2 || got.Parents[1] != chains[1] {
		t.Fatalf("Stat after reopening = %+v, %v", got, err)
	}
	if readAt(t, filepath.Join(got.Upper, "kept")) != "k" {
		t.Fatal("read-write layer's files lost")
	}
	if err := s.Remove(ctx, chains[0]); !errdefs.IsConflict(err) {
		t.Fatalf("Remove of a parent in use, after reopening: %v", err)
	}
}

// checkChains: Chains lists the created layers, and no longer a removed
// or failed one.
func checkChains(t *testing.T, newStore NewStore, root string) {
	s := newStore(t, root)
	ctx := context.Background()
	chains := stack(t, s, MakeTar(t, file("a", "1")), MakeTar(t, file("b", "2")))
	bad := TarOf([]byte("not a tar at all, and long enough to be read as a header block"))
	failed := digest.FromString("failed")
	if err := s.Create(ctx, failed, bad); err == nil {
		t.Fatal("a bad tar was created")
	}
	got, err := s.Chains(ctx)
	if err != nil || len(got) != 2 || !slices.Contains(got, chains[0]) || !slices.Contains(got, chains[1]) {
		t.Fatalf("Chains = %v, %v; want %v", got, err, chains)
	}
	if err := s.Remove(ctx, chains[1]); err != nil {
		t.Fatal(err)
	}
	if got, err := newStore(t, root).Chains(ctx); err != nil || len(got) != 1 || got[0] != chains[0] {
		t.Fatalf("Chains after a removal and reopening = %v, %v", got, err)
	}
}

func checkPrepare(t *testing.T, newStore NewStore, root string) {
	s := newStore(t, root)
	ctx := context.Background()
	chains, rw := prepareOverTwo(t, s, "c1")
	if rw.Key != "c1" || len(rw.Lowers) != 2 || rw.Lowers[0] != s.Dir(chains[0]) || rw.Lowers[1] != s.Dir(chains[1]) {
		t.Fatalf("Prepare = %+v", rw)
	}
	for _, d := range []string{rw.Upper, rw.Work} {
		if fi, err := os.Stat(d); err != nil || !fi.IsDir() {
			t.Fatalf("%s: %v", d, err)
		}
	}
	again, err := s.Prepare(ctx, "c1", chains)
	if err != nil || again.Upper != rw.Upper {
		t.Fatalf("second Prepare = %+v, %v", again, err)
	}
	if st, err := s.Stat(ctx, "c1"); err != nil || st.Upper != rw.Upper || len(st.Parents) != 2 {
		t.Fatalf("Stat = %+v, %v", st, err)
	}
	if _, err := s.Prepare(ctx, "c1", chains[:1]); !errdefs.IsConflict(err) {
		t.Fatalf("Prepare over other parents: %v", err)
	}
	if _, err := s.Prepare(ctx, "c2", []digest.Digest{digest.FromString("missing")}); !errdefs.IsNotFound(err) {
		t.Fatalf("Prepare over a missing layer: %v", err)
	}
	if _, err := s.Stat(ctx, "c2"); !errdefs.IsNotFound(err) {
		t.Fatalf("Stat of a refused layer: %v", err)
	}
	if _, err := s.Prepare(ctx, "bare", nil); err != nil {
		t.Fatalf("Prepare without parents: %v", err)
	}
	for _, bad := range []string{"", "../x", "a/b", ".hidden"} {
		if _, err := s.Prepare(ctx, bad, nil); !errdefs.IsInvalidArgument(err) {
			t.Fatalf("Prepare(%q): %v", bad, err)
		}
	}
}

func checkRemoveInUse(t *testing.T, newStore NewStore, root string) {
	s := newStore(t, root)
	ctx := context.Background()
	chains, _ := prepareOverTwo(t, s, "c1")
	for _, c := range chains {
		if err := s.Remove(ctx, c); !errdefs.IsConflict(err) {
			t.Fatalf("Remove of a parent in use: %v", err)
		}
		if !s.Exists(ctx, c) {
			t.Fatal("refused Remove removed the layer")
		}
	}
	if err := s.RemoveRW(ctx, "c1"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Stat(ctx, "c1"); !errdefs.IsNotFound(err) {
		t.Fatalf("Stat after RemoveRW: %v", err)
	}
	if err := s.RemoveRW(ctx, "c1"); err != nil {
		t.Fatalf("second RemoveRW: %v", err)
	}
	for _, c := range chains {
		if err := s.Remove(ctx, c); err != nil {
			t.Fatal(err)
		}
		if s.Exists(ctx, c) {
			t.Fatal("removed layer exists")
		}
		if err := s.Remove(ctx, c); err != nil {
			t.Fatalf("second Remove: %v", err)
		}
	}
	mustNotExist(t, filepath.Join(s.Dir(chains[0]), "a"))
	// Gone for good: a reopened store has neither.
	s = newStore(t, root)
	if s.Exists(ctx, chains[0]) {
		t.Fatal("removed layer back after reopening")
	}
	if _, err := s.Stat(ctx, "c1"); !errdefs.IsNotFound(err) {
		t.Fatalf("removed read-write layer back after reopening: %v", err)
	}
}

func checkConcurrentPrepares(t *testing.T, newStore NewStore, root string) {
	s := newStore(t, root)
	ctx := context.Background()
	chains := stack(t, s, MakeTar(t, file("a", "1")))
	var g errgroup.Group
	for i := range 16 {
		g.Go(func() error {
			_, err := s.Prepare(ctx, "own"+string(rune('a'+i)), chains)
			return err
		})
		g.Go(func() error {
			rw, err := s.Prepare(ctx, "shared", chains)
			if err == nil {
				_, err = os.Stat(rw.Upper) // made before any Prepare returns it
			}
			return err
		})
	}
	if err := g.Wait(); err != nil {
		t.Fatal(err)
	}
	if err := s.Remove(ctx, chains[0]); !errdefs.IsConflict(err) {
		t.Fatalf("Remove under 17 read-write layers: %v", err)
	}
}

// Prepares racing a Remove of their parent: each either wins (and the
// layer stays) or loses with not found; none ends up over a removed layer.
func checkPrepareRemoveRace(t *testing.T, newStore NewStore, root string) {
	s := newStore(t, root)
	ctx := context.Background()
	for round := range 10 {
		chains := stack(t, s, MakeTar(t, file("round", string(rune('0'+round)))))
		var wg sync.WaitGroup
		var prepared atomic.Int32
		for i := range 8 {
			wg.Go(func() {
				key := "r" + string(rune('0'+round)) + string(rune('a'+i))
				_, err := s.Prepare(ctx, key, chains)
				switch {
				case err == nil:
					prepared.Add(1)
				case !errdefs.IsNotFound(err):
					t.Errorf("Prepare: %v", err)
				}
			})
		}
		var removeErr error
		wg.Go(func() { removeErr = s.Remove(ctx, chains[0]) })
		wg.Wait()
		if removeErr != nil && !errdefs.IsConflict(removeErr) {
			t.Fatalf("Remove: %v", removeErr)
		}
		if prepared.Load() > 0 && !s.Exists(ctx, chains[0]) {
			t.Fatalf("round %d: %d read-write layers over a removed layer", round, prepared.Load())
		}
	}
}

// mount mounts key at a fresh target and unmounts it when the test ends.
func mount(t *testing.T, s layer.Store, key string) string {
	t.Helper()
	target := filepath.Join(t.TempDir(), "rootfs")
	if err := s.Mount(context.Background(), key, target); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Unmount(context.Background(), target) })
	return target
}

// stackedTars are an image's two layers: the second changes a file,
// deletes one, replaces a directory's contents and adds a file.
func stackedTars(t *testing.T) [][]byte {
	return [][]byte{
		MakeTar(t, file("a", "1"), file("b", "b"), dir("d/"), file("d/old", "o"), dir("keep/"), file("keep/x", "x")),
		MakeTar(t, file("a", "2"), whiteout("b"), dir("d/"), whiteout("d/.wh..opq"), file("d/new", "n"), file("c", "c")),
	}
}

// mountStacked creates stackedTars' layers, prepares read-write layer key
// over them and mounts it.
func mountStacked(t *testing.T, s layer.Store, key string) (chains []digest.Digest, target string) {
	t.Helper()
	chains = stack(t, s, stackedTars(t)...)
	if _, err := s.Prepare(context.Background(), key, chains); err != nil {
		t.Fatal(err)
	}
	return chains, mount(t, s, key)
}

func checkMountStacked(t *testing.T, newStore NewStore, root string) {
	needRoot(t)
	s := newStore(t, root)
	ctx := context.Background()
	chains, target := mountStacked(t, s, "c1")
	if err := s.Mount(ctx, "c1", target); err != nil {
		t.Fatalf("mounting again: %v", err)
	}
	if got := readAt(t, filepath.Join(target, "a")); got != "2" {
		t.Fatalf("a = %q, want the upper layer's", got)
	}
	mustNotExist(t, filepath.Join(target, "b"))
	mustNotExist(t, filepath.Join(target, "d/old"))
	for p, want := range map[string]string{"c": "c", "d/new": "n", "keep/x": "x"} {
		if got := readAt(t, filepath.Join(target, p)); got != want {
			t.Fatalf("%s = %q, want %q", p, got, want)
		}
	}
	// Writes land in the read-write layer, never in the image's.
	if err := os.WriteFile(filepath.Join(target, "keep/x"), []byte("changed"), 0o644); err != nil {
		t.Fatal(err)
	}
	if readAt(t, filepath.Join(s.Dir(chains[0]), "keep/x")) != "x" {
		t.Fatal("a write through the mount changed an image layer")
	}
	if err := s.Unmount(ctx, target); err != nil {
		t.Fatal(err)
	}
	if layer.IsMounted(target) {
		t.Fatal("still mounted")
	}
	if err := s.Unmount(ctx, target); err != nil {
		t.Fatalf("second Unmount: %v", err)
	}
	rw, _ := s.Stat(ctx, "c1")
	if readAt(t, filepath.Join(rw.Upper, "keep/x")) != "changed" {
		t.Fatal("the write is not in the read-write layer")
	}
	if err := s.Mount(ctx, "unknown", filepath.Join(t.TempDir(), "t")); !errdefs.IsNotFound(err) {
		t.Fatalf("Mount of an unknown layer: %v", err)
	}
}

// A container's changes, committed as a layer and stacked under another
// container, show through its mount: what the build and commit do.
func checkCommitAndStack(t *testing.T, newStore NewStore, root string) {
	needRoot(t)
	s := newStore(t, root)
	ctx := context.Background()
	chains, target := mountStacked(t, s, "step")
	os.WriteFile(filepath.Join(target, "added"), []byte("+"), 0o644)
	os.WriteFile(filepath.Join(target, "skipped"), []byte("-"), 0o644)
	os.Remove(filepath.Join(target, "a"))
	if err := s.Unmount(ctx, target); err != nil {
		t.Fatal(err)
	}
	rc, err := s.Diff(ctx, "step", []string{"skipped"})
	if err != nil {
		t.Fatal(err)
	}
	diff, err := io.ReadAll(rc)
	rc.Close()
	if err != nil {
		t.Fatal(err)
	}
	top := identity.ChainID([]digest.Digest{chains[1], digest.FromBytes(diff)})
	if err := s.Create(ctx, top, TarOf(diff)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Prepare(ctx, "next", append(chains, top)); err != nil {
		t.Fatal(err)
	}
	next := mount(t, s, "next")
	if readAt(t, filepath.Join(next, "added")) != "+" || readAt(t, filepath.Join(next, "c")) != "c" {
		t.Fatal("committed layer not seen through the mount")
	}
	mustNotExist(t, filepath.Join(next, "a"))
	mustNotExist(t, filepath.Join(next, "skipped"))
}

func checkMountNoParents(t *testing.T, newStore NewStore, root string) {
	needRoot(t)
	s := newStore(t, root)
	if _, err := s.Prepare(context.Background(), "scratch", nil); err != nil {
		t.Fatal(err)
	}
	target := mount(t, s, "scratch")
	if err := os.WriteFile(filepath.Join(target, "f"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if des, _ := os.ReadDir(target); len(des) != 1 {
		t.Fatalf("scratch root holds %d entries", len(des))
	}
}
