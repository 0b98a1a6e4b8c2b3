//go:build integration

package integration

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestReadersWhileStartStalls: a start holds its container's lock while
// iptables publishes its ports, and iptables may be slow (the host's
// xtables lock held by someone else, a ruleset of thousands of rules).
// ps, inspect, info, stats and top read published views of the containers,
// so they answer meanwhile and show the starting container as it was
// before the start. The daemon's iptables is a wrapper that stalls rule
// additions while a file exists.
func TestReadersWhileStartStalls(t *testing.T) {
	dir, hold, reached := stallFirewall(t, "-A", "-I")
	e := newPrivateEnv(t, "{}")
	e.environ = []string{"PATH=" + dir + ":" + os.Getenv("PATH")}
	e.startPrivate(t)

	if r := e.run("wharf", "run", "-d", "--name", "steady", "busybox", "sleep", "300"); r.code != 0 {
		t.Fatalf("run steady: %s", r.stderr)
	}
	defer e.run("wharf", "rm", "-f", "steady", "stalled")
	if r := e.run("wharf", "create", "--name", "stalled", "-p", "80", "busybox", "sleep", "300"); r.code != 0 {
		t.Fatalf("create stalled: %s", r.stderr)
	}
	release := holdFirewall(t, hold)
	defer release()
	start := make(chan result, 1)
	go func() { start <- e.run("wharf", "start", "stalled") }()
	waitFor(t, 30*time.Second, "the start to reach iptables", func() bool {
		_, err := os.Stat(reached)
		return err == nil
	})

	ask := func(args ...string) string {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, "/usr/local/bin/docker", args...)
		cmd.Env = append(os.Environ(), "DOCKER_HOST=unix://"+e.sock, "DOCKER_CONFIG="+filepath.Join(filepath.Dir(e.root), "dockercfg"))
		out, err := cmd.Output()
		if err != nil {
			t.Errorf("docker %s while a start is stalled in iptables: %v %s", strings.Join(args, " "), err, out)
		}
		return strings.TrimSpace(string(out))
	}
	if got := ask("ps", "-a", "--filter", "name=stalled", "--format", "{{.State}}"); got != "created" {
		t.Errorf("ps shows the stalled container as %q, want created (the state before the start)", got)
	}
	if got := ask("inspect", "-f", "{{.State.Status}} {{.State.Running}}", "stalled"); got != "created false" {
		t.Errorf("inspect of the stalled container: %q, want the state before the start", got)
	}
	if got := ask("inspect", "-f", "{{.State.Status}}", "steady"); got != "running" {
		t.Errorf("inspect of another container: %q", got)
	}
	if got := ask("info", "--format", "{{.Containers}} {{.ContainersRunning}}"); got != "2 1" {
		t.Errorf("info counts during the start: %q, want 2 1", got)
	}
	ask("stats", "--no-stream", "steady")
	ask("top", "steady")
	if _, err := os.Stat(hold); err != nil {
		t.Fatal("the wrapper's hold went away during the checks")
	}
	select {
	case r := <-start:
		t.Fatalf("start finished while iptables was held (%d %s): the wrapper did not stall it", r.code, r.stderr)
	default:
	}

	release()
	select {
	case r := <-start:
		if r.code != 0 {
			t.Fatalf("start: %s", r.stderr)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("start did not finish after iptables was released")
	}
	if got := ask("inspect", "-f", "{{.State.Status}} {{.State.Running}}", "stalled"); got != "running true" {
		t.Errorf("inspect after the start: %q", got)
	}
	if got := ask("port", "stalled", "80"); got == "" {
		t.Error("docker port shows no published port after the start")
	}
}
