//go:build integration

package integration

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestLogsStreamsAndTail(t *testing.T) {
	for _, c := range clis {
		t.Run(c, func(t *testing.T) {
			name := uniqueName(t, "l")
			runDetached(t, c, name, "busybox", "sh", "-c", "echo out1; echo err1 >&2; echo out2; echo err2 >&2")
			cli(t, c, "wait", name)
			r := testEnv.run(c, "logs", name)
			if r.code != 0 || r.stdout != "out1\nout2\n" || r.stderr != "err1\nerr2\n" {
				t.Fatalf("logs: %+v", r)
			}
			if r := testEnv.run(c, "logs", name, "--tail", "2"); len(lines(r.stdout))+len(lines(r.stderr)) != 2 {
				t.Fatalf("--tail 2 over both streams: %+v", r)
			}

			// --tail counts lines of one stream here: the order of lines
			// across stdout and stderr depends on how conmon reads the pipes.
			name = uniqueName(t, "seq")
			runDetached(t, c, name, "busybox", "sh", "-c", "echo out1; echo out2; seq 3 5")
			cli(t, c, "wait", name)
			if out := cli(t, c, "logs", "--tail", "2", name); out != "4\n5\n" {
				t.Errorf("--tail 2: %q", out)
			}
			if r := testEnv.run(c, "logs", "--tail", "0", name); r.stdout != "" || r.stderr != "" {
				t.Errorf("--tail 0: %+v", r)
			}
			if out := cli(t, c, "logs", "--tail", "all", name); out != "out1\nout2\n3\n4\n5\n" {
				t.Errorf("--tail all: %q", out)
			}
			r = testEnv.run(c, "logs", "no-such-container-x")
			if r.code != 1 || !strings.Contains(r.stderr, "No such container: no-such-container-x") {
				t.Errorf("logs of a missing container: %+v", r)
			}
		})
	}
}

// stamped splits `logs --timestamps` output into times and texts.
func stamped(t *testing.T, out string) ([]time.Time, []string) {
	t.Helper()
	var times []time.Time
	var texts []string
	for _, l := range lines(out) {
		ts, text, ok := strings.Cut(l, " ")
		when, err := time.Parse(time.RFC3339Nano, ts)
		if !ok || err != nil {
			t.Fatalf("line without a timestamp: %q (%v)", l, err)
		}
		times, texts = append(times, when), append(texts, text)
	}
	return times, texts
}

func TestLogsTimestampsSinceUntil(t *testing.T) {
	for _, c := range clis {
		t.Run(c, func(t *testing.T) {
			name := uniqueName(t, "l")
			before := time.Now()
			runDetached(t, c, name, "busybox", "sh", "-c", "echo first; sleep 1; echo second")
			cli(t, c, "wait", name)
			after := time.Now()
			times, texts := stamped(t, cli(t, c, "logs", "--timestamps", name))
			if strings.Join(texts, ",") != "first,second" {
				t.Fatalf("texts %q", texts)
			}
			for _, ts := range times {
				if ts.Before(before.Add(-time.Second)) || ts.After(after.Add(time.Second)) {
					t.Errorf("timestamp %s outside the run [%s, %s]", ts, before, after)
				}
			}
			if gap := times[1].Sub(times[0]); gap < 900*time.Millisecond {
				t.Errorf("the lines were 1 s apart, timestamps %s", gap)
			}
			mid := times[0].Add(times[1].Sub(times[0]) / 2)
			unix := fmt.Sprintf("%d.%09d", mid.Unix(), mid.Nanosecond())
			if out := cli(t, c, "logs", "--since", unix, name); out != "second\n" {
				t.Errorf("--since %s: %q", unix, out)
			}
			if out := cli(t, c, "logs", "--until", unix, name); out != "first\n" {
				t.Errorf("--until %s: %q", unix, out)
			}
			rfc := mid.UTC().Format(time.RFC3339Nano)
			if out := cli(t, c, "logs", "--since", rfc, name); out != "second\n" {
				t.Errorf("--since %s: %q", rfc, out)
			}
			if out := cli(t, c, "logs", "--since", "1h", name); out != "first\nsecond\n" {
				t.Errorf("--since 1h: %q", out)
			}
			if out := cli(t, c, "logs", "--until", unix, "--timestamps", name); !strings.HasSuffix(out, " first\n") || strings.Count(out, "\n") != 1 {
				t.Errorf("--until with --timestamps: %q", out)
			}
		})
	}
}

