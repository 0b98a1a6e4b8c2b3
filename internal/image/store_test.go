package image

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/containerd/errdefs"
	"github.com/opencontainers/go-digest"
)

func TestBlobPutAndVerify(t *testing.T) {
	s, root := newTestService(t)
	ctx := context.Background()
	data := []byte("some blob")
	want := digest.FromBytes(data)

	got, n, err := s.putBlob(ctx, bytes.NewReader(data), want)
	if err != nil || got != want || n != int64(len(data)) {
		t.Fatalf("putBlob = %s %d %v", got, n, err)
	}
	if readFile(t, s.blobPath(want)) != string(data) {
		t.Fatal("blob content differs")
	}

	// Wrong content for the announced digest is refused and not stored.
	other := []byte("tampered")
	_, _, err = s.putBlob(ctx, bytes.NewReader(other), want)
	if !errdefs.IsInvalidArgument(err) {
		t.Fatalf("mismatch error = %v", err)
	}
	if _, err := os.Stat(s.blobPath(digest.FromBytes(other))); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("mismatched blob was stored")
	}
	if des, _ := os.ReadDir(filepath.Join(root, "tmp")); len(des) != 0 {
		t.Fatalf("temp files left behind: %v", des)
	}
}

func TestStartupCleansCrashLeftovers(t *testing.T) {
	s, root := newTestService(t)
	id := importTar(t, s, simpleRootfs(t), "keep", "")

	// Simulate a crash: a half-written temp file, a half-extracted layer,
	// and a blob of an import that never wrote its image record.
	stray := filepath.Join(root, "tmp", "blob-123")
	os.WriteFile(stray, []byte("partial"), 0o600)
	badLayer := filepath.Join(root, "layers", strings.Repeat("a", 64))
	os.MkdirAll(filepath.Join(badLayer, "diff", "etc"), 0o755)
	orphan := []byte("orphan blob")
	os.WriteFile(filepath.Join(root, "blobs", "sha256", digest.FromBytes(orphan).Encoded()), orphan, 0o600)

	s2, err := New(Config{Root: root})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{stray, badLayer, s2.blobPath(digest.FromBytes(orphan))} {
		if _, err := os.Stat(p); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s survived startup", p)
		}
	}
	img, err := s2.Get(context.Background(), "keep")
	if err != nil || img.ID != id {
		t.Fatalf("image lost: %v", err)
	}
}

func TestIncompleteLayerIsRedone(t *testing.T) {
	s, root := newTestService(t)
	ctx := context.Background()
	importTar(t, s, simpleRootfs(t), "app", "")
	img, _ := s.Get(ctx, "app")
	dirs, _ := s.LayerDirs(ctx, img)
	layer, _ := filepath.EvalSymlinks(dirs[0])
	// Crash during extraction: marker missing, content partial.
	os.Remove(filepath.Join(filepath.Dir(layer), "committed"))
	os.Remove(filepath.Join(layer, "hello.txt"))

	s2, err := New(Config{Root: root})
	if err != nil {
		t.Fatal(err)
	}
	img, _ = s2.Get(ctx, "app")
	dirs, err = s2.LayerDirs(ctx, img)
	if err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, filepath.Join(dirs[0], "hello.txt")); got != "hello\n" {
		t.Fatalf("layer not re-extracted: %q", got)
	}
}

func TestInterruptedDeleteIsFinished(t *testing.T) {
	s, root := newTestService(t)
	id := importTar(t, s, simpleRootfs(t), "gone", "")
	d := digest.Digest(id)
	// Crash right after the record was marked for deletion.
	s.mu.Lock()
	e := s.images[d]
	e.rec.Deleting = true
	s.writeRecord(d, e.rec)
	s.mu.Unlock()

	s2, err := New(Config{Root: root})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s2.Get(context.Background(), id); !errdefs.IsNotFound(err) {
		t.Fatalf("half-deleted image still served: %v", err)
	}
	if _, err := s2.Get(context.Background(), "gone"); !errdefs.IsNotFound(err) {
		t.Fatalf("dangling reference kept: %v", err)
	}
	if des, _ := os.ReadDir(filepath.Join(root, "layers")); len(des) != 0 {
		t.Fatalf("layers left: %v", des)
	}
}

