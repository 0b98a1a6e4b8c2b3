package network

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/wharf/wharf/internal/fsutil"
)

func TestRemoveCrashTemps(t *testing.T) {
	dir := t.TempDir()
	if err := fsutil.WriteFileAtomic(filepath.Join(dir, "abc.json"), []byte("{}"), 0o600, false); err != nil {
		t.Fatal(err)
	}
	f, err := os.CreateTemp(dir, ".abc.json.tmp") // as a crash leaves it
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	removeCrashTemps(dir)
	var names []string
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if !slices.Equal(names, []string{"abc.json"}) {
		t.Fatalf("left %v, want the record alone", names)
	}
}
