//go:build integration

package integration

import (
	"strconv"
	"strings"
	"testing"
)

func TestAttachRunning(t *testing.T) {
	for _, c := range clis {
		t.Run(c, func(t *testing.T) {
			name := uniqueName(t, "a")
			runDetached(t, c, name, "busybox", "sh", "-c", "i=0; while [ $i -lt 30 ]; do echo $i; i=$((i+1)); sleep 0.1; done; exit 3")
			r := testEnv.run(c, "attach", name)
			if r.code != 3 {
				t.Fatalf("attach exit code: %+v", r)
			}
			// attach sees what the container prints from then on, in order, to its end.
			got := lines(r.stdout)
			if len(got) == 0 || got[len(got)-1] != "29" {
				t.Fatalf("attach output %q", r.stdout)
			}
			first, _ := strconv.Atoi(got[0])
			for i, l := range got {
				if l != strconv.Itoa(first+i) {
					t.Fatalf("attach output out of order at %d: %q", i, got)
				}
			}
			r = testEnv.run(c, "attach", name)
			// docker CLI 28 says "You cannot ...", docker/cli 29 (wharf) "cannot ...".
			if r.code == 0 || !strings.Contains(strings.ToLower(r.stderr), "cannot attach to a stopped container, start it first") {
				t.Fatalf("attach to a stopped container: %+v", r)
			}
		})
	}
}

func TestAttachStdin(t *testing.T) {
	for _, c := range clis {
		t.Run(c, func(t *testing.T) {
			name := uniqueName(t, "in")
			runDetached(t, c, name, "-i", "busybox", "sh", "-c", "read x; echo got $x; exit 2")
			r := testEnv.runIn([]byte("abc\n"), c, "attach", name)
			if r.code != 2 || r.stdout != "got abc\n" {
				t.Fatalf("attach with stdin: %+v", r)
			}
		})
	}
}

func TestStartAttachInteractive(t *testing.T) {
	for _, c := range clis {
		t.Run(c, func(t *testing.T) {
			name := uniqueName(t, "si")
			cleanupContainers(t, name)
			cli(t, c, "create", "-i", "--name", name, "busybox", "sh", "-c", "cat; echo done >&2; exit 6")
			r := testEnv.runIn([]byte("line one\nline two\n"), c, "start", "-a", "-i", name)
			if r.code != 6 || r.stdout != "line one\nline two\n" || r.stderr != "done\n" {
				t.Fatalf("start -a -i: %+v", r)
			}
		})
	}
}

func TestAttachDetachKeys(t *testing.T) {
	for _, c := range clis {
		t.Run(c, func(t *testing.T) {
			name := uniqueName(t, "tty")
			runDetached(t, c, name, "-it", "busybox", "sh")
			waitState(t, name, "running")
			p := startPty(t, c, "attach", "--detach-keys", "ctrl-a,b", name)
			p.write("echo $((6*7))x\r")
			p.expect("42x")
			p.write("\x01b")
			p.wait()
			p.expect("read escape sequence")
			if got := inspectField(t, name, "{{.State.Status}}"); got != "running" {
				t.Fatalf("after detaching the container is %s", got)
			}
			// Attach again with the default keys (ctrl-p ctrl-q), then end the shell.
			p = startPty(t, c, "attach", name)
			p.write("echo $((7*8))y\r")
			p.expect("56y")
			p.write("\x10\x11")
			p.wait()
			waitState(t, name, "running")
			p = startPty(t, c, "attach", name)
			p.write("exit 4\r")
			if code := p.wait(); code != 4 {
				t.Fatalf("attach returned %d after the shell exited 4; output %q", code, p.output())
			}
			waitState(t, name, "exited")
		})
	}
}
