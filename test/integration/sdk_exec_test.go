//go:build integration

package integration

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// An exec made with a TTY and started without one is multiplexed, as
// dockerd frames by the start request's Tty: the SDK's exec_start (tty
// defaults to False) reads it as frames. Started with Tty it is raw.
func TestSDKExecTTY(t *testing.T) {
	id := runDetached(t, "wharf", uniqueName(t, "c"), "busybox", "sleep", "300")
	out := pythonSDK(t, `
e = api.exec_create(sys.argv[1], "echo hi", tty=True)
print(repr(api.exec_start(e["Id"])))
e = api.exec_create(sys.argv[1], "echo hi", tty=True)
print(repr(api.exec_start(e["Id"], tty=True)))
r = client.containers.get(sys.argv[1]).exec_run("echo hi", tty=True)
print(r.exit_code, repr(r.output))
`, id)
	want := "b'hi\\r\\n'\nb'hi\\r\\n'\n0 b'hi\\r\\n'\n"
	if out != want {
		t.Fatalf("TTY exec through python3-docker printed\n%s\nwant\n%s", out, want)
	}

	// On the wire: Tty in the start request gives the raw stream.
	raw := execStartRaw(t, id, `{"Cmd":["echo","hi"],"Tty":true,"AttachStdout":true}`, `{"Tty":true}`)
	if raw != "hi\r\n" {
		t.Fatalf("exec start with Tty: %q, want the raw %q", raw, "hi\r\n")
	}
	raw = execStartRaw(t, id, `{"Cmd":["echo","hi"],"Tty":true,"AttachStdout":true}`, `{"Tty":false}`)
	if raw != "\x01\x00\x00\x00\x00\x00\x00\x04hi\r\n" {
		t.Fatalf("exec start without Tty: %q, want one stdout frame", raw)
	}
}

// execStartRaw creates an exec with the create body and starts it with
// the start body over a plain HTTP connection, returning the stream.
func execStartRaw(t *testing.T, container, create, start string) string {
	t.Helper()
	resp, err := testEnv.http().Post("http://wharf/v1.41/containers/"+container+"/exec", "application/json", strings.NewReader(create))
	if err != nil {
		t.Fatal(err)
	}
	var buf strings.Builder
	io.Copy(&buf, resp.Body)
	resp.Body.Close()
	idx := strings.Index(buf.String(), `"Id":"`)
	if resp.StatusCode != http.StatusCreated || idx < 0 {
		t.Fatalf("exec create: %d %s", resp.StatusCode, buf.String())
	}
	execID := buf.String()[idx+6 : idx+6+64]
	conn, err := net.Dial("unix", testEnv.sock)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(30 * time.Second))
	req, _ := http.NewRequest("POST", "http://wharf/v1.41/exec/"+execID+"/start", strings.NewReader(start))
	req.Header.Set("Content-Type", "application/json")
	if err := req.Write(conn); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(conn)
	sresp, err := http.ReadResponse(br, req)
	if err != nil {
		t.Fatal(err)
	}
	if sresp.StatusCode != http.StatusOK || sresp.Header.Get("Content-Type") != "application/vnd.docker.raw-stream" {
		t.Fatalf("exec start: %d %q, want 200 with the raw-stream type (dockerd's, at 1.41)", sresp.StatusCode, sresp.Header.Get("Content-Type"))
	}
	data, _ := io.ReadAll(br)
	return string(data)
}

// A detached exec start answers at once, with an empty body.
func TestSDKExecDetached(t *testing.T) {
	id := runDetached(t, "wharf", uniqueName(t, "c"), "busybox", "sleep", "300")
	out := pythonSDK(t, `
e = api.exec_create(sys.argv[1], "sleep 5")
t0 = time.time()
out = api.exec_start(e["Id"], detach=True)
took = time.time() - t0
print(repr(out), took < 2, api.exec_inspect(e["Id"])["Running"])
`, id)
	if out != "'' True True\n" {
		t.Fatalf("detached exec_start printed %q, want an empty body at once and a running exec", out)
	}
}

