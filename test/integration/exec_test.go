//go:build integration

package integration

import (
	"strings"
	"testing"
	"time"
)

func TestExec(t *testing.T) {
	for _, c := range clis {
		t.Run(c, func(t *testing.T) {
			name := uniqueName(t, "x")
			runDetached(t, c, name, "-e", "FROM_RUN=1", "busybox", "sleep", "60")
			waitState(t, name, "running")

			if out := cli(t, c, "exec", name, "echo", "hi"); out != "hi\n" {
				t.Errorf("exec echo: %q", out)
			}
			r := testEnv.run(c, "exec", name, "sh", "-c", "echo out; echo err >&2; exit 7")
			if r.code != 7 || r.stdout != "out\n" || r.stderr != "err\n" {
				t.Errorf("exec exit code and streams: %+v", r)
			}
			// exec inherits the container's environment; -e adds to it.
			if out := cli(t, c, "exec", "-e", "FOO=bar", name, "sh", "-c", "echo $FOO $FROM_RUN"); out != "bar 1\n" {
				t.Errorf("exec -e: %q", out)
			}
			if out := cli(t, c, "exec", name, "pwd"); out != "/\n" {
				t.Errorf("exec pwd: %q", out)
			}
			if out := cli(t, c, "exec", "-w", "/tmp", name, "pwd"); out != "/tmp\n" {
				t.Errorf("exec -w: %q", out)
			}
			if out := cli(t, c, "exec", "-u", "1000:1001", name, "sh", "-c", "echo $(id -u):$(id -g)"); out != "1000:1001\n" {
				t.Errorf("exec -u 1000:1001: %q", out)
			}
			if out := cli(t, c, "exec", "-u", "nobody", name, "id", "-un"); out != "nobody\n" {
				t.Errorf("exec -u nobody: %q", out)
			}
			if r := testEnv.run(c, "exec", name, "no-such-command"); r.code != 127 {
				t.Errorf("exec of a missing command: %+v", r)
			}
			r = testEnv.runIn([]byte("a\nb\n"), c, "exec", "-i", name, "sh", "-c", "cat; exit 3")
			if r.code != 3 || r.stdout != "a\nb\n" {
				t.Errorf("exec -i: %+v", r)
			}
			// Without -i the command does not see the client's stdin.
			if r := testEnv.runIn([]byte("a\n"), c, "exec", name, "cat"); r.code != 0 || r.stdout != "" {
				t.Errorf("exec cat without -i: %+v", r)
			}

			if r := testEnv.run(c, "exec", "-d", name, "sh", "-c", "sleep 0.3; echo detached > /tmp/d"); r.code != 0 || r.stdout != "" {
				t.Fatalf("exec -d: %+v", r)
			}
			waitFor(t, 10*time.Second, "the detached exec to write its file", func() bool {
				return testEnv.run("wharf", "exec", name, "cat", "/tmp/d").stdout == "detached\n"
			})

			// The exec'd processes show in top while they run.
			cli(t, c, "exec", "-d", name, "sleep", "7777")
			waitFor(t, 10*time.Second, "sleep 7777 in top", func() bool {
				return strings.Contains(testEnv.run("wharf", "top", name).stdout, "sleep 7777")
			})

			// Without -t the command has no terminal. (exec -t itself is a
			// known gap: runc refuses --console-socket without --detach.)
			if r := testEnv.run(c, "exec", name, "tty"); r.code == 0 || !strings.Contains(r.stdout, "not a tty") {
				t.Errorf("exec tty without -t: %+v", r)
			}

			cli(t, c, "stop", "-t", "0", name)
			r = testEnv.run(c, "exec", name, "true")
			if r.code != 1 || !strings.Contains(r.stderr, "is not running") {
				t.Errorf("exec into a stopped container: %+v", r)
			}
			r = testEnv.run(c, "exec", "no-such-container-x", "true")
			if r.code != 1 || !strings.Contains(r.stderr, "No such container: no-such-container-x") {
				t.Errorf("exec into a missing container: %+v", r)
			}
		})
	}
}

func TestExecTTY(t *testing.T) {
	for _, c := range clis {
		t.Run(c, func(t *testing.T) {
			name := uniqueName(t, "t")
			runDetached(t, c, name, "busybox", "sleep", "60")
			waitState(t, name, "running")
			// stty size right at the prompt: runc is given the terminal's
			// size in process.json, so the shell never sees 0x0 (it did
			// when runc copied the size over after starting the process).
			p := startPty(t, c, "exec", "-it", name, "sh")
			// Type only once the shell prompts, as a person would.
			p.expect("# ")
			p.write("tty; stty size; exit 5\r")
			code := p.wait()
			out := p.output()
			if code != 5 || !strings.Contains(out, "24 80") {
				t.Fatalf("exit code %d; output %q", code, out)
			}
			if !strings.Contains(out, "/dev/pts/") {
				t.Fatalf("exec -t has no terminal: %q", out)
			}
			// Without -t there is no terminal.
			if r := testEnv.run(c, "exec", name, "tty"); r.code == 0 {
				t.Fatalf("tty without -t: %+v", r)
			}
			// A failed exec on a terminal reports the runtime's error and 127.
			if r := testEnv.run(c, "exec", "-t", name, "nonexistent"); r.code != 127 || !strings.Contains(r.stdout+r.stderr, "executable file not found") {
				t.Fatalf("exec -t of a missing command: %+v", r)
			}
		})
	}
}
