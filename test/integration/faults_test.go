//go:build integration

package integration

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// TestFaults runs a private wharfd whose data root is a small tmpfs (room
// for the four writes once space is back, which keep their images until
// the end: 88 MiB in use after them, measured; 96 MiB ran out once) and
// gives it the faults of must-hold 3: a full disk, a registry connection
// cut in the middle of a blob, a runtime and a conmon that fail or die.
// Each fault must end the operation with a clear error, leave what the
// daemon shows whole and nothing behind, and once the fault is gone the
// same operation must work.
func TestFaults(t *testing.T) {
	mnt := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=160m", "wharf-it-faults", mnt).CombinedOutput(); err != nil {
		t.Fatalf("mount tmpfs: %v: %s", err, out)
	}
	t.Cleanup(func() { syscall.Unmount(mnt, syscall.MNT_DETACH) }) // after the daemon's teardown
	dir := t.TempDir()
	for name, script := range map[string]string{
		// runc refusing to create, and runc dying by a signal once it has
		// created the container (conmon is left to clean up after it).
		"runc-fails":  "#!/bin/sh\nfor a; do [ \"$a\" = create ] && { echo 'runc-fails: no such luck' >&2; exit 1; }; done\nexec runc \"$@\"\n",
		"runc-dies":   "#!/bin/sh\nfor a; do [ \"$a\" = create ] && { runc \"$@\"; kill -9 $$; }; done\nexec runc \"$@\"\n",
		"conmon-dies": "#!/bin/sh\nkill -9 $$\n",
	} {
		writeScript(t, filepath.Join(dir, name), script)
	}
	config := fmt.Sprintf(`{"runtimes": {"runc-fails": {"path": %q}, "runc-dies": {"path": %q}}}`,
		filepath.Join(dir, "runc-fails"), filepath.Join(dir, "runc-dies"))
	e := newPrivateEnv(t, config)
	e.root = filepath.Join(mnt, "root")
	e.startPrivate(t)
	reg := startRegistry(t, "")
	baseline := e.leaks()
	whole := func(t *testing.T, when string) {
		t.Helper()
		if bad := e.consistent(); len(bad) > 0 {
			t.Fatalf("%s: what the daemon shows is not whole:\n%s", when, strings.Join(bad, "\n"))
		}
	}
	// back checks that nothing is left: right away except for blobs, which
	// a failed transfer leaves to the next start; after a restart, all.
	back := func(t *testing.T, when string, restart bool) {
		t.Helper()
		whole(t, when)
		got, want := e.leaks(), baseline
		if !restart {
			got, want = withoutBlobs(got), withoutBlobs(want)
		}
		if got != want {
			t.Fatalf("%s:\n got %s\nwant %s", when, got, want)
		}
		if restart {
			e.stopDaemon(syscall.SIGTERM)
			if err := e.startDaemon(); err != nil {
				t.Fatal(err)
			}
			whole(t, when+", after a restart")
			if got := e.leaks(); got != baseline {
				t.Fatalf("%s, after a restart:\n got %s\nwant %s", when, got, baseline)
			}
		}
	}

	t.Run("disk full", func(t *testing.T) { diskFull(t, e, reg, back) })
	t.Run("registry cuts a blob", func(t *testing.T) { registryCuts(t, e, reg, back) })
	t.Run("runtime fails", func(t *testing.T) {
		for rt, says := range map[string]string{"runc-fails": "no such luck", "runc-dies": "killed"} {
			failedStart(t, e, `{"Image":"busybox","Cmd":["true"],"HostConfig":{"Runtime":"`+rt+`"}}`, says)
			back(t, "after a start with "+rt, false)
		}
	})
	t.Run("conmon dies", func(t *testing.T) {
		os.WriteFile(e.config, []byte(fmt.Sprintf(`{"conmon": %q}`, filepath.Join(dir, "conmon-dies"))), 0o644)
		t.Cleanup(func() { os.WriteFile(e.config, []byte(config), 0o644) })
		e.stopDaemon(syscall.SIGTERM)
		if err := e.startDaemon(); err != nil {
			t.Fatal(err)
		}
		failedStart(t, e, `{"Image":"busybox","Cmd":["true"]}`, "conmon")
		back(t, "after a start with a conmon that dies", false)
		os.WriteFile(e.config, []byte(config), 0o644)
		back(t, "after a start with a conmon that dies", true)
	})
}

// writeScript writes an executable shell script.
func writeScript(t *testing.T, path, script string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
}

// withoutBlobs drops the blob count from a leaks() answer.
func withoutBlobs(leaks string) string {
	i := strings.Index(leaks, "blobs ")
	j := strings.Index(leaks[i:], ",")
	return leaks[:i] + leaks[i+j:]
}

