package container

import (
	"context"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/events"
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/wharf/wharf/internal/errs"
)

// assertNothingLeft checks that a container's run left no runtime state,
// mount, bundle or exit record behind.
func (d *testDaemon) assertNothingLeft(t *testing.T, id string) {
	t.Helper()
	if st := d.rt.status(id); st != "" {
		t.Errorf("runtime still holds %s (%s)", shortID(id), st)
	}
	if d.mounter.has(d.rootfsPath(id)) {
		t.Errorf("root file system of %s still mounted", shortID(id))
	}
	if _, err := os.Stat(d.bundle(id)); err == nil {
		t.Errorf("bundle of %s left", shortID(id))
	}
	if _, err := os.Stat(filepath.Join(d.exitDir, id)); err == nil {
		t.Errorf("exit record of %s left", shortID(id))
	}
}

func TestLifecycleStartStopRemove(t *testing.T) {
	d := newTestDaemon(t)
	ctx := context.Background()
	id := d.create(t, nil, &container.Config{Cmd: []string{"sleep", "60"}})
	if st := d.state(t, id); st.Status != container.StateCreated || st.Running {
		t.Fatalf("after create: %+v", st)
	}
	if err := d.Start(ctx, id); err != nil {
		t.Fatal(err)
	}
	st := d.state(t, id)
	if !st.Running || st.Status != container.StateRunning || st.Pid == 0 {
		t.Fatalf("after start: %+v", st)
	}
	if d.rt.status(id) != "running" || d.mounter.count() != 1 {
		t.Fatalf("runtime says %q, %d mounts", d.rt.status(id), d.mounter.count())
	}
	var spec specs.Spec
	data, err := os.ReadFile(filepath.Join(d.bundle(id), "config.json"))
	if err == nil {
		err = json.Unmarshal(data, &spec)
	}
	if err != nil || !slices.Equal(spec.Process.Args, []string{"sleep", "60"}) || spec.Root.Path != d.rootfsPath(id) {
		t.Fatalf("the runtime's spec: %v %+v", err, spec.Process)
	}
	if err := d.Start(ctx, id); !errdefs.IsNotModified(err) {
		t.Fatalf("second start: %v", err)
	}

	if err := d.Stop(ctx, id, StopOptions{}); err != nil {
		t.Fatal(err)
	}
	// Stop returns once the exit is recorded and the run cleaned up.
	st = d.state(t, id)
	if st.Running || st.Status != container.StateExited || st.ExitCode != 128+int(syscall.SIGTERM) {
		t.Fatalf("after stop: %+v", st)
	}
	if got := d.rt.signalsSent(id); !slices.Equal(got, []syscall.Signal{syscall.SIGTERM}) {
		t.Fatalf("signals %v, want SIGTERM alone", got)
	}
	d.assertNothingLeft(t, id)
	if err := d.Stop(ctx, id, StopOptions{}); !errdefs.IsNotModified(err) {
		t.Fatalf("stop of a stopped container: %v", err)
	}

	if err := d.Remove(ctx, id, RemoveOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := d.get(id); !errdefs.IsNotFound(err) {
		t.Fatalf("removed container still found: %v", err)
	}
	if _, err := os.Stat(d.dir(id)); err == nil {
		t.Fatal("container directory left")
	}
	want := []string{"create", "start", "kill", "die", "stop", "destroy"}
	if got := d.events.of(id); !slices.Equal(got, want) {
		t.Fatalf("events %v, want %v", got, want)
	}
}

func TestStopSendsKillAfterTheTimeout(t *testing.T) {
	d := newTestDaemon(t)
	d.rt.ignored[syscall.SIGTERM] = true
	id := d.run(t, nil, nil)
	start := time.Now()
	if err := d.Stop(context.Background(), id, StopOptions{Timeout: intPtr(1)}); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took < time.Second {
		t.Fatalf("SIGKILL after %v, before the 1 s timeout", took)
	}
	if st := d.state(t, id); st.ExitCode != 137 {
		t.Fatalf("exit code %d, want 137", st.ExitCode)
	}
	if got := d.rt.signalsSent(id); !slices.Equal(got, []syscall.Signal{syscall.SIGTERM, syscall.SIGKILL}) {
		t.Fatalf("signals %v", got)
	}

	// The container's stop signal, and a zero timeout: SIGKILL at once,
	// though the process has already gone (the runtime says so).
	id = d.run(t, nil, &container.Config{StopSignal: "SIGINT"})
	if err := d.Stop(context.Background(), id, StopOptions{Timeout: intPtr(0)}); err != nil {
		t.Fatal(err)
	}
	if got := d.rt.signalsSent(id); len(got) == 0 || got[0] != syscall.SIGINT {
		t.Fatalf("signals %v, want SIGINT first", got)
	}
	if st := d.state(t, id); st.ExitCode != 128+int(syscall.SIGINT) {
		t.Fatalf("exit code %d, want that of SIGINT", st.ExitCode)
	}
}

func TestRestartCommand(t *testing.T) {
	d := newTestDaemon(t)
	ctx := context.Background()
	id := d.run(t, nil, nil)
	if err := d.Restart(ctx, id, StopOptions{}); err != nil {
		t.Fatal(err)
	}
	r := d.record(t, id)
	if !r.State.Running || r.StartGen != 2 || r.RestartCount != 0 || d.rt.status(id) != "running" {
		t.Fatalf("after restart: %+v, runtime %q", r, d.rt.status(id))
	}
	if got := d.rt.signalsSent(id); !slices.Equal(got, []syscall.Signal{syscall.SIGTERM}) {
		t.Fatalf("signals %v", got)
	}
	want := []string{"create", "start", "kill", "die", "stop", "start", "restart"}
	if got := d.events.of(id); !slices.Equal(got, want) {
		t.Fatalf("events %v, want %v", got, want)
	}
	// A stopped container is just started.
	if err := d.Kill(ctx, id, ""); err != nil {
		t.Fatal(err)
	}
	if err := d.Restart(ctx, id, StopOptions{}); err != nil {
		t.Fatal(err)
	}
	if r := d.record(t, id); !r.State.Running || r.StartGen != 3 {
		t.Fatalf("restart of a stopped container: %+v", r)
	}
}

func TestKill(t *testing.T) {
	d := newTestDaemon(t)
	ctx := context.Background()
	d.rt.ignored[syscall.SIGUSR1] = true
	id := d.run(t, nil, nil)
	if err := d.Kill(ctx, id, "USR1"); err != nil {
		t.Fatal(err)
	}
	if st := d.state(t, id); !st.Running {
		t.Fatal("a caught signal stopped the container")
	}
	if err := d.Kill(ctx, id, "SIGNOPE"); !errdefs.IsInvalidArgument(err) {
		t.Fatalf("unknown signal: %v", err)
	}
	// SIGKILL returns once the container is gone, as with dockerd.
	if err := d.Kill(ctx, id, ""); err != nil {
		t.Fatal(err)
	}
	if st := d.state(t, id); st.Running || st.ExitCode != 137 {
		t.Fatalf("after kill: %+v", st)
	}
	if err := d.Kill(ctx, id, ""); !errdefs.IsConflict(err) {
		t.Fatalf("kill of a stopped container: %v", err)
	}
}

func TestPausedContainer(t *testing.T) {
	d := newTestDaemon(t)
	ctx := context.Background()
	id := d.run(t, nil, nil)
	if err := d.Pause(ctx, id); err != nil {
		t.Fatal(err)
	}
	if st := d.state(t, id); !st.Paused || st.Status != container.StatePaused || d.rt.status(id) != "paused" {
		t.Fatalf("after pause: %+v, runtime %q", st, d.rt.status(id))
	}
	if err := d.Start(ctx, id); !errdefs.IsConflict(err) {
		t.Fatalf("start of a paused container: %v", err)
	}
	if err := d.Stop(ctx, id, StopOptions{}); !errdefs.IsConflict(err) {
		t.Fatalf("stop of a paused container: %v", err)
	}
	if err := d.Unpause(ctx, id); err != nil {
		t.Fatal(err)
	}
	if err := d.Pause(ctx, id); err != nil {
		t.Fatal(err)
	}
	// SIGKILL ends a paused container.
	if err := d.Kill(ctx, id, "KILL"); err != nil {
		t.Fatal(err)
	}
	if st := d.state(t, id); st.Running || st.Paused || st.ExitCode != 137 {
		t.Fatalf("after kill: %+v", st)
	}
}

func TestWaitConditions(t *testing.T) {
	d := newTestDaemon(t)
	ctx := context.Background()
	id := d.run(t, nil, nil)
	wait := func(cond container.WaitCondition) <-chan WaitResult {
		ch, err := d.Wait(ctx, id, cond)
		if err != nil {
			t.Fatal(err)
		}
		return ch
	}
	expect := func(ch <-chan WaitResult, code int64) {
		t.Helper()
		if r := receive(t, ch, "wait"); r.Err != nil || r.StatusCode != code {
			t.Fatalf("wait: %+v, want code %d", r, code)
		}
	}
	notRunning, nextExit, removed := wait(""), wait(container.WaitConditionNextExit), wait(container.WaitConditionRemoved)
	waiters := make([]<-chan WaitResult, 20)
	for i := range waiters {
		waiters[i] = wait(container.WaitConditionNotRunning)
	}
	d.rt.exit(id, 42)
	expect(notRunning, 42)
	expect(nextExit, 42)
	for _, w := range waiters {
		expect(w, 42)
	}
	// A stopped container: not-running at once, next-exit at the next run's end.
	expect(wait(""), 42)
	next := wait(container.WaitConditionNextExit)
	if err := d.Start(ctx, id); err != nil {
		t.Fatal(err)
	}
	d.rt.exit(id, 7)
	expect(next, 7)
	select {
	case r := <-removed:
		t.Fatalf("wait for removal returned early: %+v", r)
	default:
	}
	if err := d.Remove(ctx, id, RemoveOptions{}); err != nil {
		t.Fatal(err)
	}
	expect(removed, 7)
	if _, err := d.Wait(ctx, id, ""); !errdefs.IsNotFound(err) {
		t.Fatalf("wait on a removed container: %v", err)
	}
}

// Waiters for a run's end get that run's exit code, even when another
// client starts the container again before they look.
func TestWaitReturnsTheExitCodeOfItsRun(t *testing.T) {
	d := newTestDaemon(t)
	ctx := context.Background()
	id := d.run(t, nil, nil)
	notRunning, err := d.Wait(ctx, id, container.WaitConditionNotRunning)
	if err != nil {
		t.Fatal(err)
	}
	nextExit, err := d.Wait(ctx, id, container.WaitConditionNextExit)
	if err != nil {
		t.Fatal(err)
	}
	// A start that takes the container's lock right after the exit is
	// recorded, before any waiter can look.
	c, _ := d.get(id)
	d.events.mu.Lock()
	d.events.then = func(action events.Action, evID string) {
		if action == events.ActionDie && evID == id {
			d.events.mu.Lock()
			d.events.then = nil
			d.events.mu.Unlock()
			if err := d.startLocked(ctx, c); err != nil {
				t.Error(err)
			}
		}
	}
	d.events.mu.Unlock()
	d.rt.exit(id, 5)
	for _, ch := range []<-chan WaitResult{notRunning, nextExit} {
		if r := receive(t, ch, "the exit of the waiter's run"); r.StatusCode != 5 {
			t.Fatalf("wait: %+v, want the first run's 5", r)
		}
	}
	if r := d.record(t, id); !r.State.Running || r.StartGen != 2 {
		t.Fatalf("the second run: %+v", r)
	}
}

// An exit that arrives while stop waits for it ends the stop at once,
// without SIGKILL, and counts as a manual stop for the restart policy.
func TestExitWhileStopping(t *testing.T) {
	d := newTestDaemon(t)
	d.rt.ignored[syscall.SIGTERM] = true
	id := d.run(t, &container.HostConfig{RestartPolicy: container.RestartPolicy{Name: container.RestartPolicyAlways}}, nil)
	stopped := make(chan error, 1)
	start := time.Now()
	go func() { stopped <- d.Stop(context.Background(), id, StopOptions{Timeout: intPtr(10)}) }()
	waitFor(t, 5*time.Second, "SIGTERM", func() bool { return len(d.rt.signalsSent(id)) > 0 })
	d.rt.exit(id, 3)
	if err := receive(t, stopped, "stop to end with the exit"); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Fatalf("stop took %v", took)
	}
	if got := d.rt.signalsSent(id); !slices.Equal(got, []syscall.Signal{syscall.SIGTERM}) {
		t.Fatalf("signals %v, want SIGTERM alone", got)
	}
	time.Sleep(3 * restartFirstDelay)
	if r := d.record(t, id); r.State.Running || r.State.ExitCode != 3 || r.StartGen != 1 || !r.ManuallyStopped {
		t.Fatalf("after the stop: %+v", r)
	}
}

