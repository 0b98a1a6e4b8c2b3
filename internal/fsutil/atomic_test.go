package fsutil

import (
	"os"
	"path/filepath"
	"testing"
)

func TestWriteJSONAtomicReplacesAndLeavesNoTemp(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "x.json")
	for _, v := range []map[string]int{{"a": 1}, {"a": 2}} {
		if err := WriteJSONAtomic(p, v, true); err != nil {
			t.Fatal(err)
		}
	}
	data, err := os.ReadFile(p)
	if err != nil || string(data) != `{"a":2}` {
		t.Fatalf("got %q, %v", data, err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("temporary files left: %v", entries)
	}
}

func TestDirSize(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "a"), make([]byte, 100), 0o644)
	os.MkdirAll(filepath.Join(dir, "d"), 0o755)
	os.WriteFile(filepath.Join(dir, "d", "b"), make([]byte, 23), 0o644)
	os.Symlink("a", filepath.Join(dir, "link"))
	if got := DirSize(dir); got != 123 {
		t.Fatalf("DirSize %d, want 123", got)
	}
}
