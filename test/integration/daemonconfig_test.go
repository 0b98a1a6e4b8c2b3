//go:build integration

package integration

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// wharfdOnce runs wharfd with args to its end (it must not keep running)
// and returns what it printed and its exit code.
func wharfdOnce(t *testing.T, args ...string) (string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, filepath.Join(testEnv.bin, "wharfd"), args...).CombinedOutput()
	if ctx.Err() != nil {
		t.Fatalf("wharfd %v kept running:\n%s", args, out)
	}
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	}
	return string(out), code
}

// TestDaemonJSONRefused: a daemon.json with unknown keys, values of the
// wrong type, or keys also given as flags stops wharfd before it starts,
// naming the keys in dockerd's words; --validate says so without
// starting, and "configuration OK" for a good file.
func TestDaemonJSONRefused(t *testing.T) {
	dir := t.TempDir()
	sock := filepath.Join(dir, "never.sock")
	for _, c := range []struct {
		name, json string
		flags      []string
		want       string
	}{
		{"unknown keys", `{"debug": true, "log-drivr": "local", "experimental": true}`, nil,
			"the following directives don't match any configuration option: experimental, log-drivr"},
		{"wrong type", `{"labels": "a=b"}`, nil,
			"json: cannot unmarshal string into Go struct field Config.labels of type []string"},
		{"flag and file", `{"hosts": ["unix:///run/other.sock"]}`, []string{"-H", "unix://" + sock},
			"the following directives are specified both as a flag and in the configuration file: hosts: (from flag: [unix://" + sock + "], from file: [\"unix:///run/other.sock\"])"},
		{"bad log opt", `{"log-opts": {"max-file": "0"}}`, nil, "max-file cannot be less than 1"},
		{"tcp without TLS", `{"hosts": ["tcp://127.0.0.1:2375"]}`, nil, "refusing to serve the API on TCP without TLS"},
	} {
		t.Run(c.name, func(t *testing.T) {
			file := writeFile(t, "daemon.json", c.json)
			for _, validate := range []bool{true, false} {
				args := append([]string{"--config-file", file, "--data-root", filepath.Join(dir, "root"),
					"--exec-root", filepath.Join(dir, "exec")}, c.flags...)
				if validate {
					args = append(args, "--validate")
				}
				out, code := wharfdOnce(t, args...)
				if code != 1 {
					t.Errorf("validate=%v: exit %d:\n%s", validate, code, out)
				}
				if !strings.Contains(out, c.want) {
					t.Errorf("validate=%v: want %q in:\n%s", validate, c.want, out)
				}
			}
		})
	}
	if _, err := os.Stat(filepath.Join(dir, "root")); !os.IsNotExist(err) {
		t.Errorf("a refused wharfd made its data root: %v", err)
	}
	good := writeFile(t, "good.json", `{"log-driver": "local", "log-opts": {"max-size": "10m"}, "labels": ["a=b"], "live-restore": true}`)
	if out, code := wharfdOnce(t, "--config-file", good, "--validate"); code != 0 || strings.TrimSpace(out) != "configuration OK" {
		t.Errorf("--validate of a good file: exit %d: %s", code, out)
	}
}

