//go:build integration

// Package integration runs wharfd for real, as root, on a private data
// root and socket, and drives it with the wharf CLI, the official docker
// CLI (/usr/local/bin/docker, pointed at wharfd with DOCKER_HOST) and raw
// HTTP. Run with: go test -tags integration ./test/...
package integration

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// env is the daemon under test, shared by every test in the package.
type env struct {
	bin      string // directory holding wharf and wharfd
	root     string // --data-root
	execRoot string // --exec-root
	sock     string
	config   string     // wharfd's -config-file
	wrap     []string   // a command wharfd runs under, such as prlimit
	args     []string   // more wharfd flags, such as -H tcp://...
	environ  []string   // more environment, such as NOTIFY_SOCKET
	files    []*os.File // passed to wharfd as fds 3, 4, ...
	daemon   *exec.Cmd
	logFile  string
	hostNet  hostNet // the host's network state before the suite
}

// the one daemon all tests share; set up by TestMain.
var testEnv *env

func TestMain(m *testing.M) {
	if os.Geteuid() != 0 {
		fmt.Println("integration tests need root: skipped")
		os.Exit(0)
	}
	e, err := setup()
	if err != nil {
		fmt.Fprintln(os.Stderr, "integration setup:", err)
		if e != nil {
			e.teardown()
		}
		os.Exit(1)
	}
	testEnv = e
	code := m.Run()
	if code != 0 {
		if data, err := os.ReadFile(e.logFile); err == nil {
			if len(data) > 8000 {
				data = data[len(data)-8000:]
			}
			fmt.Fprintf(os.Stderr, "wharfd log (tail):\n%s\n", data)
		}
	}
	if err := e.teardown(); err != nil {
		fmt.Fprintln(os.Stderr, "integration teardown:", err)
		code = 1
	}
	os.Exit(code)
}

func setup() (*env, error) {
	tmp, err := os.MkdirTemp("", "wharf-it-")
	if err != nil {
		return nil, err
	}
	e := newEnv(filepath.Join(tmp, "bin"), tmp, fmt.Sprintf("/run/wharf-it-%d", os.Getpid()))
	e.hostNet = saveHostNet()
	if out, err := exec.Command("make", "-C", "../..", "build", "compose-plugin", "BIN="+e.bin).CombinedOutput(); err != nil {
		return e, fmt.Errorf("building: %v\n%s", err, out)
	}
	// WHARF_RACE=1 runs a wharfd built with the race detector (the soak
	// campaign's form); teardown fails on any race it reports.
	if os.Getenv("WHARF_RACE") != "" {
		if out, err := exec.Command("go", "build", "-race", "-trimpath", "-o", filepath.Join(e.bin, "wharfd"), "../../cmd/wharfd").CombinedOutput(); err != nil {
			return e, fmt.Errorf("building wharfd with -race: %v\n%s", err, out)
		}
	}
	// `docker compose` finds the plugin in the suite's DOCKER_CONFIG.
	plugins := filepath.Join(filepath.Dir(e.root), "dockercfg", "cli-plugins")
	if err := os.MkdirAll(plugins, 0o755); err != nil {
		return e, err
	}
	if err := os.Symlink(filepath.Join(e.bin, "docker-compose"), filepath.Join(plugins, "docker-compose")); err != nil {
		return e, err
	}
	if err := e.startDaemon(); err != nil {
		return e, err
	}
	tar := filepath.Join(tmp, "busybox.tar")
	if out, err := exec.Command("../../hack/busybox-image.sh", tar).CombinedOutput(); err != nil {
		return e, fmt.Errorf("busybox rootfs: %v\n%s", err, out)
	}
	r := e.run("wharf", "import", "-c", `CMD ["sh"]`, tar, "busybox:latest")
	if r.code != 0 {
		return e, fmt.Errorf("importing busybox: %s", r.stderr)
	}
	return e, nil
}

// newEnv describes a daemon run from the binaries in bin, with its data
// root and log in dir and its exec root (and socket) in execRoot.
func newEnv(bin, dir, execRoot string) *env {
	return &env{
		bin:      bin,
		root:     filepath.Join(dir, "root"),
		execRoot: execRoot,
		sock:     filepath.Join(execRoot, "wharf.sock"),
		config:   "/nonexistent",
		logFile:  filepath.Join(dir, "wharfd.log"),
	}
}

