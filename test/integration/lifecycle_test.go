//go:build integration

package integration

import (
	"regexp"
	"strings"
	"testing"
	"time"
)

var fullID = regexp.MustCompile(`^[0-9a-f]{64}$`)

func TestRunDetachedNameRm(t *testing.T) {
	for _, c := range clis {
		t.Run(c, func(t *testing.T) {
			name := uniqueName(t, "d")
			id := runDetached(t, c, name, "busybox", "sleep", "60")
			if !fullID.MatchString(id) {
				t.Fatalf("run -d printed %q, want a container id", id)
			}
			if got := inspectField(t, id, "{{.Name}}"); got != "/"+name {
				t.Fatalf("name %q", got)
			}
			waitState(t, name, "running")

			rm := uniqueName(t, "rm")
			cleanupContainers(t, rm)
			if out := cli(t, c, "run", "--rm", "--name", rm, "busybox", "echo", "gone"); out != "gone\n" {
				t.Fatalf("run --rm printed %q", out)
			}
			// docker run --rm returns once the container is removed.
			if r := testEnv.run(c, "container", "inspect", rm); r.code == 0 || !strings.Contains(r.stderr, "No such container") {
				t.Fatalf("--rm container still there: %+v", r)
			}

			r := testEnv.run(c, "run", "-d", "--name", name, "busybox", "true")
			if r.code != 125 || !strings.Contains(r.stderr, `Conflict. The container name "/`+name+`" is already in use by container "`+id+`"`) {
				t.Fatalf("duplicate name: %+v", r)
			}
		})
	}
}

func TestRunEnvWorkdirUserHostname(t *testing.T) {
	envFile := writeFile(t, "env", "# a comment\nFROM_FILE=file value\nOVERRIDE=file\n")
	for _, c := range clis {
		t.Run(c, func(t *testing.T) {
			out := cli(t, c, "run", "--rm", "-e", "A=1", "--env", "B=two words", "--env-file", envFile, "-e", "OVERRIDE=flag", "busybox", "env")
			env := lines(out)
			for _, want := range []string{"A=1", "B=two words", "FROM_FILE=file value", "OVERRIDE=flag", "HOSTNAME="} {
				found := false
				for _, l := range env {
					found = found || l == want || (strings.HasSuffix(want, "=") && strings.HasPrefix(l, want))
				}
				if !found {
					t.Errorf("env lacks %q:\n%s", want, out)
				}
			}
			if strings.Contains(out, "OVERRIDE=file") {
				t.Errorf("-e should override --env-file:\n%s", out)
			}

			if out := cli(t, c, "run", "--rm", "-w", "/tmp", "busybox", "pwd"); out != "/tmp\n" {
				t.Errorf("-w /tmp: pwd %q", out)
			}
			// A missing working directory is created.
			if out := cli(t, c, "run", "--rm", "-w", "/new/dir", "busybox", "pwd"); out != "/new/dir\n" {
				t.Errorf("-w /new/dir: pwd %q", out)
			}

			for user, want := range map[string]string{
				"":          "0:0",
				"1000":      "1000:0",
				"1000:1001": "1000:1001",
				"daemon":    "1:1",
				"nobody":    "65534:65534",
			} {
				args := []string{"run", "--rm"}
				if user != "" {
					args = append(args, "-u", user)
				}
				out := cli(t, c, append(args, "busybox", "sh", "-c", `echo $(id -u):$(id -g)`)...)
				if strings.TrimSpace(out) != want {
					t.Errorf("-u %q: id %q, want %q", user, out, want)
				}
			}
			if r := testEnv.run(c, "run", "--rm", "-u", "no-such-user", "busybox", "true"); r.code == 0 {
				t.Errorf("-u no-such-user succeeded: %+v", r)
			}

			if out := cli(t, c, "run", "--rm", "-h", "myhost", "busybox", "hostname"); out != "myhost\n" {
				t.Errorf("-h: hostname %q", out)
			}
		})
	}
}

func TestRunLabels(t *testing.T) {
	for _, c := range clis {
		t.Run(c, func(t *testing.T) {
			name := uniqueName(t, "l")
			cleanupContainers(t, name)
			cli(t, c, "create", "--name", name, "-l", "a=b", "--label", "empty", "busybox")
			if got := inspectField(t, name, `{{index .Config.Labels "a"}}|{{index .Config.Labels "empty"}}|{{len .Config.Labels}}`); got != "b||2" {
				t.Fatalf("labels %q", got)
			}
		})
	}
}

