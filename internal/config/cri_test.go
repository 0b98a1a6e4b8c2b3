package config

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestCRIAndMirrorsSettings(t *testing.T) {
	c := Default()
	if !c.CRI.Enabled || c.CRI.CNIConfDir != "/etc/cni/net.d" || !slices.Contains(c.CRI.CNIBinDirs, "/usr/lib/cni") {
		t.Fatalf("defaults: %+v", c.CRI)
	}
	p := filepath.Join(t.TempDir(), "daemon.json")
	os.WriteFile(p, []byte(`{"cri":{"enabled":false,"cni-conf-dir":"/x"},
		"registry-mirrors":["https://m.example"],
		"registry-host-mirrors":{"gcr.io":["http://127.0.0.1:5000"],"docker.io":["https://first.example"]}}`), 0o644)
	if err := c.LoadFile(p, nil); err != nil {
		t.Fatal(err)
	}
	if c.CRI.Enabled || c.CRI.CNIConfDir != "/x" || len(c.CRI.CNIBinDirs) != 2 {
		t.Errorf("loaded: %+v", c.CRI)
	}
	m := c.Mirrors()
	if !slices.Equal(m["docker.io"], []string{"https://first.example", "https://m.example"}) || m["gcr.io"][0] != "http://127.0.0.1:5000" {
		t.Errorf("mirrors: %v", m)
	}
}
