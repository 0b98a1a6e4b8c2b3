//go:build integration

package integration

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestIpcModes: --ipc as dockerd has it. A container's IPC is private by
// default and cannot be joined; a shareable one's /dev/shm is shared with
// the containers that join it (POSIX shared memory written on either side
// is seen on the other), and goes when it stops; host shares the host's
// /dev/shm; none has no /dev/shm.
func TestIpcModes(t *testing.T) {
	private := uniqueName(t, "private")
	runDetached(t, "wharf", private, "busybox", "sleep", "300")
	if got := inspectField(t, private, "{{.HostConfig.IpcMode}} {{.HostConfig.ShmSize}}"); got != "private 67108864" {
		t.Fatalf("default IPC mode and /dev/shm size: %q", got)
	}
	for _, c := range clis {
		r := testEnv.run(c, "run", "--rm", "--ipc", "container:"+private, "busybox", "true")
		if r.code != 125 || !strings.Contains(r.stderr, "non-shareable IPC (hint: use IpcMode:shareable for the donor container)") {
			t.Fatalf("%s: joining a private IPC: %+v", c, r)
		}
	}

	donor := uniqueName(t, "donor")
	id := runDetached(t, "wharf", donor, "--ipc", "shareable", "--shm-size", "2m", "busybox", "sh", "-c", "echo from-donor > /dev/shm/seg; sleep 300")
	waitFor(t, 10*time.Second, "the donor's segment", func() bool {
		return testEnv.run("wharf", "exec", donor, "test", "-f", "/dev/shm/seg").code == 0
	})
	for _, c := range clis {
		out := cli(t, c, "run", "--rm", "--ipc", "container:"+donor, "busybox", "sh", "-c",
			"cat /dev/shm/seg; echo from-"+c+" > /dev/shm/"+c+"; grep ' /dev/shm ' /proc/self/mounts")
		if !strings.HasPrefix(out, "from-donor\n") || !strings.Contains(out, "size=2048k") {
			t.Fatalf("%s: joiner's /dev/shm:\n%s", c, out)
		}
		if got := cli(t, "wharf", "exec", donor, "cat", "/dev/shm/"+c); got != "from-"+c+"\n" {
			t.Fatalf("%s: the joiner's segment in the donor: %q", c, got)
		}
	}
	// The donor's /dev/shm is a mount on the host side until it stops.
	shmMounted := func() bool {
		b, _ := os.ReadFile("/proc/self/mounts")
		return strings.Contains(string(b), filepath.Join("containers", id, "shm"))
	}
	if !shmMounted() {
		t.Fatal("the shareable container's /dev/shm is not mounted on the host side")
	}
	cli(t, "wharf", "stop", "-t", "0", donor)
	if shmMounted() {
		t.Fatal("the stopped container's /dev/shm is still mounted")
	}
	r := testEnv.run("docker", "run", "--rm", "--ipc", "container:"+donor, "busybox", "true")
	if r.code != 125 || !strings.Contains(r.stderr, "can't join IPC of container "+id+": container "+id+" is not running") {
		t.Fatalf("joining a stopped donor: %+v", r)
	}

	// host: the host's /dev/shm; none: no /dev/shm at all.
	seg := filepath.Join("/dev/shm", uniqueName(t, "seg"))
	if err := os.WriteFile(seg, []byte("from-host\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Remove(seg) })
	if got := cli(t, "wharf", "run", "--rm", "--ipc", "host", "busybox", "cat", seg); got != "from-host\n" {
		t.Fatalf("--ipc host: %q", got)
	}
	if r := testEnv.run("wharf", "run", "--rm", "--ipc", "none", "busybox", "ls", "/dev/shm"); r.code == 0 {
		t.Fatalf("--ipc none has a /dev/shm: %+v", r)
	}
}
