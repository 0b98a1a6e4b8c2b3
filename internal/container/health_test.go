package container

import (
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/moby/moby/api/types/container"
)

func TestApplyProbe(t *testing.T) {
	ok := func() *container.HealthcheckResult { return &container.HealthcheckResult{ExitCode: 0} }
	bad := func() *container.HealthcheckResult { return &container.HealthcheckResult{ExitCode: 1} }

	h := &container.Health{Status: container.Starting}
	if applyProbe(h, bad(), 2, true) || h.Status != container.Starting || h.FailingStreak != 0 {
		t.Fatalf("a failure in the start period counted: %+v", h)
	}
	if !applyProbe(h, ok(), 2, true) || h.Status != container.Healthy {
		t.Fatalf("success: %+v", h)
	}
	if applyProbe(h, bad(), 2, true) || h.Status != container.Healthy || h.FailingStreak != 1 {
		t.Fatalf("after one failure: %+v", h)
	}
	if !applyProbe(h, bad(), 2, false) || h.Status != container.Unhealthy || h.FailingStreak != 2 {
		t.Fatalf("after two failures: %+v", h)
	}
	if !applyProbe(h, ok(), 2, false) || h.Status != container.Healthy || h.FailingStreak != 0 {
		t.Fatalf("recovery: %+v", h)
	}
	for range 10 {
		applyProbe(h, ok(), 2, false)
	}
	if len(h.Log) != maxHealthLog {
		t.Fatalf("log has %d entries, want %d", len(h.Log), maxHealthLog)
	}

	h = &container.Health{Status: container.Starting}
	if !applyProbe(h, bad(), 1, false) || h.Status != container.Unhealthy {
		t.Fatalf("retries 1: %+v", h)
	}
}

func TestProbeCommand(t *testing.T) {
	if got := probeCommand([]string{"CMD-SHELL", "curl -f localhost"}, nil); len(got) != 3 || got[0] != "/bin/sh" || got[2] != "curl -f localhost" {
		t.Errorf("CMD-SHELL: %q", got)
	}
	if got := probeCommand([]string{"CMD", "true", "x"}, nil); len(got) != 2 || got[0] != "true" {
		t.Errorf("CMD: %q", got)
	}
	if healthCheck(&Container{Config: &container.Config{Healthcheck: &container.HealthConfig{Test: []string{"NONE"}}}}) != nil {
		t.Error("NONE is a check")
	}
}

func TestHealthStatusText(t *testing.T) {
	st := container.State{Status: container.StateRunning, Running: true, StartedAt: time.Now().Format(time.RFC3339Nano)}
	if healthSuffix(st) != "" || healthStatus(st) != "none" {
		t.Errorf("no check: %q %q", healthSuffix(st), healthStatus(st))
	}
	st.Health = &container.Health{Status: container.Starting}
	if healthSuffix(st) != " (health: starting)" {
		t.Errorf("starting: %q", healthSuffix(st))
	}
	st.Health.Status = container.Unhealthy
	if healthSuffix(st) != " (unhealthy)" || healthStatus(st) != "unhealthy" {
		t.Errorf("unhealthy: %q", healthSuffix(st))
	}
}

// setExec makes the fake runtime's exec'd commands do what decide says,
// and counts them.
func (d *testDaemon) setExec(decide func(args []string) fakeExecResult) *atomic.Int32 {
	var n atomic.Int32
	d.rt.mu.Lock()
	d.rt.exec = func(args []string) fakeExecResult {
		n.Add(1)
		return decide(args)
	}
	d.rt.mu.Unlock()
	return &n
}

func (d *testDaemon) health(t *testing.T, id string) container.Health {
	t.Helper()
	st := d.state(t, id)
	if st.Health == nil {
		return container.Health{}
	}
	return *st.Health
}

func healthConfig(test ...string) *container.Config {
	return &container.Config{Healthcheck: &container.HealthConfig{
		Test: test, Interval: 10 * time.Millisecond, Timeout: time.Second, Retries: 2,
	}}
}

func TestHealthCheckTransitions(t *testing.T) {
	d := newTestDaemon(t)
	var failing atomic.Bool
	probes := d.setExec(func(args []string) fakeExecResult {
		if failing.Load() {
			return fakeExecResult{output: "down\n", code: 1}
		}
		return fakeExecResult{output: "up\n"}
	})
	id := d.run(t, nil, healthConfig("CMD-SHELL", "check"))
	if h := d.health(t, id); h.Status != container.Starting {
		t.Fatalf("health at start: %+v", h)
	}
	waitFor(t, 5*time.Second, "healthy", func() bool { return d.health(t, id).Status == container.Healthy })
	failing.Store(true)
	waitFor(t, 5*time.Second, "unhealthy", func() bool { return d.health(t, id).Status == container.Unhealthy })
	h := d.health(t, id)
	if h.FailingStreak < 2 || len(h.Log) == 0 || len(h.Log) > maxHealthLog || h.Log[len(h.Log)-1].Output != "down\n" {
		t.Fatalf("unhealthy: streak %d, %d results, last %+v", h.FailingStreak, len(h.Log), h.Log[len(h.Log)-1])
	}
	failing.Store(false)
	waitFor(t, 5*time.Second, "healthy again", func() bool { return d.health(t, id).Status == container.Healthy })
	events := d.events.of(id)
	for _, want := range []string{"health_status: healthy", "health_status: unhealthy"} {
		if !slices.Contains(events, want) {
			t.Errorf("no %q event in %v", want, events)
		}
	}

	// Probes end with the run; the last health stays visible.
	d.rt.exit(id, 0)
	d.waitStatus(t, id, container.StateExited)
	n := probes.Load()
	time.Sleep(50 * time.Millisecond)
	if probes.Load() > n+1 { // one may have been under way
		t.Fatalf("probes went on after the exit: %d, then %d", n, probes.Load())
	}
	if h := d.health(t, id); h.Status != container.Healthy {
		t.Fatalf("health after the exit: %+v", h)
	}
}

func TestHealthCheckStartPeriod(t *testing.T) {
	d := newTestDaemon(t)
	d.setExec(func([]string) fakeExecResult { return fakeExecResult{code: 1} })
	cfg := healthConfig("CMD", "check")
	cfg.Healthcheck.StartPeriod, cfg.Healthcheck.StartInterval = time.Minute, 10*time.Millisecond
	id := d.run(t, nil, cfg)
	waitFor(t, 5*time.Second, "three probes", func() bool { return len(d.health(t, id).Log) >= 3 })
	if h := d.health(t, id); h.Status != container.Starting || h.FailingStreak != 0 {
		t.Fatalf("failures in the start period counted: %+v", h)
	}
}

func TestHealthCheckTimeoutKillsTheProbe(t *testing.T) {
	d := newTestDaemon(t)
	cfg := healthConfig("CMD-SHELL", "sleep 60")
	cfg.Healthcheck.Timeout, cfg.Healthcheck.Retries = 30*time.Millisecond, 1
	id := d.run(t, nil, cfg)
	waitFor(t, 5*time.Second, "unhealthy", func() bool { return d.health(t, id).Status == container.Unhealthy })
	r := d.health(t, id).Log[0]
	if r.ExitCode != -1 || !strings.Contains(r.Output, "Health check exceeded timeout (30ms)") {
		t.Fatalf("timed-out probe: %+v", r)
	}
	// The probe's exec was killed and forgotten.
	waitFor(t, 5*time.Second, "the probe's exec to go", func() bool { return len(d.execIDs(id)) == 0 })
}
