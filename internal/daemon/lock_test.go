package daemon

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wharf/wharf/internal/config"
)

func TestRootLock(t *testing.T) {
	root, execRoot, other := t.TempDir(), t.TempDir(), t.TempDir()
	l, err := LockRoots(config.Config{Root: root, ExecRoot: execRoot})
	if err != nil {
		t.Fatal(err)
	}
	// flock locks belong to an open file: a second open is refused even
	// in the same process, as a second daemon's would be.
	for _, c := range []struct{ root, execRoot, what string }{
		{root, other, "data root " + root},
		{other, execRoot, "exec root " + execRoot},
	} {
		_, err := LockRoots(config.Config{Root: c.root, ExecRoot: c.execRoot})
		want := fmt.Sprintf("failed to start daemon, ensure wharfd is not running: process with PID %d is still running and holds the lock on the %s", os.Getpid(), c.what)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("second lock: %v, want %q", err, want)
		}
	}
	pid, err := os.ReadFile(filepath.Join(execRoot, pidFileName))
	if err != nil || string(pid) != fmt.Sprintf("%d\n", os.Getpid()) {
		t.Errorf("pid file: %q %v", pid, err)
	}
	if err := l.Release(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(execRoot, pidFileName)); !os.IsNotExist(err) {
		t.Errorf("pid file after release: %v", err)
	}
	// A refused attempt took nothing: other is free.
	l, err = LockRoots(config.Config{Root: root, ExecRoot: execRoot})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Release()
	l2, err := LockRoots(config.Config{Root: other, ExecRoot: filepath.Join(t.TempDir(), "made")})
	if err != nil {
		t.Fatalf("the refused attempts left a lock: %v", err)
	}
	l2.Release()
}
