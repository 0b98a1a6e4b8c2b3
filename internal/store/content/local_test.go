package content_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/opencontainers/go-digest"

	"github.com/wharf/wharf/internal/store/content"
	"github.com/wharf/wharf/internal/store/content/contenttest"
)

func TestLocal(t *testing.T) {
	for _, sync := range []bool{false, true} {
		t.Run(map[bool]string{false: "NoSync", true: "Sync"}[sync], func(t *testing.T) {
			contenttest.RunTestSuite(t, func(t *testing.T) content.Store {
				s, err := content.NewLocal(t.TempDir(), content.LocalOptions{Sync: sync})
				if err != nil {
					t.Fatal(err)
				}
				return s
			})
		})
	}
}

// The layout is what image and registry roots held before the store
// existed, so their blobs are found where they are.
func TestLocalLayoutAndCrashLeftovers(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	old := []byte("a blob from before")
	d := digest.FromBytes(old)
	os.MkdirAll(filepath.Join(root, "blobs", "sha256"), 0o755)
	os.WriteFile(filepath.Join(root, "blobs", "sha256", d.Encoded()), old, 0o644)
	// A crash during a Put, and one during a resumable write.
	os.MkdirAll(filepath.Join(root, "ingest", "upload1"), 0o755)
	os.WriteFile(filepath.Join(root, "ingest", ".put-123"), []byte("partial"), 0o644)
	os.WriteFile(filepath.Join(root, "ingest", "upload1", "data"), []byte("resumable"), 0o644)

	s, err := content.NewLocal(root, content.LocalOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if b, err := content.ReadBlob(ctx, s, d); err != nil || !bytes.Equal(b, old) {
		t.Fatalf("existing blob: %q, %v", b, err)
	}
	if _, err := os.Stat(filepath.Join(root, "ingest", ".put-123")); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("an interrupted Put survived start")
	}
	w, err := s.Writer(ctx, "upload1")
	if err != nil {
		t.Fatal(err)
	}
	if w.Offset() != int64(len("resumable")) {
		t.Fatalf("interrupted write resumes at %d", w.Offset())
	}
	w.Write([]byte(" write"))
	info, err := w.Commit(ctx, digest.FromString("resumable write"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "blobs", "sha256", info.Digest.Encoded())); err != nil {
		t.Fatal(err)
	}
	// Nothing is left in ingest/ by what went well or was refused.
	s.Put(ctx, bytes.NewReader([]byte("x")), digest.FromString("y"))
	if des, _ := os.ReadDir(filepath.Join(root, "ingest")); len(des) != 0 {
		t.Fatalf("left in ingest/: %v", des)
	}
}