// A process that exits while Start still holds the container is recorded
// once Start is done, in that order.
func TestExitDuringStart(t *testing.T) {
	d := newTestDaemon(t)
	d.rt.onStart = func(id string) { d.rt.exit(id, 5) }
	id := d.create(t, nil, nil)
	ch, err := d.Wait(context.Background(), id, container.WaitConditionNextExit)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Start(context.Background(), id); err != nil {
		t.Fatal(err)
	}
	if r := receive(t, ch, "the exit"); r.StatusCode != 5 {
		t.Fatalf("wait: %+v", r)
	}
	if st := d.state(t, id); st.Status != container.StateExited || st.ExitCode != 5 {
		t.Fatalf("state %+v", st)
	}
	if got, want := d.events.of(id), []string{"create", "start", "die"}; !slices.Equal(got, want) {
		t.Fatalf("events %v, want %v", got, want)
	}
	d.assertNothingLeft(t, id)

	// run --rm: the container goes with its exit.
	id = d.create(t, &container.HostConfig{AutoRemove: true}, nil)
	removed, err := d.Wait(context.Background(), id, container.WaitConditionRemoved)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Start(context.Background(), id); err != nil {
		t.Fatal(err)
	}
	receive(t, removed, "the --rm container's removal")
	if _, err := d.get(id); !errdefs.IsNotFound(err) {
		t.Fatalf("--rm container still there: %v", err)
	}
	d.assertNothingLeft(t, id)
}

