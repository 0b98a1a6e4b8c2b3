//go:build integration

package integration

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// lastNumber is the last line of the container's logs as a number, -1 if none.
func lastNumber(name string) int {
	ls := lines(testEnv.run("wharf", "logs", "--tail", "1", name).stdout)
	if len(ls) == 0 {
		return -1
	}
	n, err := strconv.Atoi(ls[len(ls)-1])
	if err != nil {
		return -1
	}
	return n
}

func TestDaemonKilledAndRestarted(t *testing.T) {
	counter, exiter := uniqueName(t, "counter"), uniqueName(t, "exit7")
	runDetached(t, "wharf", counter, "busybox", "sh", "-c", "i=0; while true; do echo $i; i=$((i+1)); sleep 0.1; done")
	runDetached(t, "wharf", exiter, "busybox", "sh", "-c", "sleep 1; exit 7")
	waitFor(t, 10*time.Second, "the counter to count", func() bool { return lastNumber(counter) >= 3 })
	pid := inspectField(t, counter, "{{.State.Pid}}")
	if got := inspectField(t, exiter, "{{.State.Status}}"); got != "running" {
		t.Fatalf("%s is %s before the daemon dies", exiter, got)
	}

	// Whatever happens below, the other tests need a daemon.
	t.Cleanup(func() {
		if testEnv.daemon == nil {
			if err := testEnv.startDaemon(); err != nil {
				t.Errorf("restarting wharfd: %v", err)
			}
		}
	})
	before := lastNumber(counter)
	testEnv.stopDaemon(syscall.SIGKILL)
	// The daemon stays down while the second container exits.
	time.Sleep(1500 * time.Millisecond)
	if err := testEnv.startDaemon(); err != nil {
		t.Fatalf("restarting wharfd: %v", err)
	}

	got := inspectField(t, counter, "{{.State.Status}} {{.State.Running}} {{.State.Pid}}")
	if got != "running true "+pid {
		t.Fatalf("after the restart %s is %q, want running with pid %s", counter, got, pid)
	}
	// The counter kept counting while the daemon was down, and still does.
	n := lastNumber(counter)
	if n <= before {
		t.Errorf("logs did not grow while the daemon was down: %d then %d", before, n)
	}
	waitFor(t, 10*time.Second, "the logs to continue", func() bool { return lastNumber(counter) > n+2 })
	all := lines(cli(t, "wharf", "logs", counter))
	for i, l := range all {
		if l != strconv.Itoa(i) {
			t.Fatalf("logs have a gap or repeat at line %d: %q", i, l)
		}
	}

	if got := inspectField(t, exiter, "{{.State.Status}} {{.State.ExitCode}} {{.State.Running}}"); got != "exited 7 false" {
		t.Errorf("after the restart %s is %q, want exited 7", exiter, got)
	}
	for _, c := range clis {
		out := strings.TrimSpace(cli(t, c, "ps", "-a", "--filter", "name="+exiter, "--format", "{{.Status}}"))
		if !strings.HasPrefix(out, "Exited (7) ") {
			t.Errorf("%s ps shows %q", c, out)
		}
	}
	if out := strings.TrimSpace(cli(t, "wharf", "wait", exiter)); out != "7" {
		t.Errorf("wait after the restart: %q", out)
	}

	// The restarted daemon still controls the surviving container.
	cli(t, "docker", "stop", "-t", "1", counter)
	if got := inspectField(t, counter, "{{.State.Status}}"); got != "exited" {
		t.Errorf("stop after the restart left %s %s", counter, got)
	}
	cli(t, "wharf", "start", counter)
	waitState(t, counter, "running")
}

// containerLeftovers lists mounts and processes that still name the container.
func containerLeftovers(id string, pid int) []string {
	var found []string
	mounts, _ := os.ReadFile("/proc/self/mounts")
	for _, l := range strings.Split(string(mounts), "\n") {
		if strings.Contains(l, id) {
			found = append(found, "mount: "+l)
		}
	}
	if pid > 0 {
		if _, err := os.Stat("/proc/" + strconv.Itoa(pid)); err == nil {
			found = append(found, "process "+strconv.Itoa(pid)+" still exists")
		}
	}
	procs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, p := range procs {
		data, _ := os.ReadFile(p)
		if strings.Contains(string(data), id) {
			found = append(found, "process: "+strings.ReplaceAll(string(data), "\x00", " "))
		}
	}
	return found
}

func TestRemoveForceLeavesNothing(t *testing.T) {
	for _, c := range clis {
		t.Run(c, func(t *testing.T) {
			name := uniqueName(t, "rmf")
			id := runDetached(t, c, name, "busybox", "sh", "-c", "sleep 60 & sleep 60")
			waitState(t, name, "running")
			pid, _ := strconv.Atoi(inspectField(t, name, "{{.State.Pid}}"))
			if len(containerLeftovers(id, 0)) == 0 {
				t.Fatalf("a running container shows no mount or process naming %s", id)
			}
			cli(t, c, "exec", "-d", name, "sleep", "60")
			cli(t, c, "rm", "-f", name)
			deadline := time.Now().Add(10 * time.Second)
			for left := containerLeftovers(id, pid); len(left) > 0; left = containerLeftovers(id, pid) {
				if time.Now().After(deadline) {
					t.Fatalf("left after rm -f:\n%s", strings.Join(left, "\n"))
				}
				time.Sleep(50 * time.Millisecond)
			}
			if _, err := os.Stat(filepath.Join(testEnv.root, "containers", id)); !os.IsNotExist(err) {
				t.Errorf("container directory still there: %v", err)
			}
		})
	}
}
