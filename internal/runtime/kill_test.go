package runtime

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// startOf is pid's start time as runc records its init's.
func startOf(t *testing.T, pid int) uint64 {
	t.Helper()
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		t.Skip(err)
	}
	f := strings.Fields(string(data[strings.LastIndexByte(string(data), ')')+1:]))
	n, err := strconv.ParseUint(f[19], 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestKillInProcess(t *testing.T) {
	root := t.TempDir()
	// The runtime binary does not exist: whatever falls back to it fails.
	r := &Runtime{Name: "runc", Path: "/nonexistent/runc", Root: root, Log: slog.New(slog.DiscardHandler)}
	type ns struct {
		Type string `json:"type"`
		Path string `json:"path,omitempty"`
	}
	write := func(id string, pid int, start uint64, namespaces []ns, created bool) {
		t.Helper()
		dir := filepath.Join(root, id)
		if err := os.MkdirAll(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		st := map[string]any{
			"init_process_pid": pid, "init_process_start": start, "cgroup_paths": map[string]string{},
			"config": map[string]any{"namespaces": namespaces},
		}
		data, _ := json.Marshal(st)
		if err := os.WriteFile(filepath.Join(dir, "state.json"), data, 0o600); err != nil {
			t.Fatal(err)
		}
		if created {
			if err := os.WriteFile(filepath.Join(dir, "exec.fifo"), nil, 0o600); err != nil {
				t.Fatal(err)
			}
		}
	}
	sleeper := func() *exec.Cmd {
		t.Helper()
		cmd := exec.Command("sleep", "60")
		if err := cmd.Start(); err != nil {
			t.Skip(err)
		}
		t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
		return cmd
	}
	own := []ns{{Type: "NEWNS"}, {Type: "NEWPID"}, {Type: "NEWNET", Path: "/run/netns/x"}}

	// A running container with its own PID namespace: signalled here.
	cmd := sleeper()
	write("running", cmd.Process.Pid, startOf(t, cmd.Process.Pid), own, false)
	if err := r.Kill(context.Background(), "running", syscall.SIGTERM, false); err != nil {
		t.Fatalf("kill: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		var exit *exec.ExitError
		if !errors.As(err, &exit) || exit.Sys().(syscall.WaitStatus).Signal() != syscall.SIGTERM {
			t.Errorf("sleep ended with %v, want SIGTERM", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the signal did not arrive")
	}

	// Everything else is runc's: here, the missing binary's error, and
	// the process untouched.
	other := sleeper()
	pid, start := other.Process.Pid, startOf(t, other.Process.Pid)
	write("reused", pid, start+1, own, false)
	write("created", pid, start, own, true)
	write("sharedpid", pid, start, []ns{{Type: "NEWNS"}, {Type: "NEWPID", Path: "/proc/1/ns/pid"}}, false)
	write("hostpid", pid, start, []ns{{Type: "NEWNS"}}, false)
	for _, id := range []string{"reused", "created", "sharedpid", "hostpid", "missing"} {
		if err := r.Kill(context.Background(), id, syscall.SIGTERM, false); err == nil {
			t.Errorf("%s: signalled in-process, want runc's kill", id)
		}
	}
	write("all", pid, start, own, false)
	if err := r.Kill(context.Background(), "all", syscall.SIGTERM, true); err == nil {
		t.Error("kill --all: signalled in-process, want runc's kill")
	}
	if err := other.Process.Signal(syscall.Signal(0)); err != nil {
		t.Errorf("the other process was signalled: %v", err)
	}
}
