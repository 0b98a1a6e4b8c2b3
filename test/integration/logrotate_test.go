//go:build integration

package integration

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// lineWriter writes "line N <padding>" for N in 1..total, ten lines a
// second (about 1.6 kB/s), then prints "done" and stays up.
const lineWriter = `i=0; while [ $i -lt %d ]; do i=$((i+1)); echo "line $i $(printf %%0150d 0)"; [ $((i %% 10)) = 0 ] && sleep 1; done; echo done; sleep 1000`

// lineNumbers reads the numbers of the "line N" lines in out, checking
// they run on without a gap.
func lineNumbers(t *testing.T, out string) []int {
	t.Helper()
	var nums []int
	for _, l := range lines(out) {
		var n int
		if _, err := fmt.Sscanf(l, "line %d", &n); err != nil {
			continue
		}
		if len(nums) > 0 && n != nums[len(nums)-1]+1 {
			t.Errorf("line %d follows line %d", n, nums[len(nums)-1])
		}
		nums = append(nums, n)
	}
	return nums
}

// TestLogRotation: with --log-opt max-size/max-file (and compress) a
// container writing past max-size × max-file keeps max-file files, the
// newest; `logs` reads across them in order, --tail from the newest,
// and `logs -f` started before the rotations sees every line once.
func TestLogRotation(t *testing.T) {
	const total = 60
	for compress, sub := range map[string]string{"false": "plain", "true": "gzip"} {
		t.Run(sub, func(t *testing.T) {
			name := uniqueName(t, "rot")
			id := runDetached(t, "wharf", name, "--log-opt", "max-size=1k", "--log-opt", "max-file=3",
				"--log-opt", "compress="+compress, "busybox", "sh", "-c", fmt.Sprintf(lineWriter, total))
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			follow := exec.CommandContext(ctx, filepath.Join(testEnv.bin, "wharf"), "logs", "-f", name)
			follow.Env = append(os.Environ(), "DOCKER_HOST=unix://"+testEnv.sock)
			var followed lockedBuffer
			follow.Stdout = &followed
			if err := follow.Start(); err != nil {
				t.Fatal(err)
			}
			defer func() { cancel(); follow.Wait() }()
			waitFor(t, 30*time.Second, "the container to write its lines", func() bool {
				return strings.Contains(testEnv.run("wharf", "logs", "--tail", "1", name).stdout, "done")
			})
			waitFor(t, 10*time.Second, "logs -f to see the last line", func() bool {
				return strings.Contains(followed.String(), "done")
			})

			logPath := inspectField(t, id, "{{.LogPath}}")
			files, _ := filepath.Glob(logPath + "*")
			if len(files) > 3 || len(files) < 2 {
				t.Errorf("log files %v, want max-file 3 of them", files)
			}
			gz, _ := filepath.Glob(logPath + ".*.gz")
			if (compress == "true") != (len(gz) > 0) {
				t.Errorf("compress=%s: files %v", compress, files)
			}
			all := lineNumbers(t, cli(t, "wharf", "logs", name))
			if len(all) == 0 || all[len(all)-1] != total || all[0] == 1 {
				t.Errorf("logs: lines %v, want the newest up to %d and the oldest rotated away", all, total)
			}
			tail := lineNumbers(t, cli(t, "docker", "logs", "--tail", "6", name))
			if len(tail) != 5 || tail[0] != total-4 {
				t.Errorf("logs --tail 6: lines %v", tail)
			}
			if got := lineNumbers(t, followed.String()); len(got) != total || got[0] != 1 {
				t.Errorf("logs -f across rotations: %d lines from %v", len(got), got[:min(len(got), 3)])
			}
		})
	}
}

// TestLogDrivers: local is readable; labels and env options show with
// logs --details.
func TestLogDrivers(t *testing.T) {
	local := uniqueName(t, "local")
	cleanupContainers(t, local)
	cli(t, "wharf", "run", "--name", local, "--log-driver", "local", "busybox", "echo", "kept locally")
	if got := cli(t, "docker", "logs", local); got != "kept locally\n" {
		t.Errorf("local logs %q", got)
	}
	// labels and env options: logs --details shows them before each line.
	detailed := uniqueName(t, "details")
	cleanupContainers(t, detailed)
	cli(t, "docker", "run", "--name", detailed, "--label", "app=shop", "-e", "REGION=eu", "--log-opt", "labels=app",
		"--log-opt", "env=REGION", "busybox", "echo", "hi")
	if got := cli(t, "docker", "logs", "--details", detailed); got != "REGION=eu,app=shop hi\n" {
		t.Errorf("logs --details %q", got)
	}
	if got := cli(t, "docker", "logs", "--details", local); got != " kept locally\n" {
		t.Errorf("logs --details without attributes %q", got)
	}
}

// TestLogJournald: journald sends lines to the journal with dockerd's
// fields, or where journald does not run refuses to start in dockerd's
// words.
func TestLogJournald(t *testing.T) {
	jname := uniqueName(t, "journald")
	cleanupContainers(t, jname)
	if _, err := os.Stat("/run/systemd/journal/socket"); err != nil {
		r := testEnv.run("docker", "run", "--name", jname, "--log-driver", "journald", "busybox", "echo", "hi")
		if r.code == 0 || !strings.Contains(r.stderr, "journald is not enabled on this host") {
			t.Errorf("journald without journald: %d %s", r.code, r.stderr)
		}
		t.Skip("journald does not run on this machine (no /run/systemd/journal/socket): its fields are untested here")
	}
	id := strings.TrimSpace(cli(t, "wharf", "run", "-d", "--name", jname, "--log-driver", "journald", "--log-opt", "tag={{.Name}}",
		"busybox", "echo", "to the journal"))
	waitState(t, jname, "exited")
	out, err := exec.Command("journalctl", "-o", "json", "CONTAINER_NAME="+jname).Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"CONTAINER_ID":"` + id[:12], `"CONTAINER_ID_FULL":"` + id, `"MESSAGE":"to the journal"`, `"SYSLOG_IDENTIFIER":"` + jname} {
		if !strings.Contains(string(out), want) {
			t.Errorf("journal lacks %s:\n%s", want, out)
		}
	}
	if got := cli(t, "wharf", "logs", jname); got != "to the journal\n" {
		t.Errorf("journald logs %q", got)
	}
}
