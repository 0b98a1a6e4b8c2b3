package runtime

import (
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

func TestParseCgroupDirs(t *testing.T) {
	hybrid := "9:name=systemd:/\n8:pids:/\n3:cpu,cpuacct:/\n4:memory:/x\n0::/\n"
	got, err := parseCgroupDirs(strings.NewReader(hybrid), false, "/wharf/c1")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"name=systemd": "/sys/fs/cgroup/systemd/wharf/c1",
		"pids":         "/sys/fs/cgroup/pids/wharf/c1",
		"cpu":          "/sys/fs/cgroup/cpu,cpuacct/wharf/c1",
		"cpuacct":      "/sys/fs/cgroup/cpu,cpuacct/wharf/c1",
		"memory":       "/sys/fs/cgroup/memory/wharf/c1",
	}
	if !maps.Equal(got, want) {
		t.Errorf("hybrid host: got %v, want %v", got, want)
	}
	got, err = parseCgroupDirs(strings.NewReader("0::/init.scope\n"), true, "/wharf/c1")
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string]string{"": "/sys/fs/cgroup/wharf/c1"}; !maps.Equal(got, want) {
		t.Errorf("unified host: got %v, want %v", got, want)
	}
}

// crun's status file, as crun 1.8.1 writes it, gives the cgroup path,
// found in each of the host's hierarchies (the root cgroup here: one
// that exists on every host).
func TestCgroupPathsFromCrunStatus(t *testing.T) {
	r := &Runtime{Root: t.TempDir()}
	dir := filepath.Join(r.Root, "c1")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	status := `{"pid": 42, "process-start-time": 7, "cgroup-path": "/", "scope": "", "systemd-cgroup": false}`
	if err := os.WriteFile(filepath.Join(dir, "status"), []byte(status), 0o600); err != nil {
		t.Fatal(err)
	}
	paths, err := r.CgroupPaths("c1")
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) == 0 {
		t.Fatal("no cgroup paths")
	}
	for c, p := range paths {
		if st, err := os.Stat(p); err != nil || !st.IsDir() || !strings.HasPrefix(p, "/sys/fs/cgroup") {
			t.Errorf("%s: %s is not a cgroup directory (%v)", c, p, err)
		}
	}
	if _, err := r.CgroupPaths("missing"); err == nil {
		t.Error("a container without state has cgroup paths")
	}
}

func crunState(t *testing.T, pid int) (*Runtime, string) {
	t.Helper()
	r := &Runtime{Root: t.TempDir()}
	dir := filepath.Join(r.Root, "c1")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	status := fmt.Sprintf(`{"pid": %d, "cgroup-path": "/wharf-unit-test-none/c1"}`, pid)
	if err := os.WriteFile(filepath.Join(dir, "status"), []byte(status), 0o600); err != nil {
		t.Fatal(err)
	}
	return r, dir
}

// startCrun writes the byte the created init waits for on exec.fifo, as
// crun start does, and removes the fifo.
func TestStartCrun(t *testing.T) {
	r, dir := crunState(t, os.Getpid())
	fifo := filepath.Join(dir, "exec.fifo")
	if ok, _ := r.startCrun("c1"); ok {
		t.Fatal("started a container without an exec.fifo")
	}
	if err := unix.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	if ok, _ := r.startCrun("c1"); ok {
		t.Fatal("started a container whose init is gone (no reader)")
	}
	// The init's side: crun create opens it for reading, non-blocking.
	rd, err := os.OpenFile(fifo, os.O_RDONLY|unix.O_NONBLOCK, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	if ok, err := r.startCrun("c1"); !ok || err != nil {
		t.Fatalf("start: %v %v", ok, err)
	}
	buf := make([]byte, 2)
	if n, _ := rd.Read(buf); n != 1 || buf[0] != 0 {
		t.Errorf("the init read %q", buf[:n])
	}
	if _, err := os.Stat(fifo); !os.IsNotExist(err) {
		t.Errorf("exec.fifo left: %v", err)
	}
}

// A crun container whose init has exited is deleted in-process; one
// whose init runs is left to crun.
func TestDeleteStoppedCrun(t *testing.T) {
	r, dir := crunState(t, os.Getpid())
	if err := r.deleteStoppedCrun("c1"); err == nil {
		t.Fatal("deleted a running container")
	}
	if _, err := os.Stat(dir); err != nil {
		t.Errorf("a running container's state went: %v", err)
	}
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	r, dir = crunState(t, cmd.Process.Pid)
	if err := r.deleteStoppedCrun("c1"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("state left: %v", err)
	}
}