// startDaemon starts wharfd and waits for its socket to answer.
func (e *env) startDaemon() error {
	log, err := os.OpenFile(e.logFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	argv := append(append([]string{}, e.wrap...), filepath.Join(e.bin, "wharfd"), "-D",
		"-config-file", e.config, "-data-root", e.root, "-exec-root", e.execRoot, "-H", "unix://"+e.sock,
		"-cgroup-parent", e.cgroupParent())
	// WHARF_IT_RUNTIME=runc (or crun) runs the suite with that runtime
	// as every daemon's default (but a daemon.json's own); unset, wharfd
	// chooses: crun where it is installed, else runc.
	if rt := os.Getenv("WHARF_IT_RUNTIME"); rt != "" {
		if data, _ := os.ReadFile(e.config); !bytes.Contains(data, []byte(`"default-runtime"`)) {
			argv = append(argv, "-default-runtime", rt)
		}
	}
	argv = append(argv, e.args...)
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = append(os.Environ(), e.environ...)
	cmd.ExtraFiles = e.files
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		return err
	}
	e.daemon = cmd
	go cmd.Wait()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := e.http().Get("http://wharf/_ping"); err == nil {
			resp.Body.Close()
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	data, _ := os.ReadFile(e.logFile)
	return fmt.Errorf("wharfd did not come up:\n%s", data)
}

// privateDaemons counts the daemons started beside the suite's.
var privateDaemons atomic.Int32

// privateDaemon starts a wharfd of a test's own beside the suite's, with
// daemonJSON as its daemon.json, run under wrap (such as prlimit), and
// with the busybox image. When the test ends it is torn down and checked
// for leftovers as the suite's daemon is.
func privateDaemon(t *testing.T, daemonJSON string, wrap ...string) *env {
	t.Helper()
	e := newPrivateEnv(t, daemonJSON)
	e.wrap = wrap
	e.startPrivate(t)
	return e
}

// newPrivateEnv prepares a private daemon's directories and daemon.json,
// and its teardown when the test ends, without starting it.
func newPrivateEnv(t *testing.T, daemonJSON string) *env {
	t.Helper()
	dir := t.TempDir()
	e := newEnv(testEnv.bin, dir, fmt.Sprintf("%s-%d", testEnv.execRoot, privateDaemons.Add(1)))
	// The host's network is the suite's to put back, when its daemon ends.
	e.hostNet = testEnv.hostNet
	e.config = filepath.Join(dir, "daemon.json")
	if err := os.WriteFile(e.config, []byte(daemonJSON), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := e.teardown(); err != nil {
			t.Errorf("private wharfd teardown: %v", err)
		}
	})
	return e
}

// startPrivate starts a private daemon and gives it the busybox image.
func (e *env) startPrivate(t *testing.T) {
	t.Helper()
	if err := e.startDaemon(); err != nil {
		t.Fatal(err)
	}
	if r := e.run("wharf", "import", "-c", `CMD ["sh"]`, busyboxRootfs(t), "busybox:latest"); r.code != 0 {
		t.Fatalf("importing busybox: %s", r.stderr)
	}
}

// stopDaemon stops wharfd with sig and waits for it to go: until it has,
// it holds its roots' locks and the next wharfd on them is refused.
func (e *env) stopDaemon(sig syscall.Signal) {
	if e.daemon == nil || e.daemon.Process == nil {
		return
	}
	e.daemon.Process.Signal(sig)
	for i := 0; i < 600; i++ {
		if e.daemon.Process.Signal(syscall.Signal(0)) != nil {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	e.daemon = nil
}

// teardown removes every container, stops the daemon and checks that
// nothing is left mounted.
func (e *env) teardown() error {
	if e.daemon != nil {
		if ids := strings.Fields(e.run("wharf", "ps", "-aq").stdout); len(ids) > 0 {
			e.run("wharf", append([]string{"rm", "-f"}, ids...)...)
		}
		// A network's bridge outlives the daemon (as docker0 does), so
		// the networks tests left go now; they are named, for whoever
		// looks for the test that left them.
		if left := e.run("wharf", "network", "ls", "--filter", "type=custom", "--format", "{{.Name}}").stdout; strings.TrimSpace(left) != "" {
			fmt.Fprintf(os.Stderr, "networks left at teardown: %s\n", strings.Join(strings.Fields(left), " "))
			e.run("wharf", "network", "prune", "-f")
		}
	}
	e.stopDaemon(syscall.SIGTERM)
	var problems []string
	mounts, _ := os.ReadFile("/proc/self/mounts")
	for _, line := range strings.Split(string(mounts), "\n") {
		f := strings.Fields(line)
		if len(f) > 1 && (strings.HasPrefix(f[1], e.root) || strings.HasPrefix(f[1], e.execRoot)) {
			problems = append(problems, "left mounted: "+f[1])
			syscall.Unmount(f[1], syscall.MNT_DETACH)
		}
	}
	problems = append(problems, e.leftoverProcesses()...)
	// A daemon built with -race (WHARF_RACE=1) reports races in its log.
	if data, err := os.ReadFile(e.logFile); err == nil {
		if i := bytes.Index(data, []byte("WARNING: DATA RACE")); i >= 0 {
			problems = append(problems, "the daemon found data races:\n"+string(data[i:min(len(data), i+20000)]))
		}
	}
	problems = append(problems, e.removeCgroupParent()...)
	problems = append(problems, e.hostNet.restore()...)
	os.RemoveAll(e.execRoot)
	// WHARF_IT_LOG=path keeps the daemon's log for a post-mortem.
	if keep := os.Getenv("WHARF_IT_LOG"); keep != "" {
		if data, err := os.ReadFile(e.logFile); err == nil {
			os.WriteFile(keep, data, 0o644)
		}
	}
	os.RemoveAll(filepath.Dir(e.root))
	if len(problems) > 0 {
		return fmt.Errorf("%s", strings.Join(problems, "\n"))
	}
	return nil
}

// itRuntime is the runtime the suite's containers run with by default:
// WHARF_IT_RUNTIME, else the one the suite's wharfd chose.
func itRuntime() string {
	if rt := os.Getenv("WHARF_IT_RUNTIME"); rt != "" {
		return rt
	}
	return strings.TrimSpace(testEnv.run("wharf", "info", "--format", "{{.DefaultRuntime}}").stdout)
}

// cgroupParent is the suite's own cgroup parent, so that what it leaves
// behind can be told from other engines' cgroups.
func (e *env) cgroupParent() string { return filepath.Base(e.execRoot) }

// cgroupDirs lists the suite's container cgroups in every hierarchy.
func (e *env) cgroupDirs() []string {
	dirs, _ := filepath.Glob(filepath.Join("/sys/fs/cgroup/*", e.cgroupParent(), "*"))
	more, _ := filepath.Glob(filepath.Join("/sys/fs/cgroup/unified", e.cgroupParent(), "*"))
	var out []string
	for _, d := range append(dirs, more...) {
		if st, err := os.Stat(d); err == nil && st.IsDir() {
			out = append(out, d)
		}
	}
	return out
}

// removeCgroupParent reports container cgroups left behind, then removes
// the (empty) parent in every hierarchy.
func (e *env) removeCgroupParent() []string {
	var problems []string
	for _, d := range e.cgroupDirs() {
		problems = append(problems, "cgroup left: "+d)
		syscall.Rmdir(d)
	}
	parents, _ := filepath.Glob(filepath.Join("/sys/fs/cgroup/*", e.cgroupParent()))
	unified, _ := filepath.Glob(filepath.Join("/sys/fs/cgroup/unified", e.cgroupParent()))
	for _, p := range append(parents, unified...) {
		syscall.Rmdir(p)
	}
	return problems
}

// leftoverProcesses reports conmon monitors of this suite still running.
func (e *env) leftoverProcesses() []string {
	var problems []string
	procs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, p := range procs {
		data, err := os.ReadFile(p)
		argv0, _, _ := strings.Cut(string(data), "\x00")
		if err == nil && filepath.Base(argv0) == "conmon" && strings.Contains(string(data), e.execRoot+"/") {
			problems = append(problems, "process left: "+strings.ReplaceAll(string(data), "\x00", " "))
		}
	}
	return problems
}

// http returns a client speaking to wharfd's socket.
func (e *env) http() *http.Client {
	return &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "unix", e.sock)
		},
	}}
}

