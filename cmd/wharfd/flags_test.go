package main

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestFlagsOverFile(t *testing.T) {
	file := filepath.Join(t.TempDir(), "daemon.json")
	os.WriteFile(file, []byte(`{"debug": true, "labels": ["a=b"], "log-opts": {"max-size": "1m"}}`), 0o644)
	o, err := parseFlags([]string{"--config-file", file, "-H", "unix:///tmp/a.sock", "--host=unix:///tmp/b.sock",
		"-data-root", "/srv/wharf", "-G", "staff"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := o.load()
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(cfg.Hosts, ","); got != "unix:///tmp/a.sock,unix:///tmp/b.sock" {
		t.Errorf("hosts %s", got)
	}
	if cfg.Root != "/srv/wharf" || cfg.Group != "staff" || !cfg.Debug || cfg.Labels[0] != "a=b" || cfg.LogOpts["max-size"] != "1m" {
		t.Errorf("%+v", cfg)
	}
	if cfg.ExecRoot != "/run/wharf" || !cfg.IPTables {
		t.Errorf("defaults lost: %+v", cfg)
	}
}

func TestFlagFileConflicts(t *testing.T) {
	file := filepath.Join(t.TempDir(), "daemon.json")
	os.WriteFile(file, []byte(`{"hosts": ["unix:///tmp/x.sock"], "debug": true, "log-opts": {"max-file": "2"}}`), 0o644)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"-H", "unix:///tmp/a.sock"}, "hosts: (from flag: [unix:///tmp/a.sock], from file: [\"unix:///tmp/x.sock\"])"},
		{[]string{"-D"}, "debug: (from flag: true, from file: true)"},
		{[]string{"--log-opt", "max-size=1m"}, "log-opts: (from flag: map[max-size:1m], from file: {\"max-file\":\"2\"})"},
	} {
		o, err := parseFlags(append([]string{"--config-file", file}, c.args...), io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		_, err = o.load()
		if err == nil || !strings.Contains(err.Error(), "the following directives are specified both as a flag and in the configuration file: "+c.want) {
			t.Errorf("%v: %v", c.args, err)
		}
	}
}

func TestFlagErrors(t *testing.T) {
	for _, args := range [][]string{{"--log-opt", "nokey"}, {"--max-concurrent-downloads", "x"}, {"extra"}, {"--nosuch"}} {
		if _, err := parseFlags(args, io.Discard); err == nil {
			t.Errorf("%v accepted", args)
		}
	}
	o, err := parseFlags([]string{"--config-file", "/nonexistent", "-H", "tcp://0.0.0.0:2376"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := o.load(); err == nil || !strings.Contains(err.Error(), "refusing to serve the API on TCP without TLS") {
		t.Errorf("tcp without TLS: %v", err)
	}
}

// TestFileAndFlagsValidatedTogether: a tcp host in the file with TLS from
// the flags is one valid configuration.
func TestFileAndFlagsValidatedTogether(t *testing.T) {
	file := filepath.Join(t.TempDir(), "daemon.json")
	os.WriteFile(file, []byte(`{"hosts": ["tcp://127.0.0.1:2376"]}`), 0o644)
	o, err := parseFlags([]string{"--config-file", file, "--tlsverify", "--tlscacert", "ca.pem", "--tlscert", "c.pem", "--tlskey", "k.pem"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := o.load(); err != nil {
		t.Fatal(err)
	}
}

// --add-runtime name=path adds a runtime beside the built-in ones, as
// dockerd's does; daemon.json's runtimeArgs are kept.
func TestAddRuntime(t *testing.T) {
	o, err := parseFlags([]string{"--config-file", "/nonexistent", "--add-runtime", "kata=/opt/kata", "--default-runtime", "kata"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := o.load()
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Runtimes["kata"].Path != "/opt/kata" || cfg.Runtimes["runc"].Path != "runc" || cfg.Runtimes["crun"].Path != "crun" || cfg.DefaultRuntime != "kata" {
		t.Errorf("runtimes %v, default %q", cfg.Runtimes, cfg.DefaultRuntime)
	}
	if _, err := parseFlags([]string{"--add-runtime", "nopath"}, io.Discard); err == nil || !strings.Contains(err.Error(), "invalid runtime argument: nopath") {
		t.Errorf("--add-runtime without a path: %v", err)
	}
	file := filepath.Join(t.TempDir(), "daemon.json")
	os.WriteFile(file, []byte(`{"runtimes": {"crun": {"path": "/usr/bin/crun", "runtimeArgs": ["--debug"]}}}`), 0o644)
	o, err = parseFlags([]string{"--config-file", file}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if cfg, err = o.load(); err != nil {
		t.Fatal(err)
	}
	if rt := cfg.Runtimes["crun"]; rt.Path != "/usr/bin/crun" || len(rt.RuntimeArgs) != 1 || rt.RuntimeArgs[0] != "--debug" {
		t.Errorf("crun from the file: %+v", rt)
	}
}