func TestFailedStartLeavesNothing(t *testing.T) {
	d := newTestDaemon(t)
	d.rt.createErr = errs.Invalid(`exec: "nope": executable file not found in $PATH`)
	id := d.create(t, nil, nil)
	if err := d.Start(context.Background(), id); !errdefs.IsInvalidArgument(err) {
		t.Fatalf("start: %v", err)
	}
	st := d.state(t, id)
	if st.Running || st.Status != container.StateCreated || st.ExitCode != 127 || st.Error == "" {
		t.Fatalf("after a failed start: %+v", st)
	}
	d.assertNothingLeft(t, id)

	id = d.create(t, &container.HostConfig{AutoRemove: true}, nil)
	if err := d.Start(context.Background(), id); err == nil {
		t.Fatal("start succeeded")
	}
	if _, err := d.get(id); !errdefs.IsNotFound(err) {
		t.Fatalf("--rm container kept after its start failed: %v", err)
	}
}

// TestExecThatCannotStart: an exec whose user does not exist fails to
// start and exits 126, as in dockerd (the docker CLI exits with it).
func TestExecThatCannotStart(t *testing.T) {
	d := newTestDaemon(t)
	ctx := context.Background()
	id := d.run(t, nil, nil)
	execID, err := d.ExecCreate(ctx, id, container.ExecCreateRequest{User: "no-such-user", Cmd: []string{"true"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := d.ExecStart(ctx, execID, ExecStartOptions{}); err == nil || !strings.Contains(err.Error(), "unable to find user no-such-user") {
		t.Fatalf("exec start: %v", err)
	}
	in, err := d.ExecInspect(ctx, execID)
	if err != nil || in.Running || in.ExitCode == nil || *in.ExitCode != 126 {
		t.Fatalf("exec inspect: %+v %v", in, err)
	}
}

func TestExecInRunningContainer(t *testing.T) {
	d := newTestDaemon(t)
	ctx := context.Background()
	id := d.run(t, nil, nil)
	execID, err := d.ExecCreate(ctx, id, container.ExecCreateRequest{Cmd: []string{"sh", "-c", "exit 3"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := d.ExecStart(ctx, execID, ExecStartOptions{}); err != nil {
		t.Fatal(err)
	}
	in, err := d.ExecInspect(ctx, execID)
	if err != nil || in.Running || in.ExitCode == nil || *in.ExitCode != 3 || in.Pid == 0 {
		t.Fatalf("exec inspect: %+v %v", in, err)
	}
	if err := d.ExecStart(ctx, execID, ExecStartOptions{}); !errdefs.IsConflict(err) {
		t.Fatalf("second exec start: %v", err)
	}
	if err := d.ExecResize(ctx, execID, 10, 10); !errdefs.IsConflict(err) {
		t.Fatalf("resize of an exec without a terminal: %v", err)
	}
	d.rt.exit(id, 0)
	d.waitStatus(t, id, container.StateExited)
	if _, err := d.ExecCreate(ctx, id, container.ExecCreateRequest{Cmd: []string{"true"}}); !errdefs.IsConflict(err) {
		t.Fatalf("exec in a stopped container: %v", err)
	}
}

// Many clients starting, stopping, killing, restarting, pausing and
// removing one container at once, while its process exits by itself now
// and then: nothing hangs, the record and the runtime agree at the end,
// every run's exit is recorded once, and removal leaves nothing behind.
func TestConcurrentLifecycleCalls(t *testing.T) {
	d := newTestDaemon(t)
	for round := range 10 {
		var hc *container.HostConfig
		if round%2 == 1 {
			hc = &container.HostConfig{RestartPolicy: container.RestartPolicy{Name: container.RestartPolicyOnFailure, MaximumRetryCount: 2}}
		}
		id := d.create(t, hc, nil)
		ops := []func(ctx context.Context) error{
			func(ctx context.Context) error { return d.Start(ctx, id) },
			func(ctx context.Context) error { return d.Stop(ctx, id, StopOptions{Timeout: intPtr(1)}) },
			func(ctx context.Context) error { return d.Kill(ctx, id, "") },
			func(ctx context.Context) error { return d.Restart(ctx, id, StopOptions{Timeout: intPtr(0)}) },
			func(ctx context.Context) error { return d.Pause(ctx, id) },
			func(ctx context.Context) error { return d.Unpause(ctx, id) },
			func(ctx context.Context) error { d.rt.exit(id, 1); return nil },
		}
		hammer(t, 8, 15, ops)
		// Once exits are handled and restarts are over, the record says
		// what the runtime says.
		waitFor(t, 10*time.Second, "record and runtime to agree", func() bool {
			st, rt := d.state(t, id), d.rt.status(id)
			if st.Restarting {
				return false
			}
			if st.Running {
				return rt == "running" || rt == "paused"
			}
			return rt == ""
		})

		removals := make([]func(ctx context.Context) error, 0, 3)
		for range 3 {
			removals = append(removals, func(ctx context.Context) error {
				err := d.Remove(ctx, id, RemoveOptions{Force: true})
				if errors.Is(err, errAlreadyRemoving) || errdefs.IsNotFound(err) {
					return nil
				}
				return err
			})
		}
		hammer(t, 6, 3, append(removals, ops[:3]...))
		if _, err := d.get(id); err == nil {
			if err := d.Remove(context.Background(), id, RemoveOptions{Force: true}); err != nil {
				t.Fatalf("round %d: remove: %v", round, err)
			}
		}
		d.assertNothingLeft(t, id)
		// Every run ended once: no exit lost, none recorded twice.
		count := map[string]int{}
		for _, a := range d.events.of(id) {
			count[a]++
		}
		if count["start"] != count["die"] || count["destroy"] != 1 {
			t.Fatalf("round %d: %d starts, %d exits, %d removals", round, count["start"], count["die"], count["destroy"])
		}
	}
	if n := d.rt.count(); n != 0 {
		t.Fatalf("runtime holds %d containers", n)
	}
	if n := d.mounter.count(); n != 0 {
		t.Fatalf("%d mounts left", n)
	}
}

// receive waits for one value from ch, failing the test after 5 s.
func receive[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(5 * time.Second):
		t.Fatalf("timed out waiting for %s", what)
		panic("unreachable")
	}
}

// hammer runs random ops from workers goroutines, rounds each, and fails
// the test if one of them hangs.
func hammer(t *testing.T, workers, rounds int, ops []func(ctx context.Context) error) {
	t.Helper()
	var wg sync.WaitGroup
	hung := make(chan struct{}, workers)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range rounds {
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				err := ops[rand.IntN(len(ops))](ctx)
				cancel()
				if errors.Is(err, context.DeadlineExceeded) {
					hung <- struct{}{}
					return
				}
			}
		}()
	}
	wg.Wait()
	if len(hung) > 0 {
		t.Fatal("a lifecycle call hung")
	}
}

// A restarted daemon takes up what the runtime says of each container:
// running ones stay running, exits recorded by the monitor meanwhile are
// read, containers the runtime lost (a reboot) exit with 255, and the
// restart policies apply as dockerd's restore applies them.
func TestRestoreAfterDaemonRestart(t *testing.T) {
	d := newTestDaemon(t)
	ctx := context.Background()
	stillRunning := d.run(t, nil, nil)
	exitedMeanwhile := d.run(t, nil, nil)
	lost := d.run(t, nil, nil)
	created := d.create(t, nil, nil)
	always := d.run(t, restartPolicy(container.RestartPolicyAlways, 0), nil)
	unlessStopped := d.run(t, restartPolicy(container.RestartPolicyUnlessStopped, 0), nil)
	onFailure := d.run(t, restartPolicy(container.RestartPolicyOnFailure, 0), nil)
	for _, id := range []string{always, unlessStopped} {
		if err := d.Stop(ctx, id, StopOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	pid := d.state(t, stillRunning).Pid

	d.cancel() // wharfd stops; its containers go on
	d.rt.exit(exitedMeanwhile, 3)
	d.rt.exit(onFailure, 1)
	d.rt.forget(lost)
	d = d.restart(t)

	if st := d.state(t, stillRunning); !st.Running || st.Pid != pid || d.rt.status(stillRunning) != "running" {
		t.Errorf("running container after restart: %+v, runtime %q", st, d.rt.status(stillRunning))
	}
	if st := d.state(t, exitedMeanwhile); st.Running || st.ExitCode != 3 {
		t.Errorf("container that exited meanwhile: %+v", st)
	}
	if st := d.state(t, lost); st.Running || st.ExitCode != 255 {
		t.Errorf("container the runtime lost: %+v", st)
	}
	if st := d.state(t, created); st.Status != container.StateCreated {
		t.Errorf("created container: %+v", st)
	}
	for _, id := range []string{exitedMeanwhile, lost} {
		d.assertNothingLeft(t, id)
	}
	// "always" restarts whatever stopped it; on-failure after a failure.
	for _, id := range []string{always, onFailure} {
		waitFor(t, 5*time.Second, "a restart after boot", func() bool {
			r := d.record(t, id)
			return r.State.Running && r.StartGen == 2
		})
	}
	time.Sleep(3 * restartFirstDelay)
	if r := d.record(t, unlessStopped); r.State.Running || r.StartGen != 1 {
		t.Errorf("unless-stopped container stopped by hand came back: %+v", r)
	}
	// The restarted daemon sees exits as the first did.
	d.rt.exit(stillRunning, 9)
	if st := d.waitStatus(t, stillRunning, container.StateExited); st.ExitCode != 9 {
		t.Errorf("exit after restart: %+v", st)
	}
}
