package route

import (
	"slices"
	"testing"
)

func TestCommand(t *testing.T) {
	for _, c := range []struct {
		args []string
		name string
		rest []string
		ok   bool
	}{
		{[]string{"ps", "-a"}, "ps", []string{"-a"}, true},
		{[]string{"container", "ls"}, "ps", []string{}, true},
		{[]string{"container", "list", "-q"}, "ps", []string{"-q"}, true},
		{[]string{"container", "ps"}, "ps", []string{}, true},
		{[]string{"inspect", "web"}, "inspect", []string{"web"}, true},
		{[]string{"container", "inspect", "web"}, "container inspect", []string{"web"}, true},
		{[]string{"exec", "web", "true"}, "exec", []string{"web", "true"}, true},
		{[]string{"container", "exec", "-d", "web", "true"}, "exec", []string{"-d", "web", "true"}, true},
		{nil, "", nil, false},
		{[]string{"images"}, "", nil, false},
		{[]string{"-H", "unix:///x", "ps"}, "", nil, false},
		{[]string{"--debug", "ps"}, "", nil, false},
		{[]string{"container"}, "", nil, false},
		{[]string{"container", "rm", "x"}, "", nil, false},
		{[]string{"image", "inspect", "x"}, "", nil, false},
		{[]string{"PS"}, "", nil, false},
	} {
		name, rest, ok := Command(c.args)
		if name != c.name || ok != c.ok || (ok && !slices.Equal(rest, c.rest)) {
			t.Errorf("Command(%q) = %q %q %v, want %q %q %v", c.args, name, rest, ok, c.name, c.rest, c.ok)
		}
	}
}

func TestEnv(t *testing.T) {
	for _, c := range []struct {
		env        []string
		host, conf string
		ok         bool
	}{
		{[]string{"HOME=/root"}, defaultHost, "/root/.docker", true},
		{[]string{"HOME=/root", "DOCKER_HOST=unix:///run/x.sock"}, "unix:///run/x.sock", "/root/.docker", true},
		{[]string{"HOME=/root", "DOCKER_HOST=unix:///run/x.sock", "WHARF_HOST=unix:///run/y.sock"}, "unix:///run/y.sock", "/root/.docker", true},
		{[]string{"HOME=/root", "DOCKER_HOST="}, defaultHost, "/root/.docker", true},
		{[]string{"HOME=/root", "DOCKER_CONFIG=/etc/dc"}, defaultHost, "/etc/dc", true},
		{[]string{"DOCKER_CONFIG=/etc/dc"}, defaultHost, "/etc/dc", true},
		{[]string{"HOME=/root", "PATH=/bin", "LANG=C"}, defaultHost, "/root/.docker", true},
		// What the front does not model: wharf-cli's.
		{nil, "", "", false},
		{[]string{"HOME=/root", "DOCKER_CONTEXT=remote"}, "", "", false},
		{[]string{"HOME=/root", "DOCKER_CONTEXT="}, "", "", false},
		{[]string{"HOME=/root", "DOCKER_TLS_VERIFY=1"}, "", "", false},
		{[]string{"HOME=/root", "DOCKER_CERT_PATH=/c"}, "", "", false},
		{[]string{"HOME=/root", "DOCKER_API_VERSION=1.41"}, "", "", false},
		{[]string{"HOME=/root", "DOCKER_CUSTOM_HEADERS=a=b"}, "", "", false},
		{[]string{"HOME=/root", "OTEL_EXPORTER_OTLP_ENDPOINT=http://x"}, "", "", false},
		{[]string{"HOME=/root", "DOCKER_HOST=tcp://127.0.0.1:2375"}, "", "", false},
		{[]string{"HOME=/root", "DOCKER_HOST=ssh://me@host"}, "", "", false},
		{[]string{"HOME=/root", "DOCKER_HOST=unix://"}, "", "", false},
		{[]string{"HOME=/root", "DOCKER_HOST=unix://run/x.sock"}, "", "", false},
		{[]string{"HOME=/root", "DOCKER_HOST= unix:///run/x.sock"}, "", "", false},
		{[]string{"HOME=/root", "WHARF_HOST=tcp://127.0.0.1:2375", "DOCKER_HOST=unix:///run/x.sock"}, "", "", false},
	} {
		host, conf, ok := Env(c.env)
		if host != c.host || conf != c.conf || ok != c.ok {
			t.Errorf("Env(%q) = %q %q %v, want %q %q %v", c.env, host, conf, ok, c.host, c.conf, c.ok)
		}
	}
}

func TestVersionLine(t *testing.T) {
	// cmd/wharf-cli's root command's version template, with the same
	// build-time variables.
	if got, want := VersionLine(), "Wharf version dev, build unknown-commit\n"; got != want {
		t.Errorf("VersionLine() = %q, want %q", got, want)
	}
}
