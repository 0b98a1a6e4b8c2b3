package config

import (
	"os"
	"path/filepath"
	"testing"
)

func TestLoadFileOverlaysDefaults(t *testing.T) {
	p := filepath.Join(t.TempDir(), "daemon.json")
	os.WriteFile(p, []byte(`{"data-root":"/srv/wharf","runtimes":{"kata":{"path":"/opt/kata"}}}`), 0o644)
	c := Default()
	if err := c.LoadFile(p); err != nil {
		t.Fatal(err)
	}
	if c.Root != "/srv/wharf" || c.ExecRoot != "/run/wharf" {
		t.Fatalf("roots %q %q", c.Root, c.ExecRoot)
	}
	if c.Runtimes["kata"].Path != "/opt/kata" || c.Runtimes["runc"].Path != "runc" {
		t.Fatalf("runtimes %v", c.Runtimes)
	}
	if err := c.LoadFile(filepath.Join(t.TempDir(), "missing.json")); err != nil {
		t.Fatalf("missing file: %v", err)
	}
	os.WriteFile(p, []byte(`{bad`), 0o644)
	if err := c.LoadFile(p); err == nil {
		t.Fatal("malformed file accepted")
	}
}