// result is what a CLI run printed and its exit code.
type result struct {
	stdout, stderr string
	code           int
}

// run runs the wharf CLI ("wharf") or the docker CLI ("docker") against
// the test daemon.
func (e *env) run(cli string, args ...string) result {
	return e.runIn(nil, cli, args...)
}

// runIn is run with stdin.
func (e *env) runIn(stdin []byte, cli string, args ...string) result {
	return e.runDir("", stdin, cli, args...)
}

// runDir is runIn in the directory dir. cli is "wharf", "docker" (the
// official docker CLI) or "docker-compose" (Debian's docker-compose 1.29).
func (e *env) runDir(dir string, stdin []byte, cli string, args ...string) result {
	path := filepath.Join(e.bin, "wharf")
	switch cli {
	case "docker":
		path = "/usr/local/bin/docker"
	case "docker-compose":
		path = "/usr/bin/docker-compose"
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, path, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "DOCKER_HOST=unix://"+e.sock, "DOCKER_CONFIG="+filepath.Join(filepath.Dir(e.root), "dockercfg"))
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	return collect(cmd)
}

// collect runs cmd and returns its output and exit code; a command that
// could not run at all has code -1 and the reason on stderr.
func collect(cmd *exec.Cmd) result {
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		code = -1
		errOut.WriteString(err.Error())
	}
	return result{stdout: out.String(), stderr: errOut.String(), code: code}
}

// clis are the two clients every CLI test runs with.
var clis = []string{"wharf", "docker"}

// cli runs a command and fails the test unless it exits 0.
func cli(t *testing.T, name string, args ...string) string {
	t.Helper()
	r := testEnv.run(name, args...)
	if r.code != 0 {
		t.Fatalf("%s %s: exit %d\nstdout: %s\nstderr: %s", name, strings.Join(args, " "), r.code, r.stdout, r.stderr)
	}
	return r.stdout
}

// cleanupContainers removes the named containers when the test ends.
func cleanupContainers(t *testing.T, names ...string) {
	t.Cleanup(func() {
		testEnv.run("wharf", append([]string{"rm", "-f"}, names...)...)
	})
}

// uniqueName gives each test its own container names.
func uniqueName(t *testing.T, suffix string) string {
	n := strings.NewReplacer("/", "-", "_", "-").Replace(strings.ToLower(t.Name()))
	if len(n) > 40 {
		n = n[len(n)-40:]
	}
	return strings.Trim(n, "-.") + "-" + suffix
}
