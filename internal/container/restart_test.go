package container

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/moby/moby/api/types/container"
)

func TestNextDelay(t *testing.T) {
	d := time.Duration(0)
	var got []time.Duration
	for i := 0; i < 12; i++ {
		d = nextDelay(d, time.Second)
		got = append(got, d)
	}
	want := []time.Duration{100, 200, 400, 800, 1600, 3200, 6400, 12800, 25600, 51200, 60000, 60000}
	for i := range want {
		if got[i] != want[i]*time.Millisecond {
			t.Fatalf("delay %d: got %v, want %v", i, got[i], want[i]*time.Millisecond)
		}
	}
	if d := nextDelay(time.Minute, 11*time.Second); d != 100*time.Millisecond {
		t.Fatalf("a long run should reset the back-off, got %v", d)
	}
}

func TestShouldRestart(t *testing.T) {
	p := func(name container.RestartPolicyMode, max int) container.RestartPolicy {
		return container.RestartPolicy{Name: name, MaximumRetryCount: max}
	}
	cases := []struct {
		policy  container.RestartPolicy
		code    int
		count   int
		stopped bool
		want    bool
	}{
		{p("no", 0), 1, 0, false, false},
		{p("always", 0), 0, 5, false, true},
		{p("always", 0), 0, 0, true, false},
		{p("unless-stopped", 0), 0, 0, false, true},
		{p("unless-stopped", 0), 1, 0, true, false},
		{p("on-failure", 0), 0, 0, false, false},
		{p("on-failure", 0), 3, 100, false, true},
		{p("on-failure", 2), 3, 1, false, true},
		{p("on-failure", 2), 3, 2, false, false},
	}
	for _, tc := range cases {
		if got := shouldRestart(tc.policy, tc.code, tc.count, tc.stopped); got != tc.want {
			t.Errorf("%+v: got %v", tc, got)
		}
	}
}

func restartPolicy(name container.RestartPolicyMode, max int) *container.HostConfig {
	return &container.HostConfig{RestartPolicy: container.RestartPolicy{Name: name, MaximumRetryCount: max}}
}

func TestRestartPolicyAlwaysUntilStopped(t *testing.T) {
	d := newTestDaemon(t)
	id := d.run(t, restartPolicy(container.RestartPolicyAlways, 0), nil)
	d.rt.exit(id, 0)
	waitFor(t, 5*time.Second, "the restart", func() bool {
		r := d.record(t, id)
		return r.State.Running && r.StartGen == 2
	})
	if r := d.record(t, id); r.RestartCount != 1 || r.ManuallyStopped {
		t.Fatalf("after one restart: %+v", r)
	}
	if d.rt.status(id) != "running" {
		t.Fatalf("runtime says %q", d.rt.status(id))
	}
	// A stop by hand is not followed by a restart.
	if err := d.Stop(context.Background(), id, StopOptions{}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(3 * restartFirstDelay)
	if r := d.record(t, id); r.State.Running || r.State.Restarting || r.StartGen != 2 || !r.ManuallyStopped {
		t.Fatalf("restarted after a stop: %+v", r)
	}
	// A user's start clears the count.
	if err := d.Start(context.Background(), id); err != nil {
		t.Fatal(err)
	}
	if r := d.record(t, id); r.RestartCount != 0 {
		t.Fatalf("restart count %d after a start by hand", r.RestartCount)
	}
}

func TestRestartPolicyOnFailureBacksOffAndGivesUp(t *testing.T) {
	d := newTestDaemon(t)
	var mu sync.Mutex
	var starts []time.Time
	d.rt.onStart = func(id string) {
		mu.Lock()
		starts = append(starts, time.Now())
		mu.Unlock()
		d.rt.exit(id, 1)
	}
	id := d.run(t, restartPolicy(container.RestartPolicyOnFailure, 2), nil)
	waitFor(t, 5*time.Second, "the retries", func() bool {
		r := d.record(t, id)
		return r.RestartCount == 2 && r.State.Status == container.StateExited
	})
	time.Sleep(4 * restartFirstDelay)
	mu.Lock()
	defer mu.Unlock()
	if len(starts) != 3 {
		t.Fatalf("%d starts, want the first and 2 retries", len(starts))
	}
	// Back-off: 100 ms, then 200 ms.
	if gap := starts[1].Sub(starts[0]); gap < restartFirstDelay {
		t.Errorf("first retry after %v", gap)
	}
	if gap := starts[2].Sub(starts[1]); gap < 2*restartFirstDelay {
		t.Errorf("second retry after %v", gap)
	}
	if st := d.state(t, id); st.ExitCode != 1 || st.Restarting {
		t.Fatalf("final state %+v", st)
	}

	// A clean exit is not a failure.
	d.rt.onStart = nil
	id = d.run(t, restartPolicy(container.RestartPolicyOnFailure, 0), nil)
	d.rt.exit(id, 0)
	d.waitStatus(t, id, container.StateExited)
	time.Sleep(3 * restartFirstDelay)
	if r := d.record(t, id); r.StartGen != 1 || r.State.Running {
		t.Fatalf("restarted after exit 0: %+v", r)
	}
}

func TestRestartPolicyUnlessStopped(t *testing.T) {
	d := newTestDaemon(t)
	id := d.run(t, restartPolicy(container.RestartPolicyUnlessStopped, 0), nil)
	d.rt.exit(id, 1)
	waitFor(t, 5*time.Second, "the restart", func() bool { return d.record(t, id).StartGen == 2 })
	d.waitStatus(t, id, container.StateRunning)
	if err := d.Kill(context.Background(), id, ""); err != nil {
		t.Fatal(err)
	}
	time.Sleep(3 * restartFirstDelay)
	if r := d.record(t, id); r.State.Running || r.StartGen != 2 || !r.ManuallyStopped {
		t.Fatalf("restarted after a kill by hand: %+v", r)
	}
}

func TestRestartPolicyNo(t *testing.T) {
	d := newTestDaemon(t)
	id := d.run(t, nil, nil)
	d.rt.exit(id, 1)
	d.waitStatus(t, id, container.StateExited)
	time.Sleep(3 * restartFirstDelay)
	if r := d.record(t, id); r.StartGen != 1 || r.State.Status != container.StateExited {
		t.Fatalf("restarted without a policy: %+v", r)
	}
}

// docker stop of a container waiting to be restarted cancels the restart.
func TestStopCancelsPendingRestart(t *testing.T) {
	d := newTestDaemon(t)
	id := d.run(t, restartPolicy(container.RestartPolicyAlways, 0), nil)
	c, _ := d.get(id)
	c.mu.Lock()
	c.restart.delay = 10 * time.Second // the next back-off is 20 s: time to stop it
	c.mu.Unlock()
	d.rt.exit(id, 0)
	d.waitStatus(t, id, container.StateRestarting)
	if err := d.Stop(context.Background(), id, StopOptions{}); err != nil {
		t.Fatal(err)
	}
	r := d.record(t, id)
	if r.State.Restarting || r.State.Status != container.StateExited || !r.ManuallyStopped {
		t.Fatalf("after stop: %+v", r)
	}
	c.mu.Lock()
	timer := c.restart.timer
	c.mu.Unlock()
	if timer != nil {
		t.Fatal("restart still scheduled")
	}
	if err := d.Stop(context.Background(), id, StopOptions{}); err == nil {
		t.Fatal("a second stop succeeded")
	}
}