func TestRunEntrypointAndCmd(t *testing.T) {
	img := "ep-" + strings.ToLower(uniqueName(t, "img")) + ":1"
	importImage(t, img, `ENTRYPOINT ["echo","a"]`, `CMD ["b"]`)
	for _, c := range clis {
		t.Run(c, func(t *testing.T) {
			for _, tc := range []struct {
				args []string
				want string
			}{
				{[]string{img}, "a b\n"},
				{[]string{img, "c", "d"}, "a c d\n"},
				// --entrypoint drops the image's CMD.
				{[]string{"--entrypoint", "echo", img}, "\n"},
				{[]string{"--entrypoint", "echo", img, "z"}, "z\n"},
				{[]string{"--entrypoint", "", img, "echo", "plain"}, "plain\n"},
				// busybox's CMD is sh; stdin is not attached so it exits at once.
				{[]string{"busybox"}, ""},
				{[]string{"--entrypoint", "sh", "busybox", "-c", "echo $0"}, "sh\n"},
			} {
				out := cli(t, c, append([]string{"run", "--rm"}, tc.args...)...)
				if out != tc.want {
					t.Errorf("run %q: %q, want %q", tc.args, out, tc.want)
				}
			}
		})
	}
}

func TestRunStdin(t *testing.T) {
	for _, c := range clis {
		t.Run(c, func(t *testing.T) {
			r := testEnv.runIn([]byte("hi\nthere\n"), c, "run", "--rm", "-i", "busybox", "cat")
			if r.code != 0 || r.stdout != "hi\nthere\n" {
				t.Fatalf("run -i cat: %+v", r)
			}
			// Without -i the container's stdin is not the client's.
			r = testEnv.runIn([]byte("hi\n"), c, "run", "--rm", "busybox", "cat")
			if r.code != 0 || r.stdout != "" {
				t.Fatalf("run cat without -i: %+v", r)
			}
			r = testEnv.runIn([]byte("3\n"), c, "run", "--rm", "-i", "busybox", "sh", "-c", "read n; exit $n")
			if r.code != 3 {
				t.Fatalf("exit code from stdin: %+v", r)
			}
		})
	}
}

func TestRunErrorCodes(t *testing.T) {
	for _, c := range clis {
		t.Run(c, func(t *testing.T) {
			if r := testEnv.run(c, "run", "--rm", "--no-such-flag", "busybox"); r.code != 125 {
				t.Errorf("unknown flag: %+v", r)
			}
			if r := testEnv.run(c, "run", "--rm", "busybox", "sh", "-c", "exit 42"); r.code != 42 {
				t.Errorf("exit 42: %+v", r)
			}
			if r := testEnv.run(c, "run", "--rm", "busybox", "/tmp"); r.code != 126 {
				t.Errorf("directory as command: %+v", r)
			}
			if r := testEnv.run(c, "run", "--rm", "busybox", "/no/such/file"); r.code != 127 {
				t.Errorf("missing path: %+v", r)
			}
			if r := testEnv.run(c, "run", "--rm", "-w", "relative", "busybox", "true"); r.code != 125 || !strings.Contains(r.stderr, "the working directory 'relative' is invalid, it needs to be an absolute path") {
				t.Errorf("relative workdir: %+v", r)
			}
		})
	}
}

func TestCreateStartAttach(t *testing.T) {
	for _, c := range clis {
		t.Run(c, func(t *testing.T) {
			name := uniqueName(t, "c")
			cleanupContainers(t, name)
			id := strings.TrimSpace(cli(t, c, "create", "--name", name, "busybox", "sh", "-c", "echo hi; echo err >&2; exit 4"))
			if !fullID.MatchString(id) {
				t.Fatalf("create printed %q", id)
			}
			if got := inspectField(t, name, "{{.State.Status}} {{.State.Pid}} {{.State.StartedAt}}"); got != "created 0 0001-01-01T00:00:00Z" {
				t.Fatalf("created container: %q", got)
			}
			r := testEnv.run(c, "start", "-a", name)
			if r.code != 4 || r.stdout != "hi\n" || r.stderr != "err\n" {
				t.Fatalf("start -a: %+v", r)
			}
			if got := inspectField(t, name, "{{.State.Status}} {{.State.ExitCode}}"); got != "exited 4" {
				t.Fatalf("after start -a: %q", got)
			}
			// A plain start prints the name it was given and does not wait.
			if out := cli(t, c, "start", name); out != name+"\n" {
				t.Fatalf("start printed %q", out)
			}
			if out := strings.TrimSpace(cli(t, c, "wait", name)); out != "4" {
				t.Fatalf("wait printed %q", out)
			}
		})
	}
}

