//go:build integration

package integration

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/creack/pty"
)

// waitFor polls cond every 50 ms until it holds, failing the test after timeout.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// inspectField returns `wharf inspect --format format ref`, trimmed.
func inspectField(t *testing.T, ref, format string) string {
	t.Helper()
	return strings.TrimSpace(cli(t, "wharf", "inspect", "--format", format, ref))
}

// waitState waits until the container's .State.Status is want.
func waitState(t *testing.T, ref, want string) {
	t.Helper()
	waitFor(t, 10*time.Second, ref+" to be "+want, func() bool {
		r := testEnv.run("wharf", "inspect", "--format", "{{.State.Status}}", ref)
		return strings.TrimSpace(r.stdout) == want
	})
}

// runDetached runs `c run -d --name name args...`, removes the container
// when the test ends and returns its full id.
func runDetached(t *testing.T, c, name string, args ...string) string {
	t.Helper()
	cleanupContainers(t, name)
	out := cli(t, c, append([]string{"run", "-d", "--name", name}, args...)...)
	return strings.TrimSpace(out)
}

var (
	rootfsOnce sync.Once
	rootfsTar  string
	rootfsErr  error
)

// busyboxRootfs returns the path of a busybox root file system tarball,
// written once per test binary by hack/busybox-image.sh.
func busyboxRootfs(t *testing.T) string {
	t.Helper()
	rootfsOnce.Do(func() {
		rootfsTar = filepath.Join(filepath.Dir(testEnv.root), "busybox-rootfs.tar")
		if out, err := exec.Command("../../hack/busybox-image.sh", rootfsTar).CombinedOutput(); err != nil {
			rootfsErr = err
			rootfsTar = string(out)
		}
	})
	if rootfsErr != nil {
		t.Fatalf("busybox rootfs: %v\n%s", rootfsErr, rootfsTar)
	}
	return rootfsTar
}

// importImage imports the busybox rootfs as ref with the given Dockerfile
// changes (each passed as -c) and removes the image when the test ends.
func importImage(t *testing.T, ref string, changes ...string) string {
	t.Helper()
	args := []string{"import"}
	for _, ch := range changes {
		args = append(args, "-c", ch)
	}
	args = append(args, busyboxRootfs(t), ref)
	t.Cleanup(func() { testEnv.run("wharf", "rmi", "-f", ref) })
	return strings.TrimSpace(cli(t, "wharf", args...))
}

// writeFile writes a file in the test's temporary directory and returns its path.
func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// lines splits output into its non-empty lines.
func lines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimRight(l, "\r"); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// ptyProc is a CLI running on a pseudo-terminal.
type ptyProc struct {
	t    *testing.T
	f    *os.File
	mu   sync.Mutex
	out  bytes.Buffer
	done chan error
}

// startPty runs a CLI against the test daemon on a new 24x80 terminal.
// The process is killed when the test ends.
func startPty(t *testing.T, name string, args ...string) *ptyProc {
	t.Helper()
	path := filepath.Join(testEnv.bin, "wharf")
	if name == "docker" {
		path = "/usr/local/bin/docker"
	}
	cmd := exec.Command(path, args...)
	cmd.Env = append(os.Environ(), "DOCKER_HOST=unix://"+testEnv.sock, "DOCKER_CONFIG="+filepath.Join(filepath.Dir(testEnv.root), "dockercfg"), "TERM=xterm")
	f, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: 24, Cols: 80})
	if err != nil {
		t.Fatal(err)
	}
	p := &ptyProc{t: t, f: f, done: make(chan error, 1)}
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := f.Read(buf)
			p.mu.Lock()
			p.out.Write(buf[:n])
			p.mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	go func() { p.done <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		f.Close()
	})
	return p
}

// output is everything the process printed so far.
func (p *ptyProc) output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.out.String()
}

// expect waits until the output contains s.
func (p *ptyProc) expect(s string) {
	p.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(p.output(), s) {
		if time.Now().After(deadline) {
			p.t.Fatalf("no %q in the terminal output:\n%q", s, p.output())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// write types s on the terminal.
func (p *ptyProc) write(s string) {
	p.t.Helper()
	if _, err := p.f.Write([]byte(s)); err != nil {
		p.t.Fatal(err)
	}
}

// wait waits for the process to end and returns its exit code.
func (p *ptyProc) wait() int {
	p.t.Helper()
	select {
	case err := <-p.done:
		if ee, ok := err.(*exec.ExitError); ok {
			return ee.ExitCode()
		}
		if err != nil {
			p.t.Fatal(err)
		}
		return 0
	case <-time.After(15 * time.Second):
		p.t.Fatalf("terminal process did not end; output:\n%q", p.output())
		return -1
	}
}

// lockedBuffer is a bytes.Buffer safe to write from a process's output
// goroutines while a test reads it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