func TestReferenceNormalisation(t *testing.T) {
	s, _ := newTestService(t)
	ctx := context.Background()
	id := importTar(t, s, simpleRootfs(t), "busybox", "")
	for _, ref := range []string{"busybox", "busybox:latest", "docker.io/library/busybox", "docker.io/library/busybox:latest", "library/busybox", id, strings.TrimPrefix(id, "sha256:"), id[:10], id[7:12]} {
		img, err := s.Get(ctx, ref)
		if err != nil || img.ID != id {
			t.Errorf("Get(%q) = %v, %v", ref, img, err)
			continue
		}
		if len(img.RepoTags) != 1 || img.RepoTags[0] != "busybox:latest" {
			t.Errorf("RepoTags = %v", img.RepoTags)
		}
	}
	_, err := s.Get(ctx, "busybox:other")
	if !errdefs.IsNotFound(err) || err.Error() != "No such image: busybox:other" {
		t.Fatalf("missing tag: %v", err)
	}

	if err := s.Tag(ctx, "busybox", "localhost:5000/team/app", "1.2"); err != nil {
		t.Fatal(err)
	}
	img, err := s.Get(ctx, "localhost:5000/team/app:1.2")
	if err != nil || img.ID != id || len(img.RepoTags) != 2 {
		t.Fatalf("tagged get: %+v %v", img, err)
	}
	if err := s.Tag(ctx, "busybox", "UPPER", ""); !errdefs.IsInvalidArgument(err) {
		t.Fatalf("bad repo accepted: %v", err)
	}
	if err := s.Tag(ctx, "busybox", "sha256", "x"); !errdefs.IsInvalidArgument(err) {
		t.Fatalf("ambiguous tag accepted: %v", err)
	}
}

func TestPrefixAmbiguity(t *testing.T) {
	s, _ := newTestService(t)
	ctx := context.Background()
	// 17 images: at least two share their first hex digit.
	var ids []string
	for i := range 17 {
		ids = append(ids, importTar(t, s, simpleRootfs(t), "", fmt.Sprintf("image %d", i)))
	}
	byFirst := map[byte][]string{}
	for _, id := range ids {
		c := strings.TrimPrefix(id, "sha256:")[0]
		byFirst[c] = append(byFirst[c], id)
	}
	for c, group := range byFirst {
		if len(group) < 2 {
			continue
		}
		if _, err := s.Get(ctx, string(c)); !errdefs.IsNotFound(err) {
			t.Fatalf("ambiguous prefix %c resolved: %v", c, err)
		}
		if _, err := s.Get(ctx, "sha256:"+string(c)); !errdefs.IsNotFound(err) {
			t.Fatalf("ambiguous prefix sha256:%c resolved: %v", c, err)
		}
		img, err := s.Get(ctx, group[0][7:7+20])
		if err != nil || img.ID != group[0] {
			t.Fatalf("unique prefix: %v", err)
		}
		return
	}
	t.Fatal("no shared prefix among 17 images")
}

func TestLayerSharingAndShortLinks(t *testing.T) {
	s, root := newTestService(t)
	ctx := context.Background()
	importTar(t, s, simpleRootfs(t), "img-one", "one")
	importTar(t, s, simpleRootfs(t), "img-two", "two")
	if des, _ := os.ReadDir(filepath.Join(root, "layers")); len(des) != 1 {
		t.Fatalf("identical layers not shared: %d dirs", len(des))
	}
	img, _ := s.Get(ctx, "img-one")
	dirs, err := s.LayerDirs(ctx, img)
	if err != nil || len(dirs) != 1 {
		t.Fatal(dirs, err)
	}
	if !strings.HasPrefix(dirs[0], filepath.Join(root, "l")+"/") || len(filepath.Base(dirs[0])) > 26 {
		t.Fatalf("layer path not short: %s", dirs[0])
	}
	// Removing one image keeps the layer the other uses.
	if _, err := s.Delete(ctx, "img-one", false, false); err != nil {
		t.Fatal(err)
	}
	img, _ = s.Get(ctx, "img-two")
	dirs, _ = s.LayerDirs(ctx, img)
	if readFile(t, filepath.Join(dirs[0], "hello.txt")) != "hello\n" {
		t.Fatal("shared layer removed")
	}
}
