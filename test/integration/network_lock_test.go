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

// TestNetworkRemoveSlowFirewall: a network's rules and bridge are removed
// outside the network service's lock, so while iptables is slow (the
// host's xtables lock held by someone else, a ruleset of thousands of
// rules) every other request still answers. The daemon's iptables is a
// wrapper that stalls rule deletions while a file exists.
func TestNetworkRemoveSlowFirewall(t *testing.T) {
	dir, hold, _ := stallFirewall(t, "-D")
	e := newPrivateEnv(t, "{}")
	e.environ = []string{"PATH=" + dir + ":" + os.Getenv("PATH")}
	e.startPrivate(t)

	if r := e.run("wharf", "network", "create", "slowfw"); r.code != 0 {
		t.Fatalf("network create: %s", r.stderr)
	}
	release := holdFirewall(t, hold)
	defer release()
	rm := make(chan result, 1)
	go func() { rm <- e.run("wharf", "network", "rm", "slowfw") }()
	time.Sleep(time.Second) // the removal reaches iptables and stalls there
	select {
	case r := <-rm:
		t.Fatalf("network rm finished while iptables was held (%d %s): the wrapper did not stall it", r.code, r.stderr)
	default:
	}

	for _, args := range [][]string{{"network", "ls"}, {"network", "inspect", "bridge"}, {"run", "--rm", "busybox", "true"}} {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		cmd := exec.CommandContext(ctx, filepath.Join(e.bin, "wharf"), args...)
		cmd.Env = append(os.Environ(), "DOCKER_HOST=unix://"+e.sock, "DOCKER_CONFIG="+filepath.Join(filepath.Dir(e.root), "dockercfg"))
		out, err := cmd.CombinedOutput()
		cancel()
		if err != nil {
			t.Errorf("wharf %s while a network's rules are being removed: %v %s", strings.Join(args, " "), err, out)
		}
	}
	if ls := e.run("wharf", "network", "ls", "--format", "{{.Name}}").stdout; strings.Contains(ls, "slowfw") {
		t.Errorf("a network being removed is still listed: %q", ls)
	}

	release()
	select {
	case r := <-rm:
		if r.code != 0 {
			t.Errorf("network rm: %s", r.stderr)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("network rm did not finish after iptables was released")
	}
	if r := e.run("wharf", "network", "create", "slowfw"); r.code != 0 {
		t.Errorf("create again after the removal: %s", r.stderr)
	}
	e.run("wharf", "network", "rm", "slowfw")
}