// failedStart creates a container with body, whose start must fail with
// an error naming want; the container is then not running, can be
// inspected and removed, and the daemon still runs containers.
func failedStart(t *testing.T, e *env, body, want string) {
	t.Helper()
	_, out, err := e.api("POST", "/containers/create?name=fault-start", body)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.api("DELETE", "/containers/fault-start?force=1", "") })
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, _, err = e.apiDo(ctx, "POST", "/containers/fault-start/start", nil, nil)
	if ctx.Err() != nil {
		_, stacks, _ := e.api("GET", "/debug/pprof/goroutine?debug=2", "")
		var ours []string
		for _, g := range strings.Split(stacks, "\n\n") {
			if strings.Contains(g, "wharf/internal") && !strings.Contains(g, "swarm") {
				ours = append(ours, g)
			}
		}
		t.Fatalf("start did not answer in 30 s:\n%s", strings.Join(ours, "\n\n"))
	}
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("start: %v, want an error naming %s (create said %s)", err, want, out)
	}
	t.Logf("start: %v", err)
	var c struct {
		State struct {
			Running bool
			Status  string
		}
	}
	if !e.apiJSON("/containers/fault-start/json", &c) || c.State.Running {
		t.Fatalf("after the failed start: %+v", c.State)
	}
	if _, _, err := e.api("DELETE", "/containers/fault-start", ""); err != nil {
		t.Fatal(err)
	}
}

// fill takes all but keep bytes of the file system holding dir, and
// returns a function giving them back.
func fill(t *testing.T, dir string, keep int64) func() {
	t.Helper()
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "filler")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if free := int64(st.Bavail)*st.Bsize - keep; free > 0 {
		if err := syscall.Fallocate(int(f.Fd()), 0, 0, free); err != nil {
			t.Fatalf("fallocate %d: %v", free, err)
		}
	}
	if keep == 0 { // the last blocks, one write at a time
		buf := make([]byte, 4096)
		for {
			if _, err := f.Write(buf); err != nil {
				break
			}
		}
	}
	free := func() { os.Remove(path) }
	t.Cleanup(free)
	return free
}

// spaceBack waits until the file system holding dir has want bytes free,
// and fails naming what takes the space if it does not come back.
func spaceBack(t *testing.T, dir string, want int64) {
	t.Helper()
	free := func() int64 {
		var st syscall.Statfs_t
		syscall.Statfs(dir, &st)
		return int64(st.Bavail) * st.Bsize
	}
	for end := time.Now().Add(30 * time.Second); free() < want && time.Now().Before(end); {
		time.Sleep(200 * time.Millisecond)
	}
	if got := free(); got < want {
		out, _ := exec.Command("du", "-ax", "-d", "3", dir).CombinedOutput()
		t.Fatalf("the space did not come back: %d MiB free, want %d MiB; what holds it:\n%s", got>>20, want>>20, out)
	}
}

// noSpace checks err is docker's "no space left on device".
func noSpace(t *testing.T, what string, err error) {
	t.Helper()
	if err == nil || !strings.Contains(strings.ToLower(err.Error()), "no space left on device") {
		t.Fatalf("%s on a full disk: %v, want \"no space left on device\"", what, err)
	}
	t.Logf("%s on a full disk: %.300s", what, err)
}

