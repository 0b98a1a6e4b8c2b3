//go:build integration

package integration

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

func TestResourceLimitsInEffect(t *testing.T) {
	name := uniqueName(t, "lim")
	runDetached(t, "wharf", name, "--memory", "32m", "--memory-swap", "64m", "--memory-reservation", "16m",
		"--cpus", "0.5", "--cpu-shares", "512", "--cpuset-cpus", "0", "--pids-limit", "50",
		"--ulimit", "nofile=1000:2000", "busybox", "sleep", "60")
	got := inspectField(t, name, "{{.HostConfig.Memory}} {{.HostConfig.MemorySwap}} {{.HostConfig.MemoryReservation}} {{.HostConfig.NanoCpus}} {{.HostConfig.CpuShares}} {{.HostConfig.CpusetCpus}} {{.HostConfig.PidsLimit}} {{range .HostConfig.Ulimits}}{{.Name}}={{.Soft}}:{{.Hard}}{{end}}")
	if want := "33554432 67108864 16777216 500000000 512 0 50 nofile=1000:2000"; got != want {
		t.Fatalf("inspect: %q, want %q", got, want)
	}
	read := func(file string) string {
		return strings.TrimSpace(cli(t, "wharf", "exec", name, "cat", "/sys/fs/cgroup/"+file))
	}
	for file, want := range map[string]string{
		"memory/memory.limit_in_bytes":       "33554432",
		"memory/memory.memsw.limit_in_bytes": "67108864",
		"memory/memory.soft_limit_in_bytes":  "16777216",
		"cpu/cpu.cfs_quota_us":               "50000",
		"cpu/cpu.cfs_period_us":              "100000",
		"cpu/cpu.shares":                     "512",
		"cpuset/cpuset.cpus":                 "0",
		"pids/pids.max":                      "50",
	} {
		if got := read(file); got != want {
			t.Errorf("%s = %q, want %q", file, got, want)
		}
	}
	if got := strings.TrimSpace(cli(t, "wharf", "exec", name, "sh", "-c", "ulimit -n; ulimit -Hn")); got != "1000\n2000" {
		t.Errorf("ulimit: %q", got)
	}

	// update changes the limits of the running container.
	cli(t, "docker", "update", "--memory", "48m", "--memory-swap", "96m", "--cpus", "1", "--pids-limit", "60", name)
	for file, want := range map[string]string{
		"memory/memory.limit_in_bytes": "50331648",
		"cpu/cpu.cfs_quota_us":         "100000",
		"pids/pids.max":                "60",
	} {
		if got := read(file); got != want {
			t.Errorf("after update %s = %q, want %q", file, got, want)
		}
	}
	if got := inspectField(t, name, "{{.HostConfig.Memory}} {{.HostConfig.NanoCpus}} {{.HostConfig.PidsLimit}}"); got != "50331648 1000000000 60" {
		t.Errorf("inspect after update: %q", got)
	}
	// -1 lifts the pids limit (runc writes "max"; for crun, which would
	// write -1, wharf does); an update of another limit leaves it lifted.
	cli(t, "docker", "update", "--pids-limit", "-1", name)
	cli(t, "docker", "update", "--memory", "40m", name)
	if got := read("pids/pids.max"); got != "max" {
		t.Errorf("after update --pids-limit -1 pids.max = %q, want max", got)
	}
	if r := testEnv.run("wharf", "update", "--memory", "1m", name); r.code == 0 || !strings.Contains(r.stderr, "Minimum memory limit allowed is 6MB") {
		t.Errorf("update below the minimum: %d %q", r.code, r.stderr)
	}
	if r := testEnv.run("wharf", "update", "--memory", "200m", name); r.code == 0 || !strings.Contains(r.stderr, "Memory limit should be smaller than already set memoryswap limit") {
		t.Errorf("update above the swap limit: %d %q", r.code, r.stderr)
	}
}

