package container

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/events"
	"golang.org/x/sys/unix"
)

// Docker's health check defaults.
const (
	defaultProbeInterval = 30 * time.Second
	defaultProbeTimeout  = 30 * time.Second
	defaultStartInterval = 5 * time.Second
	defaultProbeRetries  = 3
	maxHealthLog         = 5    // results kept in State.Health.Log
	maxProbeOutput       = 4096 // bytes of a probe's output kept
)

// healthCheck returns c's check, or nil when it has none or --no-healthcheck.
func healthCheck(c *Container) *container.HealthConfig {
	hc := c.Config.Healthcheck
	if hc == nil || len(hc.Test) == 0 || hc.Test[0] == "NONE" {
		return nil
	}
	return hc
}

// probeCommand turns a check's Test into the command to exec.
func probeCommand(test, shell []string) []string {
	switch test[0] {
	case "CMD":
		return test[1:]
	case "CMD-SHELL":
		if len(shell) == 0 {
			shell = []string{"/bin/sh", "-c"}
		}
		return append(append([]string{}, shell...), strings.Join(test[1:], " "))
	}
	return nil
}

// startHealth begins checking c's health for its current run, if it has a
// check. Callers hold c.mu, with c running.
func (s *Service) startHealth(c *Container) {
	hc := healthCheck(c)
	if hc == nil || !c.State.Running {
		return
	}
	if c.State.Health == nil {
		c.State.Health = &container.Health{Status: container.Starting, Log: []*container.HealthcheckResult{}}
	}
	go s.monitorHealth(c, c.StartGen, *hc)
}

// resumeHealth restarts the checks of the containers left running by a
// previous daemon.
func (s *Service) resumeHealth() {
	for _, c := range s.all() {
		c.mu.Lock()
		s.startHealth(c)
		c.mu.Unlock()
	}
}

// monitorHealth runs c's check every interval for as long as run gen of c
// lasts: it ends when the container stops or starts again.
func (s *Service) monitorHealth(c *Container, gen int, hc container.HealthConfig) {
	interval := orDefault(hc.Interval, defaultProbeInterval)
	startInterval := orDefault(hc.StartInterval, defaultStartInterval)
	timeout := orDefault(hc.Timeout, defaultProbeTimeout)
	retries := hc.Retries
	if retries <= 0 {
		retries = defaultProbeRetries
	}
	started := time.Now()
	for {
		wait := interval
		if time.Since(started) < hc.StartPeriod {
			wait = startInterval
		}
		c.mu.Lock()
		changed, alive := c.changed, c.State.Running && c.StartGen == gen
		c.mu.Unlock()
		if !alive {
			return
		}
		timer := time.NewTimer(wait)
		select {
		case <-changed:
			timer.Stop()
			continue
		case <-timer.C:
		}
		c.mu.Lock()
		alive, paused := c.State.Running && c.StartGen == gen, c.State.Paused
		shell := c.Config.Shell
		c.mu.Unlock()
		if !alive {
			return
		}
		if paused {
			continue
		}
		r := s.probe(c, probeCommand(hc.Test, shell), timeout)
		c.mu.Lock()
		if !c.State.Running || c.StartGen != gen || c.State.Health == nil {
			c.mu.Unlock()
			return
		}
		inStartPeriod := r.Start.Sub(started) < hc.StartPeriod
		h := *c.State.Health // a copy: inspect may be encoding the old one
		changedStatus := applyProbe(&h, r, retries, inStartPeriod)
		c.State.Health = &h
		if err := s.save(c); err != nil {
			s.log.Error("saving container state", "id", c.ID, "err", err)
		}
		if changedStatus {
			s.event(c, events.Action("health_status: "+string(h.Status)), nil)
		}
		c.mu.Unlock()
	}
}

// applyProbe records a check's result in h, as docker does: a success
// makes the container healthy, retries failures in a row unhealthy, and
// failures in the start period do not count until a first success. It
// reports whether the status changed.
func applyProbe(h *container.Health, r *container.HealthcheckResult, retries int, inStartPeriod bool) bool {
	old := h.Status
	h.Log = append(h.Log, r)
	if len(h.Log) > maxHealthLog {
		h.Log = append([]*container.HealthcheckResult{}, h.Log[len(h.Log)-maxHealthLog:]...)
	}
	if r.ExitCode == 0 {
		h.FailingStreak = 0
		h.Status = container.Healthy
	} else if !(h.Status == container.Starting && inStartPeriod) {
		h.FailingStreak++
		if h.FailingStreak >= retries {
			h.Status = container.Unhealthy
		}
	}
	return h.Status != old
}

// probe runs cmd in c as a non-TTY exec, capturing its output, and kills
// it after timeout.
func (s *Service) probe(c *Container, cmd []string, timeout time.Duration) *container.HealthcheckResult {
	ctx := context.Background()
	r := &container.HealthcheckResult{Start: time.Now()}
	fail := func(msg string) *container.HealthcheckResult {
		r.End, r.ExitCode, r.Output = time.Now(), -1, msg
		return r
	}
	if len(cmd) == 0 {
		return fail("invalid health check command")
	}
	id, err := s.ExecCreate(ctx, c.ID, container.ExecCreateRequest{Cmd: cmd, AttachStdout: true, AttachStderr: true})
	if err != nil {
		return fail(err.Error())
	}
	defer func() {
		s.mu.Lock()
		delete(s.execs, id)
		s.mu.Unlock()
	}()
	out := &limitedBuffer{max: maxProbeOutput}
	done := make(chan error, 1)
	go func() { done <- s.ExecStart(ctx, id, ExecStartOptions{Stdout: out, Stderr: out}) }()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	select {
	case err = <-done:
	case <-deadline.C:
		// Kill the probe (its pid file may come a moment late) and wait for it.
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for killed := false; !killed; {
			s.killExec(id)
			select {
			case <-done:
				killed = true
			case <-tick.C:
			}
		}
		return fail(fmt.Sprintf("Health check exceeded timeout (%v)", timeout))
	}
	if err != nil {
		return fail(err.Error())
	}
	r.End = time.Now()
	r.Output = out.String()
	r.ExitCode = -1
	if e, err := s.getExec(id); err == nil {
		e.mu.Lock()
		if e.exitCode != nil {
			r.ExitCode = *e.exitCode
		}
		e.mu.Unlock()
	}
	return r
}

// killExec sends SIGKILL to a running exec's process.
func (s *Service) killExec(id string) {
	e, err := s.getExec(id)
	if err != nil {
		return
	}
	e.mu.Lock()
	proc := e.proc
	e.mu.Unlock()
	if proc != nil {
		proc.Kill(unix.SIGKILL)
	}
}

// healthStatus is c's health for ps --filter health=: none without a check.
func healthStatus(st container.State) string {
	if st.Health == nil {
		return string(container.NoHealthcheck)
	}
	return string(st.Health.Status)
}

// healthSuffix is what docker ps adds to a running container's STATUS.
func healthSuffix(st container.State) string {
	if !st.Running || st.Paused || st.Health == nil {
		return ""
	}
	if st.Health.Status == container.Starting {
		return " (health: starting)"
	}
	return " (" + string(st.Health.Status) + ")"
}

func orDefault(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

// limitedBuffer keeps the first max bytes written to it, from any goroutine.
type limitedBuffer struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func (b *limitedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if n := b.max - len(b.buf); n > 0 {
		b.buf = append(b.buf, p[:min(n, len(p))]...)
	}
	return len(p), nil
}

func (b *limitedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return string(b.buf)
}
