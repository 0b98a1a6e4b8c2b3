package startgc

import (
	"math"
	"os"
	"runtime/debug"
	"testing"
	"time"
)

// gcPercent reads the collector's setting (SetGCPercent is the only way).
func gcPercent() int {
	p := debug.SetGCPercent(0)
	debug.SetGCPercent(p)
	return p
}

func TestCollectorOffDuringTheWindowOnly(t *testing.T) {
	if os.Getenv("GOGC") != "" || os.Getenv("GOMEMLIMIT") != "" {
		t.Skip("GOGC or GOMEMLIMIT set: the settings after the window are theirs")
	}
	if p := gcPercent(); p != -1 {
		t.Fatalf("GC percent in the window = %d, want -1 (off)", p)
	}
	if l := debug.SetMemoryLimit(-1); l != limit {
		t.Fatalf("memory limit in the window = %d, want %d", l, limit)
	}
	time.Sleep(window + 200*time.Millisecond)
	if p := gcPercent(); p != 100 {
		t.Errorf("GC percent after the window = %d, want 100", p)
	}
	if l := debug.SetMemoryLimit(-1); l != math.MaxInt64 {
		t.Errorf("memory limit after the window = %d, want none", l)
	}
}
