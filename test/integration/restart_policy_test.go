//go:build integration

package integration

import (
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestRestartPolicyAlways(t *testing.T) {
	name := uniqueName(t, "always")
	runDetached(t, "wharf", name, "--restart", "always", "busybox", "sh", "-c", "sleep 0.5; exit 3")
	waitFor(t, 15*time.Second, "two restarts", func() bool {
		n, _ := strconv.Atoi(inspectField(t, name, "{{.RestartCount}}"))
		return n >= 2
	})
	if got := inspectField(t, name, "{{.HostConfig.RestartPolicy.Name}}"); got != "always" {
		t.Fatalf("policy %q", got)
	}
	// stop ends it for good, even between two runs.
	cli(t, "wharf", "stop", "-t", "1", name)
	n := inspectField(t, name, "{{.RestartCount}}")
	time.Sleep(1500 * time.Millisecond)
	if got := inspectField(t, name, "{{.State.Status}} {{.RestartCount}}"); got != "exited "+n {
		t.Fatalf("after stop: %q, want exited %s", got, n)
	}
}

func TestRestartPolicyOnFailure(t *testing.T) {
	failing, ok := uniqueName(t, "failing"), uniqueName(t, "ok")
	runDetached(t, "wharf", failing, "--restart", "on-failure:2", "busybox", "sh", "-c", "exit 1")
	runDetached(t, "docker", ok, "--restart", "on-failure", "busybox", "true")
	waitFor(t, 10*time.Second, "two restarts then the end", func() bool {
		return inspectField(t, failing, "{{.State.Status}} {{.RestartCount}}") == "exited 2"
	})
	time.Sleep(time.Second)
	if got := inspectField(t, failing, "{{.State.Status}} {{.RestartCount}} {{.State.ExitCode}}"); got != "exited 2 1" {
		t.Fatalf("on-failure:2: %q", got)
	}
	if got := inspectField(t, ok, "{{.State.Status}} {{.RestartCount}}"); got != "exited 0" {
		t.Fatalf("on-failure with exit 0: %q", got)
	}
	r := testEnv.run("wharf", "run", "--restart", "on-failure:-1", "busybox", "true")
	if r.code != 125 || !strings.Contains(r.stderr, "maximum retry count cannot be negative") {
		t.Fatalf("negative retry count: %d %q", r.code, r.stderr)
	}
}

func TestRestartPolicySurvivesDaemonRestart(t *testing.T) {
	always, unless, stopped := uniqueName(t, "always"), uniqueName(t, "unless"), uniqueName(t, "stopped")
	runDetached(t, "wharf", always, "--restart", "always", "busybox", "sleep", "600")
	runDetached(t, "wharf", unless, "--restart", "unless-stopped", "busybox", "sleep", "600")
	runDetached(t, "wharf", stopped, "--restart", "unless-stopped", "busybox", "sleep", "600")
	cli(t, "wharf", "stop", "-t", "0", stopped)
	pidAlways := inspectField(t, always, "{{.State.Pid}}")
	pidUnless := inspectField(t, unless, "{{.State.Pid}}")

	t.Cleanup(func() {
		if testEnv.daemon == nil {
			if err := testEnv.startDaemon(); err != nil {
				t.Errorf("restarting wharfd: %v", err)
			}
		}
	})
	// The daemon dies, and so do the containers while it is away (a crash).
	testEnv.stopDaemon(syscall.SIGKILL)
	for _, p := range []string{pidAlways, pidUnless} {
		pid, _ := strconv.Atoi(p)
		syscall.Kill(pid, syscall.SIGKILL)
	}
	time.Sleep(500 * time.Millisecond)
	if err := testEnv.startDaemon(); err != nil {
		t.Fatal(err)
	}
	for name, old := range map[string]string{always: pidAlways, unless: pidUnless} {
		waitState(t, name, "running")
		if pid := inspectField(t, name, "{{.State.Pid}}"); pid == old {
			t.Errorf("%s was not restarted (pid %s)", name, pid)
		}
	}
	time.Sleep(500 * time.Millisecond)
	if got := inspectField(t, stopped, "{{.State.Status}}"); got != "exited" {
		t.Errorf("unless-stopped container stopped by hand came back: %s", got)
	}

	// A crash while the daemon runs restarts it too.
	pid, _ := strconv.Atoi(inspectField(t, always, "{{.State.Pid}}"))
	syscall.Kill(pid, syscall.SIGKILL)
	waitFor(t, 10*time.Second, "a restart after the crash", func() bool {
		return inspectField(t, always, "{{.State.Status}}") == "running" && inspectField(t, always, "{{.State.Pid}}") != strconv.Itoa(pid)
	})
}
