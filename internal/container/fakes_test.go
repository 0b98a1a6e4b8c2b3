package container

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/events"
	"github.com/opencontainers/go-digest"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/wharf/wharf/internal/errs"
	"github.com/wharf/wharf/internal/image"
	"github.com/wharf/wharf/internal/runtime"
	"github.com/wharf/wharf/internal/store/layer"
)

var _ Runtime = (*fakeRuntime)(nil)

// fakeRuntime stands in for conmon and runc. It keeps each container's
// state in memory and reports exits as conmon does: it writes the exit
// code to <ExitDir>/<id>, by rename, and the service's inotify watch
// picks it up.
type fakeRuntime struct {
	mu         sync.Mutex
	containers map[string]*fakeContainer
	nextPid    int
	cgroupRoot string

	// createErr, when set, fails every Create.
	createErr error
	// onStart runs after a container starts (outside mu): a test makes
	// its process exit at once there.
	onStart func(id string)
	// onExit runs as a container's process ends (under mu: it must not
	// call the runtime): a test closes what stood for its conmon there.
	onExit func(id string)
	// ignored are the signals the processes catch and carry on after.
	ignored map[syscall.Signal]bool
	// exec decides what an exec'd command does (default: execByScript).
	exec func(args []string) fakeExecResult
	// signals records every signal sent, per container.
	signals map[string][]syscall.Signal
}

type fakeContainer struct {
	status    string // created, running, paused, stopped
	pid       int
	exitDir   string
	bundle    string
	resources *specs.LinuxResources
}

// fakeExecResult is what an exec'd command does: print output and end
// with code, or hang until killed.
type fakeExecResult struct {
	output string
	code   int
	hang   bool
}

func newFakeRuntime(t *testing.T) *fakeRuntime {
	return &fakeRuntime{
		containers: map[string]*fakeContainer{},
		// Above any real pid_max: a pid no real process has.
		nextPid:    1 << 22,
		cgroupRoot: t.TempDir(),
		ignored:    map[syscall.Signal]bool{},
		signals:    map[string][]syscall.Signal{},
	}
}

func (r *fakeRuntime) Create(ctx context.Context, o runtime.CreateOptions) (int, error) {
	// As conmon: the bundle is completed while the monitor starts.
	if o.Prepare != nil {
		if err := o.Prepare(); err != nil {
			return 0, err
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.createErr != nil {
		return 0, r.createErr
	}
	if _, err := os.Stat(filepath.Join(o.Bundle, "config.json")); err != nil {
		return 0, fmt.Errorf("bundle without config.json: %w", err)
	}
	if _, ok := r.containers[o.ID]; ok {
		return 0, fmt.Errorf("container %s exists", o.ID)
	}
	r.nextPid++
	r.containers[o.ID] = &fakeContainer{status: "created", pid: r.nextPid, exitDir: o.ExitDir, bundle: o.Bundle}
	return r.nextPid, nil
}

func (r *fakeRuntime) Start(ctx context.Context, id string) error {
	r.mu.Lock()
	fc, ok := r.containers[id]
	if !ok || fc.status != "created" {
		r.mu.Unlock()
		return fmt.Errorf("cannot start container %s", id)
	}
	fc.status = "running"
	onStart := r.onStart
	r.mu.Unlock()
	if onStart != nil {
		onStart(id)
	}
	return nil
}

func (r *fakeRuntime) Kill(ctx context.Context, id string, sig syscall.Signal, all bool) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	fc, ok := r.containers[id]
	if !ok {
		return fmt.Errorf("container %s does not exist", id)
	}
	if fc.status == "stopped" {
		return errors.New("container not running")
	}
	r.signals[id] = append(r.signals[id], sig)
	if sig == syscall.SIGKILL || (!r.ignored[sig] && fc.status != "paused") {
		r.exitLocked(id, 128+int(sig))
	}
	return nil
}

// exit ends id's process with code, as if it returned.
func (r *fakeRuntime) exit(id string, code int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.exitLocked(id, code)
}

func (r *fakeRuntime) exitLocked(id string, code int) {
	fc, ok := r.containers[id]
	if !ok || fc.status == "stopped" {
		return
	}
	fc.status = "stopped"
	if r.onExit != nil {
		r.onExit(id)
	}
	writeExitFile(fc.exitDir, id, code)
}

// writeExitFile records an exit as conmon does: a temporary name, then a
// rename to the container's id.
func writeExitFile(dir, id string, code int) {
	tmp := filepath.Join(dir, id+".tmp")
	if err := os.WriteFile(tmp, []byte(strconv.Itoa(code)), 0o600); err == nil {
		os.Rename(tmp, filepath.Join(dir, id))
	}
}

func (r *fakeRuntime) Delete(ctx context.Context, id string, force bool) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	fc, ok := r.containers[id]
	if !ok {
		return errs.NotFound("container %s does not exist", id)
	}
	if fc.status != "stopped" {
		if !force {
			return errors.New("cannot delete a container that is not stopped")
		}
		r.exitLocked(id, 137)
	}
	delete(r.containers, id)
	return nil
}