func TestLogsFollow(t *testing.T) {
	for _, c := range clis {
		t.Run(c, func(t *testing.T) {
			name := uniqueName(t, "f")
			runDetached(t, c, name, "busybox", "sh", "-c", "for i in 1 2 3 4 5; do echo $i; sleep 0.3; done; echo bye >&2")
			start := time.Now()
			r := testEnv.run(c, "logs", "-f", name)
			// Follow returns when the container exits, with everything it printed.
			if r.code != 0 || r.stdout != "1\n2\n3\n4\n5\n" || r.stderr != "bye\n" {
				t.Fatalf("logs -f: %+v", r)
			}
			if d := time.Since(start); d < 500*time.Millisecond || d > 15*time.Second {
				t.Errorf("logs -f returned after %s", d)
			}
			if got := inspectField(t, name, "{{.State.Status}}"); got != "exited" {
				t.Errorf("logs -f returned while the container is %s", got)
			}
			// Following an exited container prints its logs and returns.
			if r := testEnv.run(c, "logs", "-f", "--tail", "1", name); r.code != 0 || r.stdout != "" || r.stderr != "bye\n" {
				t.Errorf("logs -f --tail 1 of an exited container: %+v", r)
			}
		})
	}
}

// TestLogDriver: json-file by default (SDKs read output back only from
// json-file or journald containers), an unknown driver or option refused
// at create, and `logs` of a none container refused, each in docker's words.
func TestLogDriver(t *testing.T) {
	for _, c := range clis {
		t.Run(c, func(t *testing.T) {
			name := uniqueName(t, "def")
			cleanupContainers(t, name)
			cli(t, c, "create", "--name", name, "busybox", "true")
			if got := inspectField(t, name, "{{.HostConfig.LogConfig.Type}}"); got != "json-file" {
				t.Errorf("default log driver %q, want json-file", got)
			}
			r := testEnv.run(c, "create", "--log-driver", "nosuch", "busybox", "true")
			if r.code == 0 || !strings.Contains(r.stderr, `error looking up logging plugin nosuch: plugin "nosuch" not found`) {
				t.Errorf("unknown driver: exit %d, %s", r.code, r.stderr)
			}
			r = testEnv.run(c, "create", "--log-opt", "nosuch=1", "busybox", "true")
			if r.code == 0 || !strings.Contains(r.stderr, "unknown log opt 'nosuch' for json-file log driver") {
				t.Errorf("unknown option: exit %d, %s", r.code, r.stderr)
			}
			none := uniqueName(t, "none")
			cleanupContainers(t, none)
			cli(t, c, "run", "--name", none, "--log-driver", "none", "busybox", "echo", "hi")
			r = testEnv.run(c, "logs", none)
			if r.code == 0 || !strings.Contains(r.stderr, "configured logging driver does not support reading") {
				t.Errorf("logs of a none container: exit %d, %s", r.code, r.stderr)
			}
		})
	}
	resp, body := apiCall(t, "POST", "/containers/create", `{"Image":"busybox","HostConfig":{"LogConfig":{"Type":"nosuch"}}}`)
	wantError(t, resp, body, 400, `error looking up logging plugin nosuch: plugin "nosuch" not found`)
	resp, body = apiCall(t, "POST", "/containers/create", `{"Image":"busybox","HostConfig":{"LogConfig":{"Type":"syslog"}}}`)
	wantError(t, resp, body, 400, "logger: no log driver named 'syslog' is registered")
}