// TestRlimitsWhateverTheDaemonsLimits starts daemons under different
// RLIMIT_NOFILE settings and checks, under each, that a container's init
// and its exec'd processes all have the container's rlimits: --ulimit,
// then the daemon's default-ulimits, then docker's nofile default, never
// the daemon's own.
func TestRlimitsWhateverTheDaemonsLimits(t *testing.T) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatal(err)
	}
	// Without CAP_SYS_RESOURCE no daemon can have more than our hard limit.
	high := min(lim.Max, 1<<20)
	if high < 4096 {
		t.Skipf("hard RLIMIT_NOFILE %d is too low to vary", lim.Max)
	}
	for _, daemon := range []struct{ name, nofile string }{
		{"soft below hard", fmt.Sprintf("1024:%d", high)},
		{"soft equal to hard", "4096:4096"},
		{"both high", fmt.Sprintf("%d:%d", high, high)},
	} {
		t.Run(daemon.name, func(t *testing.T) {
			d := privateDaemon(t, `{"iptables": false, "default-ulimits": {"nproc": {"Name": "nproc", "Soft": 3000, "Hard": 4000}}}`,
				"prlimit", "--nofile="+daemon.nofile)
			_, daemonHard, _ := strings.Cut(daemon.nofile, ":")
			hard, _ := strconv.Atoi(daemonHard)
			for _, c := range []struct {
				name, wantNofile string
				args             []string
			}{
				{"set", "1000 2000", []string{"--ulimit", "nofile=1000:2000"}},
				// docker's default, within what the daemon can grant.
				{"unset", fmt.Sprintf("1024 %d", min(hard, 524288)), nil},
			} {
				args := append(append([]string{"run", "-d", "--network", "none", "--name", c.name}, c.args...), "busybox", "sleep", "60")
				if r := d.run("wharf", args...); r.code != 0 {
					t.Fatalf("run %s: %s", c.name, r.stderr)
				}
				want := map[string]string{"Max open files": c.wantNofile, "Max processes": "3000 4000"}
				// The runtime's race made most execs wrong: a few catch it.
				for i, pid := range []string{"1", "self", "self", "self"} {
					r := d.run("wharf", "exec", c.name, "cat", "/proc/"+pid+"/limits")
					for limit, w := range want {
						if got := limitsLine(r.stdout, limit); got != w {
							what := "exec"
							if i == 0 {
								what = "init"
							}
							t.Errorf("%s's %s %s: %q, want %q (exit %d %s)", c.name, what, limit, got, w, r.code, r.stderr)
						}
					}
				}
			}
			// As dockerd shows them: with the daemon's default-ulimits.
			r := d.run("wharf", "inspect", "--format", "{{range .HostConfig.Ulimits}}{{.Name}}={{.Soft}}:{{.Hard}} {{end}}", "set", "unset")
			if got := strings.TrimSpace(r.stdout); got != "nofile=1000:2000 nproc=3000:4000 \nnproc=3000:4000" {
				t.Errorf("inspect ulimits: %q", got)
			}
		})
	}
}

// limitsLine returns the soft and hard values of one limit in the text
// of /proc/<pid>/limits.
func limitsLine(limits, name string) string {
	for _, l := range strings.Split(limits, "\n") {
		if rest, ok := strings.CutPrefix(l, name+" "); ok {
			if f := strings.Fields(rest); len(f) >= 2 {
				return f[0] + " " + f[1]
			}
		}
	}
	return ""
}

func TestOOMKill(t *testing.T) {
	name := uniqueName(t, "oom")
	cleanupContainers(t, name)
	r := testEnv.run("wharf", "run", "--name", name, "--memory", "8m", "busybox", "sh", "-c", "x=a; while true; do x=$x$x; done")
	if r.code != 137 {
		t.Fatalf("memory hog exit %d, want 137: %s", r.code, r.stderr)
	}
	if got := inspectField(t, name, "{{.State.OOMKilled}} {{.State.ExitCode}} {{.HostConfig.MemorySwap}}"); got != "true 137 16777216" {
		t.Fatalf("state: %q", got)
	}
	// A container killed otherwise is not OOMKilled.
	other := uniqueName(t, "killed")
	runDetached(t, "wharf", other, "--memory", "8m", "busybox", "sleep", "60")
	cli(t, "wharf", "kill", other)
	if got := inspectField(t, other, "{{.State.OOMKilled}}"); got != "false" {
		t.Fatalf("killed container OOMKilled=%s", got)
	}
}

