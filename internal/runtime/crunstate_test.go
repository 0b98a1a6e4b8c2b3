package runtime

import (
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"
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

// crun's status file, as crun 1.8.1 writes it, gives the cgroup path.
func TestCgroupPathsFromCrunStatus(t *testing.T) {
	r := &Runtime{Root: t.TempDir()}
	dir := filepath.Join(r.Root, "c1")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	status := `{"pid": 42, "process-start-time": 7, "cgroup-path": "/wharf/c1", "scope": "", "systemd-cgroup": false}`
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
		if !strings.HasSuffix(p, "/wharf/c1") {
			t.Errorf("%s: %s is not the container's cgroup", c, p)
		}
	}
	if _, err := r.CgroupPaths("missing"); err == nil {
		t.Error("a container without state has cgroup paths")
	}
}
