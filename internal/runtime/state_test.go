package runtime

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/containerd/errdefs"
)

func TestStateInProcess(t *testing.T) {
	root := t.TempDir()
	r := &Runtime{Name: "runc", Path: "/nonexistent/runc", Root: root}
	write := func(id string, pid int, start uint64, freezer string) {
		t.Helper()
		dir := filepath.Join(root, id)
		if err := os.MkdirAll(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		paths := map[string]string{}
		if freezer != "" {
			fdir := filepath.Join(root, "freezer-"+id)
			os.MkdirAll(fdir, 0o700)
			os.WriteFile(filepath.Join(fdir, "freezer.state"), []byte(freezer+"\n"), 0o600)
			paths["freezer"] = fdir
		}
		data, _ := json.Marshal(map[string]any{"init_process_pid": pid, "init_process_start": start, "cgroup_paths": paths})
		if err := os.WriteFile(filepath.Join(dir, "state.json"), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	start := startOf(t, os.Getpid())
	write("running", os.Getpid(), start, "THAWED")
	write("reused", os.Getpid(), start+1, "")
	write("paused", os.Getpid(), start, "FROZEN")
	write("created", os.Getpid(), start, "")
	os.WriteFile(filepath.Join(root, "created", "exec.fifo"), nil, 0o600)
	ctx := context.Background()
	for id, want := range map[string]State{
		"running": {Status: "running", Pid: os.Getpid()},
		"reused":  {Status: "stopped"},
		"paused":  {Status: "paused", Pid: os.Getpid()},
		"created": {Status: "created", Pid: os.Getpid()},
	} {
		got, err := r.State(ctx, id)
		if err != nil || got != want {
			t.Errorf("%s: got %+v, %v; want %+v", id, got, err, want)
		}
	}
	if _, err := r.State(ctx, "absent"); !errdefs.IsNotFound(err) {
		t.Errorf("absent: got %v, want NotFound", err)
	}
}

// crun's status gives the same answers in-process (its cgroup is one
// path under every hierarchy, here none that exists: not frozen).
func TestStateInProcessCrun(t *testing.T) {
	root := t.TempDir()
	r := &Runtime{Name: "crun", Path: "/nonexistent/crun", Root: root}
	write := func(id string, pid int, start uint64) {
		t.Helper()
		dir := filepath.Join(root, id)
		if err := os.MkdirAll(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		data, _ := json.Marshal(map[string]any{"pid": pid, "process-start-time": start, "cgroup-path": "/wharf-unit-test-none/" + id})
		if err := os.WriteFile(filepath.Join(dir, "status"), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	start := startOf(t, os.Getpid())
	write("running", os.Getpid(), start)
	write("reused", os.Getpid(), start+1)
	write("created", os.Getpid(), start)
	os.WriteFile(filepath.Join(root, "created", "exec.fifo"), nil, 0o600)
	ctx := context.Background()
	for id, want := range map[string]State{
		"running": {Status: "running", Pid: os.Getpid()},
		"reused":  {Status: "stopped"},
		"created": {Status: "created", Pid: os.Getpid()},
	} {
		got, err := r.State(ctx, id)
		if err != nil || got != want {
			t.Errorf("%s: got %+v, %v; want %+v", id, got, err, want)
		}
	}
}