// TestDaemonJSONReload: SIGHUP applies the reloadable keys (labels,
// mirrors here; the suite's -D keeps debug a flag) and logs what changed; a file
// that no longer loads changes nothing and says why.
func TestDaemonJSONReload(t *testing.T) {
	e := privateDaemon(t, `{"iptables": false, "labels": ["stage=one"]}`)
	info := func() string {
		return e.run("wharf", "info", "--format", "{{json .Labels}} {{.Debug}} {{json .RegistryConfig.Mirrors}}").stdout
	}
	if got := info(); !strings.Contains(got, `["stage=one"] true []`) {
		t.Fatalf("info before reload: %s", got)
	}
	if err := os.WriteFile(e.config, []byte(`{"iptables": false, "labels": ["stage=two"],
		"registry-mirrors": ["https://mirror.example.com"], "dns": ["192.0.2.1"]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	e.daemon.Process.Signal(syscall.SIGHUP)
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(info(), `["stage=two"] true ["https://mirror.example.com/"]`) {
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(e.logFile)
			t.Fatalf("not reloaded: %s\n%s", info(), log)
		}
		time.Sleep(50 * time.Millisecond)
	}
	log, _ := os.ReadFile(e.logFile)
	for _, want := range []string{`msg="Reloaded configuration" changed="[labels registry-mirrors]"`,
		`configuration changed that a reload does not apply: restart wharfd for it" keys=[dns]`} {
		if !strings.Contains(string(log), want) {
			t.Errorf("log lacks %q:\n%s", want, log)
		}
	}
	os.WriteFile(e.config, []byte(`{"iptables": false, "labels": ["stage=three"], "nosuchkey": 1}`), 0o644)
	e.daemon.Process.Signal(syscall.SIGHUP)
	waitFor(t, 10*time.Second, "the refused reload's log", func() bool {
		log, _ := os.ReadFile(e.logFile)
		return strings.Contains(string(log), "the following directives don't match any configuration option: nosuchkey")
	})
	if got := info(); !strings.Contains(got, `["stage=two"]`) {
		t.Errorf("a refused reload changed the settings: %s", got)
	}
}

// TestDaemonJSONContainerDefaults: dns, default-shm-size and log-opts
// from daemon.json are what a container gets unless it says otherwise.
func TestDaemonJSONContainerDefaults(t *testing.T) {
	e := privateDaemon(t, `{"iptables": false, "dns": ["192.0.2.53"], "dns-search": ["example.test"],
		"default-shm-size": "96M", "log-opts": {"max-size": "1m", "max-file": "2"}}`)
	r := e.run("wharf", "run", "--name", "defaults", "busybox", "sh", "-c", "cat /etc/resolv.conf; df -k /dev/shm")
	if r.code != 0 {
		t.Fatalf("run: %d %s", r.code, r.stderr)
	}
	for _, want := range []string{"nameserver 192.0.2.53", "search example.test", "98304"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("want %q in:\n%s", want, r.stdout)
		}
	}
	got := e.run("wharf", "inspect", "--format", "{{.HostConfig.ShmSize}} {{.HostConfig.LogConfig.Type}} {{json .HostConfig.LogConfig.Config}}", "defaults").stdout
	if strings.TrimSpace(got) != `100663296 json-file {"max-file":"2","max-size":"1m"}` {
		t.Errorf("inspect: %s", got)
	}
	// The container's own settings win; default log options go with the default driver only.
	r = e.run("wharf", "run", "--rm", "--dns", "192.0.2.1", "--shm-size", "8m", "--log-driver", "local", "busybox", "sh", "-c", "cat /etc/resolv.conf; df -k /dev/shm")
	if r.code != 0 || strings.Contains(r.stdout, "192.0.2.53") || !strings.Contains(r.stdout, "192.0.2.1") || !strings.Contains(r.stdout, "8192") {
		t.Errorf("own settings: %d %s %s", r.code, r.stdout, r.stderr)
	}
}

// TestRegistryMirror: with registry-mirrors, a Docker Hub image comes from
// the mirror (this machine cannot reach Hub: the pull succeeds only
// through the mirror, a registry of our own on loopback).
func TestRegistryMirror(t *testing.T) {
	addr := startRegistry(t, "")
	ref := addr + "/library/wharf-mirrortest:1"
	cli(t, "wharf", "tag", "busybox", ref)
	t.Cleanup(func() { testEnv.run("wharf", "rmi", ref) })
	cli(t, "wharf", "push", ref)
	e := privateDaemon(t, `{"iptables": false, "registry-mirrors": ["http://`+addr+`"]}`)
	if r := e.run("docker", "pull", "wharf-mirrortest:1"); r.code != 0 {
		t.Fatalf("pull through the mirror: %d %s %s", r.code, r.stdout, r.stderr)
	}
	if r := e.run("wharf", "run", "--rm", "wharf-mirrortest:1", "echo", "mirrored"); r.code != 0 || r.stdout != "mirrored\n" {
		t.Errorf("run the mirrored image: %d %q %s", r.code, r.stdout, r.stderr)
	}
	if got := e.run("wharf", "info", "--format", "{{json .RegistryConfig.Mirrors}}").stdout; !strings.Contains(got, "http://"+addr+"/") {
		t.Errorf("info mirrors: %s", got)
	}
}
