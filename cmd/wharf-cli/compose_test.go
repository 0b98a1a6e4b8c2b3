package main

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/docker/cli/cli/config"
	"github.com/docker/cli/cli/config/configfile"
)

func TestComposePluginDirs(t *testing.T) {
	t.Setenv("DOCKER_CONFIG", t.TempDir())
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	got := composePluginDirs(&configfile.ConfigFile{CLIPluginsExtraDirs: []string{"/extra"}})
	want := append([]string{filepath.Dir(exe), "/extra", filepath.Join(config.Dir(), "cli-plugins")}, systemPluginDirs...)
	if !slices.Equal(got, want) {
		t.Errorf("composePluginDirs = %q, want %q", got, want)
	}
}

func TestFindComposePlugin(t *testing.T) {
	none, first, second := t.TempDir(), t.TempDir(), t.TempDir()
	for _, d := range []string{first, second} {
		if err := os.WriteFile(filepath.Join(d, "docker-compose"), nil, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if got, err := findComposePlugin([]string{none, first, second}); err != nil || got != filepath.Join(first, "docker-compose") {
		t.Errorf("findComposePlugin = %q, %v; want the first directory's", got, err)
	}
	if _, err := findComposePlugin([]string{none}); err == nil {
		t.Error("findComposePlugin found a plugin in an empty directory")
	}
}
