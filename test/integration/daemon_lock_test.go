//go:build integration

package integration

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// runAnotherDaemon runs a wharfd on root and execRoot, serving sock, and
// returns what it printed and its exit code once it exits. One still
// running after 15 s is killed: that is a failure to refuse.
func runAnotherDaemon(t *testing.T, root, execRoot, sock string) (string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	// Should it start, it is to leave the host's firewall alone.
	config := filepath.Join(t.TempDir(), "daemon.json")
	if err := os.WriteFile(config, []byte(`{"iptables": false}`), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(ctx, filepath.Join(testEnv.bin, "wharfd"), "-config-file", config,
		"-data-root", root, "-exec-root", execRoot, "-H", "unix://"+sock, "-cgroup-parent", testEnv.cgroupParent())
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		t.Errorf("the second wharfd kept running:\n%s", out)
	}
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	}
	return string(out), code
}

// TestSecondDaemonRefused: a wharfd on the data root or the exec root of
// a running one exits at once, naming the running one's pid, and leaves
// it serving.
func TestSecondDaemonRefused(t *testing.T) {
	images := cli(t, "wharf", "images", "-aq")
	pid := testEnv.daemon.Process.Pid
	own := t.TempDir()
	ownExecRoot := testEnv.execRoot + "-second"
	t.Cleanup(func() { os.RemoveAll(ownExecRoot) })
	for _, c := range []struct {
		name, root, execRoot, what string
	}{
		{"same data root", testEnv.root, ownExecRoot, "data root " + testEnv.root},
		{"same exec root", filepath.Join(own, "root"), testEnv.execRoot, "exec root " + testEnv.execRoot},
	} {
		t.Run(c.name, func(t *testing.T) {
			out, code := runAnotherDaemon(t, c.root, c.execRoot, filepath.Join(own, "second.sock"))
			want := fmt.Sprintf("failed to start daemon, ensure wharfd is not running: process with PID %d is still running and holds the lock on the %s", pid, c.what)
			t.Logf("exit %d: %s", code, strings.TrimSpace(out))
			if code != 1 || !strings.Contains(out, want) {
				t.Errorf("exit %d, want 1 and %q:\n%s", code, want, out)
			}
		})
	}
	if got := cli(t, "wharf", "images", "-aq"); got != images {
		t.Errorf("images: %q, before %q", got, images)
	}
	if got := readPidFile(t, testEnv.execRoot); got != pid {
		t.Errorf("pid file: %d, wharfd is %d", got, pid)
	}
}

// readPidFile is the pid in execRoot's wharfd.pid.
func readPidFile(t *testing.T, execRoot string) int {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(execRoot, "wharfd.pid"))
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatalf("pid file: %q", b)
	}
	return pid
}

// TestDaemonStartsAfterKill: the lock dies with the daemon. After a kill
// -9, with a container running (its conmon outlives the daemon), a new
// wharfd starts on the same roots and finds the container.
func TestDaemonStartsAfterKill(t *testing.T) {
	d := privateDaemon(t, `{"iptables": false}`)
	if r := d.run("wharf", "run", "-d", "--network", "none", "--name", "survivor", "busybox", "sleep", "300"); r.code != 0 {
		t.Fatalf("run: %s", r.stderr)
	}
	for i := 0; i < 3; i++ {
		old := d.daemon.Process.Pid
		d.stopDaemon(syscall.SIGKILL)
		if err := d.startDaemon(); err != nil {
			t.Fatalf("start after kill -9: %v", err)
		}
		if got := readPidFile(t, d.execRoot); got == old || got != d.daemon.Process.Pid {
			t.Errorf("pid file: %d, wharfd was %d and is %d", got, old, d.daemon.Process.Pid)
		}
	}
	if r := d.run("wharf", "inspect", "--format", "{{.State.Status}}", "survivor"); strings.TrimSpace(r.stdout) != "running" {
		t.Errorf("the container after the restarts: %q %s", r.stdout, r.stderr)
	}
	// A clean stop removes the pid file, as dockerd does.
	d.stopDaemon(syscall.SIGTERM)
	if _, err := os.Stat(filepath.Join(d.execRoot, "wharfd.pid")); !os.IsNotExist(err) {
		t.Errorf("pid file after a clean stop: %v", err)
	}
	if err := d.startDaemon(); err != nil {
		t.Fatal(err)
	}
}
