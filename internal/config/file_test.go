package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// loadText loads text as a daemon.json over the defaults.
func loadText(t *testing.T, text string, fromFlags map[string]string) (Config, error) {
	t.Helper()
	p := filepath.Join(t.TempDir(), "daemon.json")
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	c := Default()
	if err := c.LoadFile(p, fromFlags); err != nil {
		return c, err
	}
	return c, c.Validate()
}

func TestLoadFileRefusals(t *testing.T) {
	for _, c := range []struct {
		text, flagKey, want string
	}{
		{`{"debugg": true, "experimental": true, "debug": true}`, "",
			"the following directives don't match any configuration option: debugg, experimental"},
		{`{"debug": "yes"}`, "", "json: cannot unmarshal string into Go struct field Config.debug of type bool"},
		{`{"hosts": "unix:///x.sock"}`, "", "json: cannot unmarshal string into Go struct field Config.hosts of type []string"},
		{`{"runtimes": {"kata": {"path": "/k", "args": []}}}`, "", `json: unknown field "args"`},
		{`{"hosts": ["unix:///x.sock"]}`, "hosts",
			`the following directives are specified both as a flag and in the configuration file: hosts: (from flag: [unix:///f.sock], from file: ["unix:///x.sock"])`},
		{`{"hosts": ["tcp://0.0.0.0:2375"], "tls": true, "tlscert": "c", "tlskey": "k"}`, "", "refusing to serve the API on TCP without TLS client verification"},
		{`{"hosts": ["http://x"]}`, "", "invalid bind address format: http://x"},
		{`{"tlsverify": true, "tlscert": "c", "tlskey": "k"}`, "", "--tlsverify needs the CA"},
		{`{"log-driver": "syslog"}`, "", "no log driver named 'syslog' is registered"},
		{`{"log-opts": {"max-sise": "10m"}}`, "", "unknown log opt 'max-sise' for json-file log driver"},
		{`{"log-opts": {"max-file": "0"}}`, "", "max-file cannot be less than 1"},
		{`{"registry-mirrors": ["ftp://m"]}`, "", `invalid mirror: unsupported scheme "ftp"`},
		{`{"registry-mirrors": ["https://m/v2/"]}`, "", "invalid mirror: path, query, or fragment"},
		{`{"registry-mirrors": ["http://"]}`, "", "invalid mirror: no host"},
		{`{"registry-host-mirrors": {"registry.k8s.io": ["ftp://m"]}}`, "", `invalid mirror: unsupported scheme "ftp"`},
		{`{"max-concurrent-downloads": -1}`, "", "invalid max concurrent downloads: -1"},
		{`{"dns": ["8.8.8"]}`, "", "IP address is not correctly formatted: 8.8.8"},
		{`{"dns-search": ["-bad"]}`, "", "-bad is not a valid domain"},
		{`{"labels": ["a=1", "a=2"]}`, "", "conflict labels for a=2 and a=1"},
		{`{"labels": ["=x"]}`, "", "invalid label '=x': empty name"},
		{`{"storage-driver": "vfs"}`, "", `storage-driver "vfs" is not supported`},
		{`{"default-shm-size": 64}`, "", "invalid size: 64"},
		{`{"default-ipc-mode": "host"}`, "", "invalid default IPC mode: host"},
		{`{bad`, "", "invalid character"},
	} {
		flags := map[string]string{}
		if c.flagKey != "" {
			flags[c.flagKey] = "[unix:///f.sock]"
		}
		_, err := loadText(t, c.text, flags)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want %q", c.text, err, c.want)
		}
	}
}

