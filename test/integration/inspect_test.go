//go:build integration

package integration

import (
	"encoding/json"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// inspectJSON is the part of `docker inspect` output the tests read.
type inspectJSON struct {
	ID    string `json:"Id"`
	Name  string
	Path  string
	Args  []string
	Image string
	State struct {
		Status                string
		Running               bool
		Pid, ExitCode         int
		StartedAt, FinishedAt string
	}
	Config struct {
		Image      string
		Env, Cmd   []string
		Entrypoint []string
		Labels     map[string]string
		WorkingDir string
		Hostname   string
	}
	HostConfig struct {
		AutoRemove     bool
		ReadonlyRootfs bool
		Init           *bool
	}
}

func inspectContainer(t *testing.T, c, ref string) inspectJSON {
	t.Helper()
	var got []inspectJSON
	out := cli(t, c, "inspect", ref)
	if err := json.Unmarshal([]byte(out), &got); err != nil || len(got) != 1 {
		t.Fatalf("inspect %s: %v\n%s", ref, err, out)
	}
	return got[0]
}

func TestInspectContainer(t *testing.T) {
	// Like the official busybox image, which sets PATH.
	img := "inspect-" + uniqueName(t, "img") + ":1"
	imageID := importImage(t, img, "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", `CMD ["sh"]`)
	for _, c := range clis {
		t.Run(c, func(t *testing.T) {
			name := uniqueName(t, "i")
			id := runDetached(t, c, name, "-w", "/tmp", "-h", "box", "-l", "k=v", "-e", "A=b", img, "sh", "-c", "sleep 60; exit 0")
			waitState(t, name, "running")
			if got := strings.TrimSpace(cli(t, c, "inspect", "--format", "{{.State.Status}}", name)); got != "running" {
				t.Fatalf("--format State.Status: %q", got)
			}
			in := inspectContainer(t, c, name)
			if in.ID != id || in.Name != "/"+name || in.Image != imageID || in.Config.Image != img {
				t.Errorf("id/name/image: %+v (image id %s)", in, imageID)
			}
			if in.Path != "sh" || strings.Join(in.Args, "|") != "-c|sleep 60; exit 0" {
				t.Errorf("Path %q Args %q", in.Path, in.Args)
			}
			if !in.State.Running || in.State.Pid <= 0 || in.State.ExitCode != 0 || in.State.FinishedAt != "0001-01-01T00:00:00Z" {
				t.Errorf("running state %+v", in.State)
			}
			// Pid is the host pid of the container's sh.
			if comm, err := os.ReadFile("/proc/" + strconv.Itoa(in.State.Pid) + "/comm"); err != nil || strings.TrimSpace(string(comm)) != "sh" {
				t.Errorf("pid %d is %q (%v)", in.State.Pid, comm, err)
			}
			started, err := time.Parse(time.RFC3339Nano, in.State.StartedAt)
			if err != nil || time.Since(started) > time.Minute || time.Since(started) < 0 {
				t.Errorf("StartedAt %q", in.State.StartedAt)
			}
			hasPath := false
			for _, e := range in.Config.Env {
				hasPath = hasPath || e == "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
			}
			if !hasPath || !strings.Contains(strings.Join(in.Config.Env, " "), "A=b") {
				t.Errorf("Env %q", in.Config.Env)
			}
			if in.Config.WorkingDir != "/tmp" || in.Config.Hostname != "box" || in.Config.Labels["k"] != "v" {
				t.Errorf("Config %+v", in.Config)
			}
			var cfg struct{ Cmd []string }
			if err := json.Unmarshal([]byte(cli(t, c, "inspect", "--format", "{{json .Config}}", name)), &cfg); err != nil || len(cfg.Cmd) != 3 {
				t.Errorf("{{json .Config}}: %+v %v", cfg, err)
			}

			cli(t, c, "kill", "-s", "KILL", name)
			waitState(t, name, "exited")
			in = inspectContainer(t, c, name)
			finished, err := time.Parse(time.RFC3339Nano, in.State.FinishedAt)
			if in.State.Running || in.State.Pid != 0 || in.State.ExitCode != 137 || err != nil || !finished.After(started) {
				t.Errorf("exited state %+v", in.State)
			}
			if got := inspectField(t, name, "{{.State.StartedAt}}"); got != in.State.StartedAt {
				t.Errorf("StartedAt changed at exit: %q", got)
			}
		})
	}
}

func TestInspectHostConfigAndErrors(t *testing.T) {
	for _, c := range clis {
		t.Run(c, func(t *testing.T) {
			name := uniqueName(t, "hc")
			cleanupContainers(t, name)
			cli(t, c, "create", "--name", name, "--rm", "--read-only", "--init", "busybox")
			in := inspectContainer(t, c, name)
			if !in.HostConfig.AutoRemove || !in.HostConfig.ReadonlyRootfs || in.HostConfig.Init == nil || !*in.HostConfig.Init {
				t.Errorf("HostConfig %+v", in.HostConfig)
			}
			if in.State.Status != "created" || strings.Join(in.Config.Cmd, " ") != "sh" {
				t.Errorf("created container %+v", in)
			}
			r := testEnv.run(c, "inspect", "no-such-thing-x")
			if r.code != 1 || strings.TrimSpace(r.stdout) != "[]" || !strings.Contains(strings.ToLower(r.stderr), "no such object: no-such-thing-x") {
				t.Errorf("inspect of a missing object: %+v", r)
			}
			r = testEnv.run(c, "container", "inspect", "no-such-thing-x")
			if r.code != 1 || !strings.Contains(r.stderr, "No such container: no-such-thing-x") {
				t.Errorf("container inspect of a missing container: %+v", r)
			}
		})
	}
}
