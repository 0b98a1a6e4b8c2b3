package main

import (
	"os"
	"path/filepath"
	"testing"
)

func TestLoadConfig(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "config.json")
	if f, ok := loadConfig(path); !ok || f != "" {
		t.Errorf("no config file: %q %v, want the front to answer", f, ok)
	}
	for _, c := range []struct {
		data, psFormat string
		ok             bool
	}{
		{`{}`, "", true},
		{``, "", true}, // docker's decoder takes an empty file as no settings
		{`{"auths": {"reg.example": {"auth": "dXNlcjpwYXNz"}}, "credsStore": "pass", "credHelpers": {"gcr.io": "gcr"}}`, "", true},
		{`{"psFormat": "table {{.Names}}"}`, "table {{.Names}}", true},
		{`{"PSFORMAT": "{{.ID}}"}`, "{{.ID}}", true},
		{`{"currentContext": "default"}`, "", true},
		{`{"currentContext": ""}`, "", true},
		// Settings the front does not model, or a file docker warns about.
		{`{"currentContext": "remote"}`, "", false},
		{`{"aliases": {"builder": "buildx"}}`, "", false},
		{`{"HttpHeaders": {"X-Me": "1"}}`, "", false},
		{`{"plugins": {}}`, "", false},
		{`{"features": {"hooks": "true"}}`, "", false},
		{`{"cliPluginsExtraDirs": ["/x"]}`, "", false},
		{`{"psFormat": 3}`, "", false},
		{`{"auths": {"reg.example": {"auth": "bm9jb2xvbg=="}}}`, "", false}, // no colon: docker's "invalid auth configuration file"
		{`{`, "", false},
		{`{} trailing`, "", false},
		{`[]`, "", false},
	} {
		if err := os.WriteFile(path, []byte(c.data), 0o600); err != nil {
			t.Fatal(err)
		}
		f, ok := loadConfig(path)
		if f != c.psFormat || ok != c.ok {
			t.Errorf("config %s: %q %v, want %q %v", c.data, f, ok, c.psFormat, c.ok)
		}
	}
	if err := os.Chmod(path, 0); err == nil && os.Geteuid() != 0 {
		if _, ok := loadConfig(path); ok {
			t.Error("an unreadable config file: the front answered")
		}
	}
}