func TestStopKill(t *testing.T) {
	trap := `trap "echo got USR1; exit 5" USR1; trap "echo got TERM; exit 6" TERM; echo ready; while true; do sleep 0.1; done`
	for _, c := range clis {
		t.Run(c, func(t *testing.T) {
			// sleep as PID 1 ignores SIGTERM: stop -t 1 kills it after a second.
			name := uniqueName(t, "stop")
			runDetached(t, c, name, "busybox", "sleep", "60")
			start := time.Now()
			if out := cli(t, c, "stop", "-t", "1", name); out != name+"\n" {
				t.Fatalf("stop printed %q", out)
			}
			if d := time.Since(start); d < time.Second || d > 10*time.Second {
				t.Errorf("stop -t 1 took %s", d)
			}
			if got := inspectField(t, name, "{{.State.Status}} {{.State.ExitCode}}"); got != "exited 137" {
				t.Errorf("after stop: %q", got)
			}
			// Stopping a stopped container succeeds.
			cli(t, c, "stop", name)

			sig := uniqueName(t, "sig")
			runDetached(t, c, sig, "busybox", "sh", "-c", trap)
			waitFor(t, 10*time.Second, "ready", func() bool { return strings.Contains(testEnv.run("wharf", "logs", sig).stdout, "ready") })
			cli(t, c, "stop", "--signal", "USR1", "-t", "10", sig)
			if got := inspectField(t, sig, "{{.State.Status}} {{.State.ExitCode}}"); got != "exited 5" {
				t.Errorf("after stop --signal USR1: %q", got)
			}
			cli(t, c, "start", sig)
			waitFor(t, 10*time.Second, "restarted", func() bool {
				return strings.Count(testEnv.run("wharf", "logs", sig).stdout, "ready") == 2
			})
			// Plain stop sends SIGTERM, which the trap handles.
			cli(t, c, "stop", sig)
			if got := inspectField(t, sig, "{{.State.ExitCode}}"); got != "6" {
				t.Errorf("exit code after stop: %q", got)
			}

			kill := uniqueName(t, "kill")
			runDetached(t, c, kill, "busybox", "sh", "-c", trap)
			waitFor(t, 10*time.Second, "ready", func() bool { return strings.Contains(testEnv.run("wharf", "logs", kill).stdout, "ready") })
			if out := cli(t, c, "kill", "-s", "USR1", kill); out != kill+"\n" {
				t.Fatalf("kill printed %q", out)
			}
			if out := strings.TrimSpace(cli(t, c, "wait", kill)); out != "5" {
				t.Errorf("wait after kill -s USR1: %q", out)
			}
			if out := cli(t, "wharf", "logs", kill); !strings.Contains(out, "got USR1") {
				t.Errorf("logs after kill -s USR1: %q", out)
			}
			r := testEnv.run(c, "kill", kill)
			if r.code == 0 || !strings.Contains(r.stderr, "is not running") {
				t.Errorf("kill of a stopped container: %+v", r)
			}
			cli(t, c, "start", kill)
			waitState(t, kill, "running")
			cli(t, c, "kill", kill)
			if out := strings.TrimSpace(cli(t, c, "wait", kill)); out != "137" {
				t.Errorf("wait after kill: %q", out)
			}
		})
	}
}

func TestRestart(t *testing.T) {
	for _, c := range clis {
		t.Run(c, func(t *testing.T) {
			name := uniqueName(t, "r")
			runDetached(t, c, name, "busybox", "sleep", "60")
			waitState(t, name, "running")
			before := inspectField(t, name, "{{.State.Pid}} {{.State.StartedAt}}")
			if out := cli(t, c, "restart", "-t", "0", name); out != name+"\n" {
				t.Fatalf("restart printed %q", out)
			}
			after := inspectField(t, name, "{{.State.Status}} {{.State.Pid}} {{.State.StartedAt}}")
			if !strings.HasPrefix(after, "running ") || strings.TrimPrefix(after, "running ") == before {
				t.Fatalf("restart: before %q after %q", before, after)
			}
			// Restarting an exited container starts it.
			cli(t, c, "kill", name)
			waitState(t, name, "exited")
			cli(t, c, "restart", name)
			waitState(t, name, "running")
		})
	}
}

