//go:build integration

package integration

import (
	"strings"
	"syscall"
	"testing"
	"time"
)

// healthStatus is the container's .State.Health.Status, or "" without one.
func healthStatus(t *testing.T, name string) string {
	t.Helper()
	return inspectField(t, name, "{{if .State.Health}}{{.State.Health.Status}}{{end}}")
}

func waitHealth(t *testing.T, name, want string) {
	t.Helper()
	waitFor(t, 20*time.Second, name+" to be "+want, func() bool { return healthStatus(t, name) == want })
}

func TestHealthCheck(t *testing.T) {
	for _, c := range clis {
		t.Run(c, func(t *testing.T) {
			good, bad, slow := uniqueName(t, "good"), uniqueName(t, "bad"), uniqueName(t, "slow")
			runDetached(t, c, good, "--health-cmd", "echo ok", "--health-interval", "1s", "busybox", "sleep", "60")
			runDetached(t, c, bad, "--health-cmd", "false", "--health-interval", "1s", "--health-retries", "1", "busybox", "sleep", "60")
			runDetached(t, c, slow, "--health-cmd", "true", "--health-interval", "1h", "busybox", "sleep", "60")

			if got := healthStatus(t, slow); got != "starting" {
				t.Errorf("before the first check: %q", got)
			}
			waitHealth(t, good, "healthy")
			waitHealth(t, bad, "unhealthy")
			if out := inspectField(t, good, "{{(index .State.Health.Log 0).ExitCode}} {{(index .State.Health.Log 0).Output}}"); out != "0 ok" {
				t.Errorf("health log: %q", out)
			}
			if out := inspectField(t, bad, "{{.State.Health.FailingStreak}}"); out == "0" {
				t.Errorf("failing streak: %q", out)
			}

			ps := func(args ...string) string {
				return cli(t, c, append([]string{"ps", "--format", "{{.Names}} {{.Status}}"}, args...)...)
			}
			out := ps()
			for name, want := range map[string]string{good: "(healthy)", bad: "(unhealthy)", slow: "(health: starting)"} {
				if !strings.Contains(out, name+" Up ") || !strings.Contains(lineOf(out, name), want) {
					t.Errorf("ps: %s should show %s:\n%s", name, want, out)
				}
			}
			out = ps("--filter", "health=unhealthy")
			if !strings.Contains(out, bad) || strings.Contains(out, good) {
				t.Errorf("ps --filter health=unhealthy:\n%s", out)
			}
		})
	}
}

// lineOf returns the line of out that contains s.
func lineOf(out, s string) string {
	for _, l := range strings.Split(out, "\n") {
		if strings.Contains(l, s) {
			return l
		}
	}
	return ""
}

func TestHealthCheckTimeout(t *testing.T) {
	name := uniqueName(t, "t")
	runDetached(t, "wharf", name, "--health-cmd", "sleep 30", "--health-interval", "1s", "--health-timeout", "500ms", "--health-retries", "1", "busybox", "sleep", "60")
	waitHealth(t, name, "unhealthy")
	if out := inspectField(t, name, "{{(index .State.Health.Log 0).ExitCode}} {{(index .State.Health.Log 0).Output}}"); !strings.Contains(out, "-1 Health check exceeded timeout") {
		t.Errorf("timed out check: %q", out)
	}
}

func TestHealthCheckFromImage(t *testing.T) {
	img := "wharf-test/healthy:latest"
	importImage(t, img, "HEALTHCHECK --interval=1s CMD true", `CMD ["sleep", "60"]`)
	on, off := uniqueName(t, "on"), uniqueName(t, "off")
	runDetached(t, "wharf", on, img)
	runDetached(t, "wharf", off, "--no-healthcheck", img)
	waitHealth(t, on, "healthy")
	if got := healthStatus(t, off); got != "" {
		t.Errorf("--no-healthcheck: health %q", got)
	}
	if out := cli(t, "wharf", "ps", "--filter", "name="+off, "--format", "{{.Status}}"); strings.Contains(out, "(") {
		t.Errorf("--no-healthcheck: ps status %q", out)
	}
}

// Checks stop with the container and start again with it, and with a
// restarted daemon.
func TestHealthCheckRestart(t *testing.T) {
	name := uniqueName(t, "r")
	runDetached(t, "wharf", name, "--health-cmd", "true", "--health-interval", "1s", "busybox", "sleep", "60")
	waitHealth(t, name, "healthy")
	cli(t, "wharf", "stop", "-t", "0", name)
	cli(t, "wharf", "start", name)
	if got := healthStatus(t, name); got != "starting" {
		t.Errorf("after restart: %q", got)
	}
	waitHealth(t, name, "healthy")

	// New results after a daemon restart show the checks resumed.
	testEnv.stopDaemon(syscall.SIGTERM)
	if err := testEnv.startDaemon(); err != nil {
		t.Fatal(err)
	}
	before := inspectField(t, name, "{{len .State.Health.Log}} {{(index .State.Health.Log 0).End}}")
	waitFor(t, 10*time.Second, "a check after the daemon restart", func() bool {
		return inspectField(t, name, "{{len .State.Health.Log}} {{(index .State.Health.Log 0).End}}") != before
	})
}
