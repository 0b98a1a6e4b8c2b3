//go:build integration

package integration

import (
	"strings"
	"testing"
)

func TestRunEchoAndExitCodes(t *testing.T) {
	for _, c := range clis {
		t.Run(c, func(t *testing.T) {
			out := cli(t, c, "run", "--rm", "busybox", "echo", "hello")
			if out != "hello\n" {
				t.Fatalf("stdout %q", out)
			}
			r := testEnv.run(c, "run", "--rm", "busybox", "sh", "-c", "echo out; echo err >&2; exit 3")
			if r.code != 3 || r.stdout != "out\n" || r.stderr != "err\n" {
				t.Fatalf("got %+v", r)
			}
			if r := testEnv.run(c, "run", "--rm", "busybox", "nonexistent-cmd"); r.code != 127 || !strings.Contains(r.stderr, "executable file not found") {
				t.Fatalf("missing command: %+v", r)
			}
			if r := testEnv.run(c, "run", "--rm", "busybox", "/etc/passwd"); r.code != 126 {
				t.Fatalf("non-executable command: %+v", r)
			}
			if r := testEnv.run(c, "run", "--rm", "no-such-image:1"); r.code != 125 {
				t.Fatalf("missing image: %+v", r)
			}
		})
	}
}