// diskFull fills the data root and tries each operation that writes to
// it; then frees the space and does each again.
func diskFull(t *testing.T, e *env, reg string, back func(*testing.T, string, bool)) {
	ctx := context.Background()
	archive, loadID := bigArchive(t, "fault-load:1", 3, 4<<20)
	load := func() error {
		f, err := os.Open(archive)
		if err != nil {
			return err
		}
		defer f.Close()
		_, _, err = e.apiDo(ctx, "POST", "/images/load?quiet=1", f, map[string]string{"Content-Type": "application/x-tar"})
		return err
	}
	pullRef := reg + "/fault/pull:1"
	pushArchive(t, e, pullRef)
	pull := func() error {
		_, _, err := e.api("POST", "/images/create?fromImage="+reg+"/fault/pull&tag=1", "")
		return err
	}
	buildCtx := contextTar(t, "FROM busybox\nRUN dd if=/dev/zero of=/a bs=1M count=8\n")
	// A RUN step that fails fails the build with its exit code, and
	// what the step said (dd: "No space left on device") is in the
	// build's output, as with dockerd.
	build := func() error {
		_, out, err := e.apiDo(ctx, "POST", "/build?t=fault-build:1&rm=1&forcerm=1", bytes.NewReader(buildCtx), map[string]string{"Content-Type": "application/x-tar"})
		if err != nil {
			return fmt.Errorf("%w; output: %s", err, out)
		}
		return nil
	}
	if _, _, err := e.api("POST", "/containers/create?name=fault-src", `{"Image":"busybox","Cmd":["sh","-c","dd if=/dev/urandom of=/big bs=1M count=8 && touch /ready && exec sleep 3600"]}`); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.api("DELETE", "/containers/fault-src?force=1", "") })
	e.api("POST", "/containers/fault-src/start", "")
	waitFor(t, 30*time.Second, "the file to commit", func() bool {
		code, _, _ := e.api("HEAD", "/containers/fault-src/archive?path=/ready", "")
		return code == 200
	})
	commit := func() error {
		_, _, err := e.api("POST", "/commit?container=fault-src&repo=fault-commit&tag=1", "")
		return err
	}
	run := func(cmd string) (string, error) {
		_, out, err := e.api("POST", "/containers/create?name=fault-run", `{"Image":"busybox","Cmd":["sh","-c",`+fmt.Sprintf("%q", cmd)+`]}`)
		if err != nil {
			return out, err
		}
		if _, _, err := e.api("POST", "/containers/fault-run/start", ""); err != nil {
			return "", err
		}
		_, out, err = e.api("POST", "/containers/fault-run/wait", "")
		if err != nil {
			return out, err
		}
		_, logs, _ := e.api("GET", "/containers/fault-run/logs?stdout=1&stderr=1", "")
		return out + logs, nil
	}
	rmRun := func() { e.api("DELETE", "/containers/fault-run?force=1", "") }
	t.Cleanup(rmRun)
	free := fill(t, e.root, 1<<20)
	noSpace(t, "load", load())
	noSpace(t, "pull", pull())
	noSpace(t, "commit", commit())
	// The build's RUN step fails inside the container with dd's exit
	// code, and what dd says reaches the client although conmon cannot
	// write the step's log on the full disk.
	if err := build(); err == nil || !strings.Contains(err.Error(), "returned a non-zero code: 1") ||
		!strings.Contains(strings.ToLower(err.Error()), "no space left on device") {
		t.Fatalf("build on a full disk: %v, want dd's exit code and its words", err)
	} else {
		t.Logf("build on a full disk: %.400s", err)
	}
	// A container writing to the full disk: dd fails with 1; its log is
	// lost (as dockerd's json-file is), but a client attached, as
	// `docker run` is, still reads why.
	out, err := run("dd if=/dev/zero of=/f bs=1M count=4")
	if err != nil || !strings.Contains(out, `"StatusCode":1`) {
		t.Fatalf("a container writing to a full disk: %v %s", err, out)
	}
	rmRun()
	if r := e.run("docker", "run", "--name", "fault-run", "busybox", "dd", "if=/dev/zero", "of=/f", "bs=1M", "count=4"); r.code != 1 ||
		!strings.Contains(strings.ToLower(r.stderr), "no space left on device") {
		t.Fatalf("docker run writing to a full disk: exit %d, stderr %q, want 1 and dd's words", r.code, r.stderr)
	} else {
		t.Logf("docker run writing to a full disk: exit 1, %q", strings.TrimSpace(r.stderr))
	}
	rmRun()
	free()

	free = fill(t, e.root, 0)
	_, err = run("true")
	noSpace(t, "run", err)
	rmRun()
	free()

	// Space again (once what held the removed files, such as an exiting
	// monitor's open log, has let go of them): each works, and once
	// removed, nothing is left.
	spaceBack(t, e.root, 48<<20)
	for name, op := range map[string]func() error{"load": load, "pull": pull, "commit": commit, "build": build} {
		if err := op(); err != nil {
			t.Fatalf("%s once space is back: %v", name, err)
		}
	}
	if out, err := run("dd if=/dev/zero of=/f bs=1M count=4"); err != nil || !strings.Contains(out, `"StatusCode":0`) {
		t.Fatalf("a container writing once space is back: %v %s", err, out)
	}
	rmRun()
	for _, ref := range []string{loadID, pullRef, "fault-commit:1", "fault-build:1"} {
		if _, _, err := e.api("DELETE", "/images/"+ref, ""); err != nil {
			t.Fatal(err)
		}
	}
	removeImagesNotIn(e, baselineImages(e))
	e.api("DELETE", "/containers/fault-src?force=1", "")
	back(t, "after a full disk, space freed, each operation done and removed", true)
}

