//go:build integration

package integration

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestContainerPrune(t *testing.T) {
	for _, c := range clis {
		t.Run(c, func(t *testing.T) {
			stopped, kept, running := uniqueName(t, "stopped"), uniqueName(t, "kept"), uniqueName(t, "running")
			cleanupContainers(t, stopped, kept, running)
			cli(t, c, "create", "--name", stopped, "--label", "prune-test="+c, "busybox", "true")
			cli(t, c, "create", "--name", kept, "--label", "prune-test="+c, "--label", "keep=1", "busybox", "true")
			runDetached(t, c, running, "--label", "prune-test="+c, "busybox", "sleep", "300")
			id := inspectField(t, stopped, "{{.Id}}")
			out := cli(t, c, "container", "prune", "-f", "--filter", "label=prune-test="+c, "--filter", "label!=keep")
			if !strings.Contains(out, id) || !strings.Contains(out, "Total reclaimed space:") {
				t.Fatalf("prune printed %q", out)
			}
			if r := testEnv.run(c, "inspect", stopped); r.code == 0 {
				t.Fatal("stopped container not pruned")
			}
			for _, n := range []string{kept, running} {
				if r := testEnv.run(c, "inspect", n); r.code != 0 {
					t.Fatalf("%s was pruned", n)
				}
			}
		})
	}
}

func TestSystemDF(t *testing.T) {
	for _, c := range clis {
		t.Run(c, func(t *testing.T) {
			name := uniqueName(t, "df")
			vol := uniqueName(t, "vol")
			cleanupContainers(t, name)
			t.Cleanup(func() { testEnv.run("wharf", "volume", "rm", "-f", vol) })
			runDetached(t, c, name, "-v", vol+":/data", "busybox", "sh", "-c", "head -c 100000 /dev/zero > /data/f; sleep 300")
			waitFor(t, 10*time.Second, "the volume's file", func() bool {
				return testEnv.run(c, "exec", name, "test", "-s", "/data/f").code == 0
			})
			out := cli(t, c, "system", "df")
			for _, want := range []string{"TYPE", "Images", "Containers", "Local Volumes", "Build Cache"} {
				if !strings.Contains(out, want) {
					t.Fatalf("system df lacks %q:\n%s", want, out)
				}
			}
			rows := map[string]struct{ TotalCount, Active string }{}
			for _, l := range lines(cli(t, c, "system", "df", "--format", "{{json .}}")) {
				var row struct{ Type, TotalCount, Active string }
				if err := json.Unmarshal([]byte(l), &row); err != nil {
					t.Fatal(err)
				}
				rows[row.Type] = struct{ TotalCount, Active string }{row.TotalCount, row.Active}
			}
			if rows["Containers"].Active == "0" || rows["Images"].TotalCount == "0" || rows["Local Volumes"].Active == "0" {
				t.Fatalf("system df rows: %+v", rows)
			}
			v := cli(t, c, "system", "df", "-v")
			if !strings.Contains(v, vol) || !strings.Contains(v, name) {
				t.Fatalf("system df -v lacks the volume or container:\n%s", v)
			}
		})
	}
}

func TestSystemPrune(t *testing.T) {
	for _, c := range clis {
		t.Run(c, func(t *testing.T) {
			stopped, running := uniqueName(t, "stopped"), uniqueName(t, "running")
			cleanupContainers(t, stopped, running)
			cli(t, c, "create", "--name", stopped, "busybox", "true")
			runDetached(t, c, running, "busybox", "sleep", "300")
			out := cli(t, c, "system", "prune", "-f")
			if !strings.Contains(out, "Total reclaimed space:") {
				t.Fatalf("system prune printed %q", out)
			}
			if r := testEnv.run(c, "inspect", stopped); r.code == 0 {
				t.Fatal("stopped container survived system prune")
			}
			if r := testEnv.run(c, "inspect", running); r.code != 0 {
				t.Fatal("running container was pruned")
			}
			if r := testEnv.run(c, "inspect", "busybox"); r.code != 0 {
				t.Fatal("system prune removed a tagged image")
			}
		})
	}
}