func TestRemove(t *testing.T) {
	for _, c := range clis {
		t.Run(c, func(t *testing.T) {
			name := uniqueName(t, "rm")
			runDetached(t, c, name, "busybox", "sleep", "60")
			r := testEnv.run(c, "rm", name)
			want := `Error response from daemon: cannot remove container "/` + name + `": container is running: stop the container before removing or force remove`
			if r.code != 1 || strings.TrimSpace(r.stderr) != want {
				t.Fatalf("rm of a running container: %+v", r)
			}
			if out := cli(t, c, "rm", "-f", name); out != name+"\n" {
				t.Fatalf("rm -f printed %q", out)
			}
			r = testEnv.run(c, "rm", name)
			if r.code != 1 || strings.TrimSpace(r.stderr) != "Error response from daemon: No such container: "+name {
				t.Fatalf("rm of a removed container: %+v", r)
			}

			done := uniqueName(t, "done")
			cleanupContainers(t, done)
			cli(t, c, "run", "--name", done, "busybox", "true")
			if out := cli(t, c, "rm", done); out != done+"\n" {
				t.Fatalf("rm printed %q", out)
			}
			if r := testEnv.run(c, "inspect", done); r.code == 0 {
				t.Fatalf("removed container still inspectable: %+v", r)
			}
		})
	}
}

func TestRenameWaitTop(t *testing.T) {
	for _, c := range clis {
		t.Run(c, func(t *testing.T) {
			a, b := uniqueName(t, "a"), uniqueName(t, "b")
			cleanupContainers(t, a, b)
			id := runDetached(t, c, a, "busybox", "sh", "-c", "sleep 60")
			cli(t, c, "rename", a, b)
			if got := inspectField(t, id, "{{.Name}}"); got != "/"+b {
				t.Fatalf("name after rename: %q", got)
			}
			if r := testEnv.run(c, "inspect", a); r.code == 0 {
				t.Fatalf("old name still resolves: %+v", r)
			}
			// The old name is free again.
			cli(t, c, "create", "--name", a, "busybox")

			waitState(t, b, "running")
			out := cli(t, c, "top", b)
			ls := lines(out)
			if len(ls) < 2 || !strings.Contains(ls[0], "PID") || !strings.Contains(ls[0], "CMD") || !strings.Contains(out, "sleep 60") {
				t.Fatalf("top:\n%s", out)
			}

			w := uniqueName(t, "w")
			runDetached(t, c, w, "busybox", "sh", "-c", "sleep 0.5; exit 3")
			if out := cli(t, c, "wait", w); out != "3\n" {
				t.Fatalf("wait printed %q", out)
			}
		})
	}
}

func TestPauseUnpause(t *testing.T) {
	for _, c := range clis {
		t.Run(c, func(t *testing.T) {
			name := uniqueName(t, "p")
			runDetached(t, c, name, "busybox", "sh", "-c", "i=0; while true; do echo $i; i=$((i+1)); sleep 0.1; done")
			waitState(t, name, "running")
			cli(t, c, "pause", name)
			if got := inspectField(t, name, "{{.State.Status}} {{.State.Paused}} {{.State.Running}}"); got != "paused true true" {
				t.Fatalf("after pause: %q", got)
			}
			if out := cli(t, c, "ps", "--filter", "name="+name, "--format", "{{.Status}}"); !strings.HasSuffix(strings.TrimSpace(out), "(Paused)") {
				t.Fatalf("ps status of a paused container: %q", out)
			}
			n := len(lines(cli(t, "wharf", "logs", name)))
			time.Sleep(500 * time.Millisecond)
			if m := len(lines(cli(t, "wharf", "logs", name))); m != n {
				t.Fatalf("paused container kept printing: %d then %d lines", n, m)
			}
			cli(t, c, "unpause", name)
			waitState(t, name, "running")
			waitFor(t, 5*time.Second, "output after unpause", func() bool {
				return len(lines(testEnv.run("wharf", "logs", name).stdout)) > n
			})
		})
	}
}
