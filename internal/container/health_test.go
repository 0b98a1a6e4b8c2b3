package container

import (
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
