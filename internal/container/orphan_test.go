package container

import (
	"fmt"
	"os"
	"os/exec"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func TestNamesPath(t *testing.T) {
	for _, c := range []struct {
		cmdline string
		want    bool
	}{
		{"conmon\x00-b\x00/run/w/containers/abc\x00-c\x00abc", true},
		{"runc\x00create\x00--bundle\x00/run/w/containers/abc\x00abc", true},
		{"conmon\x00-p\x00/run/w/containers/abc/pidfile", true},
		{"conmon\x00-b\x00/run/w/containers/abcd", false},
		{"sleep\x003600", false},
	} {
		if got := namesPath(c.cmdline, "/run/w/containers/abc"); got != c.want {
			t.Errorf("namesPath(%q) = %v, want %v", c.cmdline, got, c.want)
		}
	}
}

// A start that fails because the container whose namespaces it joins
// ended meanwhile names that process, not runc's "Cannot allocate memory".
func TestGoneNamespaceOwner(t *testing.T) {
	spec := &specs.Spec{Linux: &specs.Linux{Namespaces: []specs.LinuxNamespace{
		{Type: specs.MountNamespace},
		{Type: specs.NetworkNamespace, Path: "/var/run/netns/x"},
		{Type: specs.PIDNamespace, Path: fmt.Sprintf("/proc/%d/ns/pid", os.Getpid())},
	}}}
	if got := goneNamespaceOwner(spec); got != 0 {
		t.Fatalf("with its owners alive: %d", got)
	}
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	gone := cmd.Process.Pid
	spec.Linux.Namespaces = append(spec.Linux.Namespaces, specs.LinuxNamespace{Type: specs.IPCNamespace, Path: fmt.Sprintf("/proc/%d/ns/ipc", gone)})
	if got := goneNamespaceOwner(spec); got != gone {
		t.Fatalf("got %d, want the ended process %d", got, gone)
	}
}