// exec_start(socket=True) hands over the hijacked socket: what is written
// to it reaches the process's stdin, its output comes back framed (or raw
// with a TTY).
func TestSDKExecSocket(t *testing.T) {
	id := runDetached(t, "wharf", uniqueName(t, "c"), "busybox", "sleep", "300")
	out := pythonSDK(t, `
from docker.utils.socket import frames_iter
for tty in (False, True):
    e = api.exec_create(sys.argv[1], "head -n1", stdin=True, tty=tty)
    s = api.exec_start(e["Id"], socket=True, tty=tty)
    s._sock.sendall(b"ping\n")
    data = b"".join(d for _, d in frames_iter(s, tty))
    s.close()
    print(tty, repr(data), api.exec_inspect(e["Id"])["ExitCode"])
`, id)
	want := "False b'ping\\n' 0\nTrue b'ping\\r\\nping\\r\\n' 0\n"
	if out != want {
		t.Fatalf("exec_start(socket=True) printed\n%s\nwant\n%s", out, want)
	}
}

// attach with logs=1&stream=0 replays the container's output and ends.
func TestSDKAttachLogsNoStream(t *testing.T) {
	id := runDetached(t, "wharf", uniqueName(t, "c"), "busybox", "sh", "-c", "echo hello; echo err >&2; sleep 300")
	waitFor(t, 10*time.Second, "output", func() bool {
		return strings.Contains(testEnv.run("wharf", "logs", id).stderr, "err")
	})
	out := pythonSDK(t, `
for i in range(5):
    print(repr(api.attach(sys.argv[1], stream=False, logs=True)))
print(repr(api.attach(sys.argv[1], stream=False, logs=True, stderr=False)))
`, id)
	want := strings.Repeat("b'hello\\nerr\\n'\n", 5) + "b'hello\\n'\n"
	if out != want {
		t.Fatalf("attach(logs=True, stream=False) printed\n%s\nwant\n%s", out, want)
	}
}

// A command that cannot be executed exits 126, one that is missing 127,
// in run (the CLI's exit code and the container's recorded one) and in
// exec, with the docker CLI and python3-docker.
func TestExecRunExitCodes(t *testing.T) {
	id := runDetached(t, "wharf", uniqueName(t, "c"), "busybox", "sleep", "300")
	for _, tc := range []struct {
		name string
		cmd  string
		code int
	}{{"noexec", "/etc/passwd", 126}, {"missing", "nosuchcmd", 127}} {
		name := uniqueName(t, tc.name)
		cleanupContainers(t, name)
		r := testEnv.run("docker", "run", "--name", name, "busybox", tc.cmd)
		if r.code != tc.code {
			t.Errorf("docker run %s: exit %d, want %d (%s)", tc.cmd, r.code, tc.code, r.stderr)
		}
		if got := inspectField(t, name, "{{.State.ExitCode}}"); got != strconv.Itoa(tc.code) {
			t.Errorf("run %s: State.ExitCode %s, want %d", tc.cmd, got, tc.code)
		}
		for _, tty := range [][]string{nil, {"-t"}} {
			args := append(append([]string{"exec"}, tty...), id, tc.cmd)
			r := testEnv.run("docker", args...)
			if r.code != tc.code {
				t.Errorf("docker %v: exit %d, want %d", args, r.code, tc.code)
			}
			// The daemon's error only, as dockerd's: no runtime's line
			// in the process's output (crun writes one on its stderr,
			// runc on its terminal).
			if out := strings.TrimSpace(r.stdout + r.stderr); strings.Count(out, "\n") != 0 || !strings.HasPrefix(out, "OCI runtime exec failed: ") {
				t.Errorf("docker %v: output %q, want the daemon's one error line", args, out)
			}
		}
		out := pythonSDK(t, `print(client.containers.get(sys.argv[1]).exec_run(sys.argv[2]).exit_code)`, id, tc.cmd)
		if strings.TrimSpace(out) != strconv.Itoa(tc.code) {
			t.Errorf("python3-docker exec_run(%s): %s, want %d", tc.cmd, out, tc.code)
		}
	}
}