func TestPidsLimitCapsForkBomb(t *testing.T) {
	name := uniqueName(t, "pids")
	runDetached(t, "wharf", name, "--pids-limit", "20", "busybox", "sleep", "60")
	// The shell forks until the limit stops it.
	r := testEnv.run("wharf", "exec", name, "sh", "-c", "i=0; while [ $i -lt 100 ]; do sleep 60 </dev/null >/dev/null 2>&1 & i=$((i+1)); done")
	if r.code == 0 || !strings.Contains(r.stderr, "can't fork") {
		t.Fatalf("fork bomb not stopped: %d %q", r.code, r.stderr)
	}
	// What is left: the sleeps it made, up to the limit (the shell is gone).
	pids, err := strconv.Atoi(strings.TrimSpace(cli(t, "wharf", "stats", "--no-stream", "--format", "{{.PIDs}}", name)))
	if err != nil || pids < 10 || pids > 20 {
		t.Fatalf("stats PIDS %d (%v), want at most the limit of 20", pids, err)
	}
}

func TestStats(t *testing.T) {
	name := uniqueName(t, "stats")
	runDetached(t, "wharf", name, "--memory", "64m", "busybox", "sh", "-c", "while true; do :; done")
	for _, c := range clis {
		out := cli(t, c, "stats", "--no-stream", name)
		l := lines(out)
		if len(l) != 2 || !strings.HasPrefix(l[0], "CONTAINER ID") || !strings.Contains(l[1], " / 64MiB") {
			t.Fatalf("%s stats --no-stream:\n%s", c, out)
		}
		f := strings.TrimSpace(cli(t, c, "stats", "--no-stream", "--format", "{{.Name}} {{.CPUPerc}} {{.PIDs}}", name))
		fields := strings.Fields(f)
		if len(fields) != 3 {
			t.Fatalf("%s stats --format: %q", c, f)
		}
		cpu, err := strconv.ParseFloat(strings.TrimSuffix(fields[1], "%"), 64)
		if err != nil || fields[0] != name || cpu < 5 || fields[2] != "1" {
			t.Errorf("%s stats --format: %q (a busy loop should show CPU)", c, f)
		}
	}
	// The API: one-shot answers at once, without precpu_stats.
	resp, body := apiCall(t, "GET", "/containers/"+name+"/stats?stream=false&one-shot=true", "")
	var st struct {
		Name     string `json:"name"`
		CPUStats struct {
			SystemUsage uint64 `json:"system_cpu_usage"`
		} `json:"cpu_stats"`
		PreCPUStats struct {
			SystemUsage uint64 `json:"system_cpu_usage"`
		} `json:"precpu_stats"`
		MemoryStats struct{ Usage, Limit uint64 } `json:"memory_stats"`
	}
	if resp.StatusCode != 200 || json.Unmarshal([]byte(body), &st) != nil || st.Name != "/"+name ||
		st.CPUStats.SystemUsage == 0 || st.PreCPUStats.SystemUsage != 0 || st.MemoryStats.Limit != 64<<20 || st.MemoryStats.Usage == 0 {
		t.Fatalf("one-shot stats: %d %s", resp.StatusCode, body)
	}
	// Streaming: one object a second.
	cmd := exec.Command("curl", "-sN", "--unix-socket", testEnv.sock, "http://wharf/containers/"+name+"/stats")
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Skip("curl:", err)
	}
	defer cmd.Process.Kill()
	sc := bufio.NewScanner(stdout)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for i := 0; i < 2; i++ {
		if !sc.Scan() || json.Unmarshal(sc.Bytes(), &st) != nil || st.PreCPUStats.SystemUsage == 0 {
			t.Fatalf("stream sample %d: %q", i, sc.Text())
		}
	}
}

func TestInit(t *testing.T) {
	if _, err := exec.LookPath("tini-static"); err != nil {
		if _, err := exec.LookPath("docker-init"); err != nil {
			t.Skip("no tini-static (apt-get install tini) or docker-init")
		}
	}
	out := cli(t, "wharf", "run", "--rm", "--init", "busybox", "ps", "-o", "pid,args")
	if !strings.Contains(out, "1 /sbin/docker-init -- ps") {
		t.Fatalf("ps with --init:\n%s", out)
	}
	if r := testEnv.run("docker", "run", "--rm", "--init", "busybox", "sh", "-c", "exit 3"); r.code != 3 {
		t.Fatalf("exit code through init: %d", r.code)
	}
}
