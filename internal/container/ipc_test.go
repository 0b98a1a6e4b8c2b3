package container

import (
	"slices"
	"testing"

	"github.com/moby/moby/api/types/container"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// TestDevShmByIpcMode: /dev/shm as dockerd mounts it for each IPC mode.
func TestDevShmByIpcMode(t *testing.T) {
	for _, tc := range []struct {
		name   string
		hc     container.HostConfig
		shmDir string
		want   *specs.Mount // nil: no /dev/shm
	}{
		{"private", container.HostConfig{IpcMode: "private"}, "",
			&specs.Mount{Destination: "/dev/shm", Type: "tmpfs", Source: "shm", Options: []string{"nosuid", "noexec", "nodev", "mode=1777", "size=67108864"}}},
		{"private sized", container.HostConfig{IpcMode: "private", ShmSize: 1 << 20}, "",
			&specs.Mount{Destination: "/dev/shm", Type: "tmpfs", Source: "shm", Options: []string{"nosuid", "noexec", "nodev", "mode=1777", "size=1048576"}}},
		{"none", container.HostConfig{IpcMode: "none"}, "", nil},
		{"shared dir", container.HostConfig{IpcMode: "container:x"}, "/run/x/shm",
			&specs.Mount{Destination: "/dev/shm", Type: "bind", Source: "/run/x/shm", Options: []string{"rbind", "rprivate", "nosuid", "noexec", "nodev"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got *specs.Mount
			for _, m := range defaultMounts(&tc.hc, tc.shmDir) {
				if m.Destination == "/dev/shm" {
					got = &m
				}
			}
			switch {
			case tc.want == nil && got != nil:
				t.Fatalf("got a /dev/shm: %+v", got)
			case tc.want != nil && (got == nil || got.Type != tc.want.Type || got.Source != tc.want.Source || !slices.Equal(got.Options, tc.want.Options)):
				t.Fatalf("/dev/shm = %+v, want %+v", got, tc.want)
			}
		})
	}
}

// TestApplyDefaultsIpc: a container gets the daemon's default IPC mode
// ("private" unless default-ipc-mode says shareable) and /dev/shm size,
// which inspect shows, as dockerd's.
func TestApplyDefaultsIpc(t *testing.T) {
	s := &Service{}
	hc := container.HostConfig{}
	s.applyDefaults(&hc)
	if hc.IpcMode != "private" || hc.ShmSize != 64<<20 {
		t.Fatalf("defaults: ipc %q shm %d", hc.IpcMode, hc.ShmSize)
	}
	s.cfg.Defaults = Defaults{IpcMode: "shareable", ShmSize: 1 << 20}
	hc = container.HostConfig{}
	s.applyDefaults(&hc)
	if hc.IpcMode != "shareable" || hc.ShmSize != 1<<20 {
		t.Fatalf("daemon.json defaults: ipc %q shm %d", hc.IpcMode, hc.ShmSize)
	}
	hc = container.HostConfig{IpcMode: "host", ShmSize: 5}
	s.applyDefaults(&hc)
	if hc.IpcMode != "host" || hc.ShmSize != 5 {
		t.Fatalf("the container's own: ipc %q shm %d", hc.IpcMode, hc.ShmSize)
	}
}