// pushArchive loads a fresh 3-layer image tagged ref into e, pushes it to
// ref's registry and removes it from e.
func pushArchive(t *testing.T, e *env, ref string) {
	t.Helper()
	p, _ := bigArchive(t, ref, 3, 4<<20)
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ctx := context.Background()
	if _, _, err := e.apiDo(ctx, "POST", "/images/load?quiet=1", f, map[string]string{"Content-Type": "application/x-tar"}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.apiDo(ctx, "POST", "/images/"+ref+"/push", nil, map[string]string{"X-Registry-Auth": "e30="}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.api("DELETE", "/images/"+ref, ""); err != nil {
		t.Fatal(err)
	}
}

// baselineImages is the set of e's image IDs (busybox: the suite's only
// image kept by every test here).
func baselineImages(e *env) map[string]bool {
	var images []struct {
		ID       string
		RepoTags []string
	}
	e.apiJSON("/images/json?all=1", &images)
	keep := map[string]bool{}
	for _, im := range images {
		for _, tag := range im.RepoTags {
			if tag == "busybox:latest" {
				keep[im.ID] = true
			}
		}
	}
	return keep
}

// removeImagesNotIn removes every image of e not in keep (a build's step
// images, which dockerd's rmi would take with their child).
func removeImagesNotIn(e *env, keep map[string]bool) {
	var images []struct{ ID string }
	e.apiJSON("/images/json?all=1", &images)
	for _, im := range images {
		if !keep[im.ID] {
			e.api("DELETE", "/images/"+im.ID+"?force=1", "")
		}
	}
}

// cutter is a TCP proxy to a registry that, while cut is set, closes a
// connection once more than 1 MiB has come back on it: in the middle of
// the first layer blob.
type cutter struct {
	ln   net.Listener
	to   string
	cut  atomic.Bool
	cuts atomic.Int32
	wg   sync.WaitGroup

	mu    sync.Mutex
	conns []net.Conn // closed when the test ends: keep-alive ones stay open
}

// track keeps c to close at the end.
func (c *cutter) track(conn net.Conn) {
	c.mu.Lock()
	c.conns = append(c.conns, conn)
	c.mu.Unlock()
}

func (c *cutter) close() {
	c.ln.Close()
	c.mu.Lock()
	for _, conn := range c.conns {
		conn.Close()
	}
	c.mu.Unlock()
	c.wg.Wait()
}

func newCutter(t *testing.T, to string) *cutter {
	t.Helper()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c := &cutter{ln: ln, to: to}
	c.cut.Store(true)
	go c.serve()
	t.Cleanup(c.close)
	return c
}

func (c *cutter) serve() {
	for {
		conn, err := c.ln.Accept()
		if err != nil {
			return
		}
		c.wg.Add(1)
		go func() {
			defer c.wg.Done()
			defer conn.Close()
			c.track(conn)
			up, err := net.Dial("tcp4", c.to)
			if err != nil {
				return
			}
			c.track(up)
			defer up.Close()
			go io.Copy(up, conn)
			if !c.cut.Load() {
				io.Copy(conn, up)
				return
			}
			if n, _ := io.CopyN(conn, up, 1<<20); n == 1<<20 {
				c.cuts.Add(1)
			}
		}()
	}
}

// registryCuts pulls through a proxy that cuts each blob: a clear error
// and no partial layer; with the proxy mended, the same pull works.
func registryCuts(t *testing.T, e *env, reg string, back func(*testing.T, string, bool)) {
	ref := "fault/cut:1"
	pushArchive(t, e, reg+"/"+ref)
	proxy := newCutter(t, reg)
	via := proxy.ln.Addr().String()
	pull := func() error {
		_, _, err := e.api("POST", "/images/create?fromImage="+via+"/fault/cut&tag=1", "")
		return err
	}
	err := pull()
	if err == nil || proxy.cuts.Load() == 0 {
		t.Fatalf("a pull whose blobs are cut (%d cut): %v", proxy.cuts.Load(), err)
	}
	t.Logf("a pull whose blobs are cut (%d connections cut): %.300s", proxy.cuts.Load(), err)
	if code, _, _ := e.api("GET", "/images/"+via+"/"+ref+"/json", ""); code != 404 {
		t.Fatalf("after the cut pull, the image answers %d", code)
	}
	back(t, "after a pull whose blobs were cut", false)
	proxy.cut.Store(false)
	if err := pull(); err != nil {
		t.Fatalf("the pull again once the connection holds: %v", err)
	}
	if _, _, err := e.api("DELETE", "/images/"+via+"/"+ref, ""); err != nil {
		t.Fatal(err)
	}
	back(t, "after a cut pull, then a whole one, then its image removed", true)
}
