package config

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/moby/moby/api/types/container"
)

func TestLoadFileOverlaysDefaults(t *testing.T) {
	p := filepath.Join(t.TempDir(), "daemon.json")
	os.WriteFile(p, []byte(`{"data-root":"/srv/wharf","runtimes":{"kata":{"path":"/opt/kata"}}}`), 0o644)
	c := Default()
	if err := c.LoadFile(p, nil); err != nil {
		t.Fatal(err)
	}
	if c.Root != "/srv/wharf" || c.ExecRoot != "/run/wharf" {
		t.Fatalf("roots %q %q", c.Root, c.ExecRoot)
	}
	if c.Runtimes["kata"].Path != "/opt/kata" || c.Runtimes["runc"].Path != "runc" {
		t.Fatalf("runtimes %v", c.Runtimes)
	}
	if err := c.LoadFile(filepath.Join(t.TempDir(), "missing.json"), nil); err != nil {
		t.Fatalf("missing file: %v", err)
	}
	os.WriteFile(p, []byte(`{bad`), 0o644)
	if err := c.LoadFile(p, nil); err == nil {
		t.Fatal("malformed file accepted")
	}
}

func TestLoadFileDefaultUlimits(t *testing.T) {
	p := filepath.Join(t.TempDir(), "daemon.json")
	load := func(text string) (Config, error) {
		t.Helper()
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		c := Default()
		if err := c.LoadFile(p, nil); err != nil {
			return c, err
		}
		return c, c.Validate()
	}
	// dockerd's shape, and the name taken from the key when left out.
	c, err := load(`{"default-ulimits":{"nofile":{"Name":"nofile","Hard":64000,"Soft":32000},"nproc":{"Hard":100,"Soft":50}}}`)
	if err != nil {
		t.Fatal(err)
	}
	if u := c.DefaultUlimits["nofile"]; u == nil || *u != (container.Ulimit{Name: "nofile", Hard: 64000, Soft: 32000}) {
		t.Fatalf("nofile: %+v", u)
	}
	if u := c.DefaultUlimits["nproc"]; u == nil || u.Name != "nproc" {
		t.Fatalf("nproc: %+v", u)
	}
	for _, bad := range []string{
		`{"default-ulimits":{"nofile":{"Name":"nproc","Hard":1,"Soft":1}}}`,
		`{"default-ulimits":{"nofile":{"Hard":1,"Soft":2}}}`,
		`{"default-ulimits":{"nofile":null}}`,
	} {
		if _, err := load(bad); err == nil {
			t.Errorf("accepted %s", bad)
		}
	}
}
