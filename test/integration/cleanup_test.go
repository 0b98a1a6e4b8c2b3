//go:build integration

package integration

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A container that fails to start leaves no mount, bundle, runtime state
// or cgroup behind, and can be removed.
func TestFailedStartLeavesNothing(t *testing.T) {
	name := uniqueName(t, "f")
	cleanupContainers(t, name)
	id := strings.TrimSpace(cli(t, "wharf", "create", "--name", name, "busybox", "no-such-command"))
	r := testEnv.run("wharf", "start", name)
	if r.code == 0 || !strings.Contains(r.stderr, "executable file not found") {
		t.Fatalf("start: %+v", r)
	}
	if code := inspectField(t, name, "{{.State.ExitCode}}"); code != "127" {
		t.Errorf("State.ExitCode %s, want 127", code)
	}
	mounts, _ := os.ReadFile("/proc/self/mounts")
	if strings.Contains(string(mounts), id) {
		t.Error("the container's root file system is still mounted")
	}
	for _, p := range []string{
		filepath.Join(testEnv.execRoot, "containers", id),
		filepath.Join(testEnv.execRoot, "runtime", itRuntime(), id),
	} {
		if _, err := os.Stat(p); err == nil {
			t.Errorf("%s left behind", p)
		}
	}
	for _, d := range testEnv.cgroupDirs() {
		if strings.HasSuffix(d, id) {
			t.Errorf("cgroup %s left behind", d)
		}
	}
	cli(t, "wharf", "rm", name)
	if _, err := os.Stat(filepath.Join(testEnv.root, "containers", id)); err == nil {
		t.Error("the container's directory outlived rm")
	}
}

// Like docker, a foreground `run` forwards the signals it gets to the
// container (--sig-proxy, on by default) and exits with its status.
func TestRunForwardsSignals(t *testing.T) {
	for _, c := range clis {
		t.Run(c, func(t *testing.T) {
			name := uniqueName(t, "s")
			cleanupContainers(t, name)
			path := filepath.Join(testEnv.bin, "wharf")
			if c == "docker" {
				path = "/usr/local/bin/docker"
			}
			cmd := exec.Command(path, "run", "--name", name, "busybox", "sh", "-c",
				`trap 'echo got-term; exit 9' TERM; echo ready; while true; do sleep 0.1; done`)
			cmd.Env = append(os.Environ(), "DOCKER_HOST=unix://"+testEnv.sock)
			out := &lockedBuffer{}
			cmd.Stdout, cmd.Stderr = out, out
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			defer cmd.Process.Kill()
			waitFor(t, 10*time.Second, "the container to be ready", func() bool { return strings.Contains(out.String(), "ready") })
			cmd.Process.Signal(syscall.SIGTERM)
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			select {
			case err := <-done:
				ee, ok := err.(*exec.ExitError)
				if !ok || ee.ExitCode() != 9 || !strings.Contains(out.String(), "got-term") {
					t.Fatalf("exit %v, output %q", err, out.String())
				}
			case <-time.After(15 * time.Second):
				t.Fatalf("run did not end after SIGTERM; output %q", out.String())
			}
		})
	}
}