func (r *fakeRuntime) Exists(id string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	_, ok := r.containers[id]
	return ok
}

func (r *fakeRuntime) State(ctx context.Context, id string) (runtime.State, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	fc, ok := r.containers[id]
	if !ok {
		return runtime.State{}, errs.NotFound("container %s does not exist", id)
	}
	return runtime.State{Status: fc.status, Pid: fc.pid}, nil
}

func (r *fakeRuntime) setPaused(id string, from, to string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	fc, ok := r.containers[id]
	if !ok || fc.status != from {
		return fmt.Errorf("container %s is not %s", id, from)
	}
	fc.status = to
	return nil
}

func (r *fakeRuntime) Pause(ctx context.Context, id string) error {
	return r.setPaused(id, "running", "paused")
}

func (r *fakeRuntime) Resume(ctx context.Context, id string) error {
	return r.setPaused(id, "paused", "running")
}

func (r *fakeRuntime) Pids(ctx context.Context, id string) ([]int, error) {
	st, err := r.State(ctx, id)
	return []int{st.Pid}, err
}

func (r *fakeRuntime) Exec(ctx context.Context, id string, o runtime.ExecOptions) (runtime.Process, error) {
	if st, err := r.State(ctx, id); err != nil || st.Status != "running" {
		return nil, fmt.Errorf("container %s is not running", id)
	}
	data, err := os.ReadFile(o.ProcessFile)
	if err != nil {
		return nil, err
	}
	var proc specs.Process
	if err := json.Unmarshal(data, &proc); err != nil {
		return nil, err
	}
	r.mu.Lock()
	decide := r.exec
	r.nextPid++
	p := &fakeProcess{pid: r.nextPid, done: make(chan struct{})}
	r.mu.Unlock()
	if decide == nil {
		decide = execByScript
	}
	res := decide(proc.Args)
	if o.Stdout != nil {
		io.WriteString(o.Stdout, res.output)
	}
	if !res.hang {
		p.end(res.code)
	}
	return p, nil
}

// execByScript runs "sh -c 'exit N'" as exiting with N, "sh -c 'sleep …'"
// as hanging, and anything else as succeeding.
func execByScript(args []string) fakeExecResult {
	script := strings.Join(args, " ")
	if len(args) == 3 && args[1] == "-c" {
		script = args[2]
	}
	if code, ok := strings.CutPrefix(script, "exit "); ok {
		n, _ := strconv.Atoi(code)
		return fakeExecResult{code: n}
	}
	return fakeExecResult{hang: strings.HasPrefix(script, "sleep")}
}

func (r *fakeRuntime) Update(ctx context.Context, id string, res *specs.LinuxResources) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	fc, ok := r.containers[id]
	if !ok || fc.status == "stopped" {
		return fmt.Errorf("container %s is not running", id)
	}
	fc.resources = res
	return nil
}

// CgroupPaths gives every container a unified-hierarchy directory under
// cgroupRoot, which a test fills with counters.
func (r *fakeRuntime) CgroupPaths(id string) (map[string]string, error) {
	if !r.Exists(id) {
		return nil, errs.NotFound("container %s does not exist", id)
	}
	return map[string]string{"": filepath.Join(r.cgroupRoot, id)}, nil
}

// status is the fake's view of id: "" once deleted.
func (r *fakeRuntime) status(id string) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	if fc, ok := r.containers[id]; ok {
		return fc.status
	}
	return ""
}

