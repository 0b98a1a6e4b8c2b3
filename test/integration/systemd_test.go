//go:build integration

package integration

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// This machine has no systemd as PID 1, so these tests play systemd's
// part: a NOTIFY_SOCKET of their own for sd_notify, and a listening
// socket handed over as fd 3 with LISTEN_FDS/LISTEN_PID for socket
// activation, as systemd does. Stopping and restarting the service under
// a real systemd with containers running is left to a machine that has
// one (KillMode=process: test/integration/restart_test.go proves that
// containers outlive wharfd's end).

// TestSystemdUnits: the shipped units pass systemd-analyze verify.
func TestSystemdUnits(t *testing.T) {
	if _, err := exec.LookPath("systemd-analyze"); err != nil {
		t.Skip("systemd-analyze is not installed")
	}
	dir := t.TempDir()
	for _, unit := range []string{"wharfd.service", "wharfd.socket"} {
		data, err := os.ReadFile(filepath.Join("../../contrib/systemd", unit))
		if err != nil {
			t.Fatal(err)
		}
		text := strings.ReplaceAll(string(data), "@BINDIR@", testEnv.bin)
		for _, want := range []string{"Type=notify", "KillMode=process", "Delegate=yes", "-H fd://", "Restart=on-failure", "LimitNOFILE="} {
			if unit == "wharfd.service" && !strings.Contains(text, want) {
				t.Errorf("%s lacks %s", unit, want)
			}
		}
		if err := os.WriteFile(filepath.Join(dir, unit), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out, err := exec.Command("systemd-analyze", "verify", filepath.Join(dir, "wharfd.socket"), filepath.Join(dir, "wharfd.service")).CombinedOutput()
	if err != nil || len(out) > 0 {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
}

// TestSystemdActivationAndNotify: wharfd -H fd:// serves the socket it is
// handed (LISTEN_FDS/LISTEN_PID), sends READY=1 only once its API
// answers, and STOPPING=1 when told to stop; containers run through the
// activated socket; and neither variable reaches the containers.
func TestSystemdActivationAndNotify(t *testing.T) {
	dir, err := os.MkdirTemp("", "wharf-it-sd-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	notifyPath := filepath.Join(dir, "notify")
	notify, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: notifyPath, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer notify.Close()
	activated := filepath.Join(dir, "activated.sock")
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: activated, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	lnFile, err := ln.File()
	if err != nil {
		t.Fatal(err)
	}
	ln.SetUnlinkOnClose(false) // the socket is wharfd's now
	ln.Close()
	defer lnFile.Close()

	e := newPrivateEnv(t, `{"iptables": false}`)
	e.args = []string{"-H", "fd://"}
	e.environ = []string{"NOTIFY_SOCKET=" + notifyPath, "LISTEN_FDS=1"}
	e.files = []*os.File{lnFile}
	// LISTEN_PID must be wharfd's own pid: a shell sets it and execs wharfd.
	e.wrap = []string{"sh", "-c", `LISTEN_PID=$$ exec "$0" "$@"`}
	// READY=1 must come only once the API answers: the reader asks it
	// the moment the message arrives.
	type message struct {
		text     string
		answered bool
	}
	messages := make(chan message, 8)
	go func() {
		defer close(messages)
		buf := make([]byte, 4096)
		for {
			n, err := notify.Read(buf)
			if err != nil {
				return
			}
			m := message{text: string(buf[:n])}
			if m.text == "READY=1" {
				m.answered = pingUnix(activated)
			}
			messages <- m
		}
	}()
	next := func() message {
		select {
		case m := <-messages:
			return m
		case <-time.After(15 * time.Second):
			t.Fatal("no message on NOTIFY_SOCKET")
		}
		return message{}
	}
	e.startPrivate(t)
	if m := next(); m.text != "READY=1" || !m.answered {
		t.Fatalf("first sd_notify message %+v, want READY=1 with the API answering", m)
	}
	sock := e.sock
	e.sock = activated
	if r := e.run("docker", "run", "--rm", "busybox", "env"); r.code != 0 {
		t.Errorf("run through the activated socket: %d %s", r.code, r.stderr)
	} else if strings.Contains(r.stdout, "NOTIFY_SOCKET") || strings.Contains(r.stdout, "LISTEN_") {
		t.Errorf("systemd's variables reached the container:\n%s", r.stdout)
	}
	e.sock = sock
	e.daemon.Process.Signal(syscall.SIGHUP)
	if a, b := next(), next(); a.text != "RELOADING=1" || b.text != "READY=1" {
		t.Errorf("on SIGHUP: %q then %q", a.text, b.text)
	}
	e.stopDaemon(syscall.SIGTERM)
	if m := next(); m.text != "STOPPING=1" {
		t.Errorf("on SIGTERM: %q", m.text)
	}
}

// pingUnix reports whether the API on the unix socket at path answers
// /_ping with 200.
func pingUnix(path string) bool {
	conn, err := net.DialTimeout("unix", path, 2*time.Second)
	if err != nil {
		return false
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := conn.Write([]byte("GET /_ping HTTP/1.0\r\nHost: wharf\r\n\r\n")); err != nil {
		return false
	}
	buf := make([]byte, 64)
	n, _ := conn.Read(buf)
	return strings.HasPrefix(string(buf[:n]), "HTTP/1.0 200") || strings.HasPrefix(string(buf[:n]), "HTTP/1.1 200")
}
