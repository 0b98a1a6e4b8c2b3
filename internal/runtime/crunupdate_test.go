package runtime

import (
	"os"
	"path/filepath"
	"testing"
)

func TestWritePidsMax(t *testing.T) {
	for _, key := range []string{"pids", ""} {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "pids.max"), []byte("10"), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := writePidsMax(map[string]string{key: dir, "memory": t.TempDir()}); err != nil {
			t.Fatalf("%q: %v", key, err)
		}
		if data, _ := os.ReadFile(filepath.Join(dir, "pids.max")); string(data) != "max" {
			t.Errorf("%q: pids.max is %q, want max", key, data)
		}
	}
	if err := writePidsMax(map[string]string{"memory": t.TempDir()}); err == nil {
		t.Error("no pids cgroup: no error")
	}
}