func (r *fakeRuntime) signalsSent(id string) []syscall.Signal {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]syscall.Signal(nil), r.signals[id]...)
}

func (r *fakeRuntime) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.containers)
}

// fakeProcess is an exec'd process of the fake runtime.
type fakeProcess struct {
	pid  int
	once sync.Once
	code int
	done chan struct{}
}

func (p *fakeProcess) end(code int) {
	p.once.Do(func() {
		p.code = code
		close(p.done)
	})
}

func (p *fakeProcess) Pid() int                        { return p.pid }
func (p *fakeProcess) Resize(height, width uint) error { return nil }

func (p *fakeProcess) Kill(sig syscall.Signal) error {
	p.end(128 + int(sig))
	return nil
}

func (p *fakeProcess) Wait() (int, error) {
	<-p.done
	return p.code, nil
}

// fakeMounter records mounts instead of making them.
type fakeMounter struct {
	mu      sync.Mutex
	mounted map[string]string // target → data
}

func (m *fakeMounter) Mount(source, target, fstype string, flags uintptr, data string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.mounted == nil {
		m.mounted = map[string]string{}
	}
	m.mounted[target] = data
	return nil
}

func (m *fakeMounter) Unmount(target string, flags int) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.mounted[target]; !ok {
		return unix.EINVAL // what the kernel says of a path that is not mounted
	}
	delete(m.mounted, target)
	return nil
}

func (m *fakeMounter) has(target string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	_, ok := m.mounted[target]
	return ok
}

func (m *fakeMounter) count() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.mounted)
}

// fakeImages has one image, busybox-like, with one empty layer.
type fakeImages struct{ chain digest.Digest }

func (f fakeImages) Get(ctx context.Context, ref string) (*image.Image, error) {
	img := testImage(nil, []string{"sh"})
	img.Config.Config.User = "" // root: the fake layer has no /etc/passwd
	img.RepoTags = []string{ref}
	return img, nil
}

func (f fakeImages) Layers(ctx context.Context, img *image.Image) ([]digest.Digest, error) {
	return []digest.Digest{f.chain}, nil
}

// newFakeLayers is the real overlay layer store on temporary directories
// with the fake mounter, holding one empty layer; it returns the store and
// the layer's chain ID.
func newFakeLayers(t *testing.T, rwRoot string, m *fakeMounter) (layer.Store, digest.Digest) {
	t.Helper()
	store, err := layer.NewOverlay(layer.OverlayConfig{Root: t.TempDir(), RWRoot: rwRoot, Mounter: m, Untar: layer.DefaultUntar()})
	if err != nil {
		t.Fatal(err)
	}
	var empty bytes.Buffer
	tar.NewWriter(&empty).Close()
	tarball := layer.Tar{DiffID: digest.FromBytes(empty.Bytes()), Data: io.NewSectionReader(bytes.NewReader(empty.Bytes()), 0, int64(empty.Len()))}
	if err := store.Create(context.Background(), tarball.DiffID, tarball); err != nil {
		t.Fatal(err)
	}
	return store, tarball.DiffID
}

// eventRecorder keeps the service's events.
type eventRecorder struct {
	mu      sync.Mutex
	actions []string // "<action> <id>"
	// then, when set, runs after each event, where the service published
	// it (under the container's lock, for most).
	then func(action events.Action, id string)
}

func (e *eventRecorder) Log(typ events.Type, action events.Action, id string, attrs map[string]string) {
	e.mu.Lock()
	e.actions = append(e.actions, string(action)+" "+id)
	then := e.then
	e.mu.Unlock()
	if then != nil {
		then(action, id)
	}
}

// of lists the actions recorded for id, in order.
func (e *eventRecorder) of(id string) []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []string
	for _, a := range e.actions {
		if action, ok := strings.CutSuffix(a, " "+id); ok {
			out = append(out, action)
		}
	}
	return out
}

// testDaemon is a container service on temporary directories with the
// fakes above: no root, no network, no runc.
type testDaemon struct {
	*Service
	cfg     Config
	rt      *fakeRuntime
	mounter *fakeMounter
	events  *eventRecorder
	cancel  context.CancelFunc
	stopped bool // replaced by a restarted daemon
}

