//go:build integration

package integration

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// wharfd's default runtime, when nothing names one, is crun where crun is
// installed (it starts and execs in about half runc's time), else runc;
// daemon.json's default-runtime wins; docker info reports the default
// and every runtime as dockerd does; runc stays selectable by name.
func TestDefaultRuntime(t *testing.T) {
	want := "runc"
	if _, err := exec.LookPath("crun"); err == nil {
		want = "crun"
	}
	crun := want == "crun"
	// The harness names the suite's runtime, if told one.
	if rt := os.Getenv("WHARF_IT_RUNTIME"); rt != "" {
		want = rt
	}
	chosen := privateDaemon(t, `{}`)
	pinned := privateDaemon(t, `{"default-runtime": "runc"}`)
	for _, c := range []struct {
		e    *env
		want string
	}{{chosen, want}, {pinned, "runc"}} {
		if got := strings.TrimSpace(c.e.run("docker", "info", "--format", "{{.DefaultRuntime}}").stdout); got != c.want {
			t.Errorf("DefaultRuntime %q, want %q", got, c.want)
		}
		runtimes := c.e.run("docker", "info", "--format", "{{range $k, $v := .Runtimes}}{{$k}} {{end}}").stdout
		if !strings.Contains(runtimes, "runc ") || crun && !strings.Contains(runtimes, "crun ") {
			t.Errorf("Runtimes %q", runtimes)
		}
		if info := c.e.run("docker", "info").stdout; !strings.Contains(info, "Default Runtime: "+c.want) {
			t.Errorf("docker info says no Default Runtime: %s:\n%s", c.want, info)
		}
		id := strings.TrimSpace(c.e.run("docker", "run", "-d", "busybox", "sleep", "100").stdout)
		if rt := strings.TrimSpace(c.e.run("docker", "inspect", "-f", "{{.HostConfig.Runtime}}", id).stdout); rt != c.want {
			t.Errorf("HostConfig.Runtime %q, want %q", rt, c.want)
		}
		if _, err := os.Stat(filepath.Join(c.e.execRoot, "runtime", c.want, id)); err != nil {
			t.Errorf("the container is not %s's: %v", c.want, err)
		}
		c.e.run("docker", "rm", "-f", id)
	}
	// runc by name beside crun as the default.
	r := chosen.run("docker", "run", "--rm", "--runtime", "runc", "busybox", "sh", "-c", "exit 3")
	if r.code != 3 {
		t.Errorf("run --runtime runc: exit %d, want 3: %s", r.code, r.stderr)
	}
}
