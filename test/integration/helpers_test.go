//go:build integration

package integration

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
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