func newTestDaemon(t *testing.T) *testDaemon {
	t.Helper()
	dir := t.TempDir()
	rt := newFakeRuntime(t)
	mounter := &fakeMounter{}
	layers, chain := newFakeLayers(t, filepath.Join(dir, "containers"), mounter)
	cfg := Config{
		Root:           filepath.Join(dir, "containers"),
		RunRoot:        filepath.Join(dir, "run"),
		Runtimes:       map[string]Runtime{"runc": rt},
		DefaultRuntime: "runc",
		Layers:         layers,
		Images:         fakeImages{chain: chain},
		Log:            slog.New(slog.DiscardHandler),
		Events:         &eventRecorder{},
	}
	return startTestDaemon(t, cfg, mounter)
}

// startTestDaemon starts a service on cfg, as wharfd does at boot; m is
// the mounter of cfg.Layers.
func startTestDaemon(t *testing.T, cfg Config, m *fakeMounter) *testDaemon {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	s, err := New(ctx, cfg)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	d := &testDaemon{Service: s, cfg: cfg, rt: cfg.Runtimes["runc"].(*fakeRuntime),
		mounter: m, events: cfg.Events.(*eventRecorder), cancel: cancel}
	t.Cleanup(func() { d.shutdown(t) })
	return d
}

// restart stops this daemon's exit watch and starts a new service over
// the same directories and runtime, as a restarted wharfd.
func (d *testDaemon) restart(t *testing.T) *testDaemon {
	t.Helper()
	d.cancel()
	d.stopped = true
	return startTestDaemon(t, d.cfg, d.mounter)
}

// shutdown removes every container, so that nothing runs on into the
// removal of the temporary directories, and stops the exit watch.
func (d *testDaemon) shutdown(t *testing.T) {
	if d.stopped {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, c := range d.all() {
		if err := d.Remove(ctx, c.ID, RemoveOptions{Force: true}); err != nil && !errors.Is(err, errAlreadyRemoving) && !isNotFound(err) {
			t.Errorf("removing %s at the end: %v", c.ID, err)
		}
	}
	d.cancel()
}

func isNotFound(err error) bool {
	return err != nil && strings.Contains(err.Error(), "No such container")
}

// create makes a container of the fake image with hc's settings.
func (d *testDaemon) create(t *testing.T, hc *container.HostConfig, cfg *container.Config) string {
	t.Helper()
	if cfg == nil {
		cfg = &container.Config{}
	}
	cfg.Image = "busybox"
	resp, err := d.Create(context.Background(), CreateOptions{Config: cfg, HostConfig: hc})
	if err != nil {
		t.Fatal(err)
	}
	return resp.ID
}

// run creates and starts a container.
func (d *testDaemon) run(t *testing.T, hc *container.HostConfig, cfg *container.Config) string {
	t.Helper()
	id := d.create(t, hc, cfg)
	if err := d.Start(context.Background(), id); err != nil {
		t.Fatal(err)
	}
	return id
}

// state is a copy of id's state.
func (d *testDaemon) state(t *testing.T, id string) container.State {
	t.Helper()
	return d.record(t, id).State
}

// waitFor polls cond until it holds, failing the test after timeout.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// waitStatus waits until id's status is want.
func (d *testDaemon) waitStatus(t *testing.T, id string, want container.ContainerState) container.State {
	t.Helper()
	var st container.State
	waitFor(t, 5*time.Second, fmt.Sprintf("%s to be %s", shortID(id), want), func() bool {
		st = d.state(t, id)
		return st.Status == want
	})
	return st
}

// record is what a test looks at in a container's record.
type record struct {
	State           container.State
	StartGen        int
	RestartCount    int
	ManuallyStopped bool
}

func (d *testDaemon) record(t *testing.T, id string) record {
	t.Helper()
	c, err := d.get(id)
	if err != nil {
		t.Fatal(err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return record{c.State, c.StartGen, c.RestartCount, c.HasBeenManuallyStopped}
}

// forget drops id's state as a reboot would: no exit is recorded.
func (r *fakeRuntime) forget(id string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.containers, id)
}

func intPtr(n int) *int { return &n }
