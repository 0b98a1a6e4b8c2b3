package runtime

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

func TestPruneSeccompCache(t *testing.T) {
	root := t.TempDir()
	now := time.Now()
	write := func(name string, age time.Duration) {
		t.Helper()
		p := filepath.Join(root, name)
		if err := os.WriteFile(p, []byte("{}"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, now.Add(-age), now.Add(-age)); err != nil {
			t.Fatal(err)
		}
	}
	// Five filters, the one used a minute ago written long before.
	for i := range 5 {
		write(fmt.Sprintf("seccomp-%d.json", i), time.Duration(i+1)*time.Hour)
	}
	old := filepath.Join(root, "seccomp-4.json")
	if err := os.Chtimes(old, now.Add(-time.Minute), now.Add(-5*time.Hour)); err != nil {
		t.Fatal(err)
	}
	write(".seccomp-123", time.Hour)   // left by a killed runc
	write(".seccomp-456", time.Second) // being written
	write("state.json", 10*time.Hour)  // not the cache's
	if err := os.Mkdir(filepath.Join(root, "seccomp-dir.json"), 0o700); err != nil {
		t.Fatal(err) // a container's state directory is not a filter
	}

	r := &Runtime{Root: root}
	n, err := r.PruneSeccompCache(2, now)
	if err != nil {
		t.Fatal(err)
	}
	if n != 4 {
		t.Errorf("removed %d files, want 4", n)
	}
	var left []string
	entries, _ := os.ReadDir(root)
	for _, e := range entries {
		left = append(left, e.Name())
	}
	want := []string{".seccomp-456", "seccomp-0.json", "seccomp-4.json", "seccomp-dir.json", "state.json"}
	if !slices.Equal(left, want) {
		t.Errorf("left %v, want %v", left, want)
	}

	if n, err := (&Runtime{Root: filepath.Join(root, "none")}).PruneSeccompCache(2, now); n != 0 || err != nil {
		t.Errorf("missing root: %d, %v", n, err)
	}
}
