package runtime

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/containerd/errdefs"
)

func TestCreateErrorKeepsRuntimeMessage(t *testing.T) {
	raw := `time="2026-11-23T17:39:06Z" level=error msg="runc create failed: unable to start container process: exec: \"nonexist\": executable file not found in $PATH"` + "\n"
	err := createError(raw)
	want := `failed to create task for container: OCI runtime create failed: runc create failed: unable to start container process: exec: "nonexist": executable file not found in $PATH: unknown`
	if err.Error() != want {
		t.Fatalf("got  %s\nwant %s", err, want)
	}
	if !errdefs.IsInvalidArgument(err) {
		t.Fatal("a missing entrypoint is not an invalid-argument error")
	}
	if other := createError("something else broke"); errdefs.IsInvalidArgument(other) || !strings.Contains(other.Error(), "something else broke") {
		t.Fatalf("other failure: %v", other)
	}
}

func TestDeleteStoppedRemovesStateAndCgroups(t *testing.T) {
	root := t.TempDir()
	cg := filepath.Join(t.TempDir(), "memory", "wharf", "c1")
	os.MkdirAll(cg, 0o755)
	state := filepath.Join(root, "c1")
	os.MkdirAll(state, 0o700)
	// pid 2^22-1 is above pid_max on ordinary systems: certainly not alive.
	os.WriteFile(filepath.Join(state, "state.json"), []byte(`{"init_process_pid":4194303,"cgroup_paths":{"memory":"`+cg+`"}}`), 0o600)
	r := &Runtime{Root: root}
	if !r.Exists("c1") {
		t.Fatal("Exists: false for a container with state")
	}
	if err := r.deleteStopped("c1"); err != nil {
		t.Fatal(err)
	}
	if r.Exists("c1") {
		t.Fatal("state directory left")
	}
	if _, err := os.Stat(cg); !os.IsNotExist(err) {
		t.Fatal("cgroup directory left")
	}
}

func TestDeleteStoppedRefusesLiveInit(t *testing.T) {
	root := t.TempDir()
	os.MkdirAll(filepath.Join(root, "c2"), 0o700)
	os.WriteFile(filepath.Join(root, "c2", "state.json"), []byte(`{"init_process_pid":`+itoa(os.Getpid())+`,"cgroup_paths":{"memory":"/nonexistent"}}`), 0o600)
	if err := (&Runtime{Root: root}).deleteStopped("c2"); err == nil {
		t.Fatal("deleted the state of a container whose init is alive")
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// crun's missing command reads as runc's, so the docker CLI exits 127.
func TestCreateErrorCrunNotFound(t *testing.T) {
	err := createError("executable file `nosuch` not found in $PATH: No such file or directory")
	want := `OCI runtime create failed: exec: "nosuch": executable file not found in $PATH: unknown`
	if !errdefs.IsInvalidArgument(err) || !strings.Contains(err.Error(), want) {
		t.Errorf("got %v, want an invalid argument saying %q", err, want)
	}
}

// crun's words for a command it cannot run carry the "permission
// denied" the docker CLI turns into exit code 126.
func TestCreateErrorCrunNotExecutable(t *testing.T) {
	for _, raw := range []string{"open executable: Permission denied", "open executable: Operation not permitted"} {
		err := createError(raw)
		if !errdefs.IsInvalidArgument(err) || !strings.Contains(err.Error(), "permission denied") {
			t.Errorf("%q: got %v", raw, err)
		}
	}
}