func TestLoadFileHonoursKeys(t *testing.T) {
	c, err := loadText(t, "\xef\xbb\xbf"+`{
		"hosts": ["unix:///run/x.sock", "tcp://127.0.0.1", "fd://"],
		"group": "staff", "tlsverify": true, "tlscacert": "/ca.pem", "tlscert": "/c.pem", "tlskey": "/k.pem",
		"log-driver": "local", "log-opts": {"max-size": "10m", "max-file": "3", "compress": "true"},
		"registry-mirrors": ["https://mirror.example.com"], "insecure-registries": ["10.0.0.0/8"],
		"dns": ["1.1.1.1"], "dns-search": ["example.com"], "dns-opts": ["ndots:2"],
		"default-shm-size": "128M", "live-restore": true, "storage-driver": "overlay2",
		"max-concurrent-downloads": 6, "max-concurrent-uploads": 2,
		"labels": ["env=prod"], "features": {"buildkit": false}
	}`, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(c.Hosts, " "); got != "unix:///run/x.sock tcp://127.0.0.1:2376 fd://" {
		t.Errorf("hosts %s", got)
	}
	if !c.TLS || !c.TLSVerify || c.Group != "staff" || c.TLSCACert != "/ca.pem" {
		t.Errorf("access %+v", c.Access)
	}
	if c.LogDriver != "local" || c.LogOpts["max-file"] != "3" {
		t.Errorf("logs %s %v", c.LogDriver, c.LogOpts)
	}
	if c.RegistryMirrors[0] != "https://mirror.example.com/" || c.MaxConcurrentDownloads != 6 || c.MaxConcurrentUploads != 2 {
		t.Errorf("registries %+v", c.Registries)
	}
	if c.DefaultShmSize != 128<<20 || c.DNS[0] != "1.1.1.1" || c.DNSOptions[0] != "ndots:2" {
		t.Errorf("container defaults %+v", c.ContainerDefaults)
	}
	if c.Labels[0] != "env=prod" || c.Features["buildkit"] || !c.LiveRestore {
		t.Errorf("labels %v features %v", c.Labels, c.Features)
	}
	// Flags that the file does not set are no conflict; an empty file is none.
	if _, err := loadText(t, `{"debug": true}`, map[string]string{"hosts": "[unix:///f.sock]"}); err != nil {
		t.Error(err)
	}
	if _, err := loadText(t, "  \n", nil); err != nil {
		t.Error(err)
	}
}

func TestParseHost(t *testing.T) {
	for in, want := range map[string]string{
		"unix://":            DefaultHost,
		"unix:///tmp/a.sock": "unix:///tmp/a.sock",
		"tcp://0.0.0.0:2376": "tcp://0.0.0.0:2376",
		"tcp://[::1]":        "tcp://[::1]:2376",
		"127.0.0.1:9000":     "tcp://127.0.0.1:9000",
		"fd://":              "fd://",
		"fd://3":             "fd://3",
	} {
		if got, err := ParseHost(in); err != nil || got != want {
			t.Errorf("%s: %s %v, want %s", in, got, err, want)
		}
	}
	for _, bad := range []string{"unix://rel.sock", "tcp://", "tcp://h:1/path", "ssh://h"} {
		if got, err := ParseHost(bad); err == nil {
			t.Errorf("%s accepted as %s", bad, got)
		}
	}
}

// FuzzLoad: no daemon.json makes the loader panic, and what it accepts
// passes validation.
func FuzzLoad(f *testing.F) {
	f.Add([]byte(`{"hosts":["tcp://h"],"tls":true,"tlscert":"c","tlskey":"k","log-opts":{"max-size":"1k"}}`))
	f.Add([]byte(`{"default-shm-size":"1g","labels":["a=b"],"dns-search":["x.y"]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		c := Default()
		if c.load(data, nil) == nil {
			_ = c.Validate()
		}
	})
}

func TestOverlay(t *testing.T) {
	c := Default()
	src := Config{Root: "/srv", Access: Access{Hosts: []string{"fd://"}}, Debug: true}
	c.Overlay(&src, []string{"hosts", "data-root"})
	if c.Root != "/srv" || c.Hosts[0] != "fd://" || c.Debug || c.ExecRoot != "/run/wharf" {
		t.Fatalf("%+v", c)
	}
}

func TestDiff(t *testing.T) {
	a, b := Default(), Default()
	b.Labels = []string{"x=1"}
	b.Debug = true
	b.RegistryMirrors = []string{"https://m/"}
	if got := strings.Join(Diff(&a, &b), " "); got != "debug labels registry-mirrors" {
		t.Errorf("diff %q", got)
	}
}
