package container

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/moby/moby/api/types/container"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// fakeRootfs writes a minimal /etc/passwd and /etc/group.
func fakeRootfs(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	os.MkdirAll(filepath.Join(root, "etc"), 0o755)
	os.WriteFile(filepath.Join(root, "etc/passwd"), []byte("root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000:app:/home/app:/bin/sh\n"), 0o644)
	os.WriteFile(filepath.Join(root, "etc/group"), []byte("root:x:0:\napp:x:1000:\nwheel:x:10:app\n"), 0o644)
	return root
}

func testContainer(cfg container.Config, hc container.HostConfig) *Container {
	return &Container{ID: "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", Config: &cfg, HostConfig: &hc}
}

func TestBuildSpecDefaults(t *testing.T) {
	root := fakeRootfs(t)
	c := testContainer(container.Config{Hostname: "h1", Cmd: []string{"sh"}, Env: []string{"A=1"}}, container.HostConfig{NetworkMode: "bridge"})
	s, err := buildSpec(c, specInput{Rootfs: root, EtcFiles: "/etc-files"})
	if err != nil {
		t.Fatal(err)
	}
	if s.Version != ociVersion || s.Hostname != "h1" || s.Root.Path != root {
		t.Fatalf("spec header wrong: %+v", s)
	}
	if !slices.Equal(s.Process.Args, []string{"sh"}) || s.Process.Cwd != "/" {
		t.Fatalf("process: %+v", s.Process)
	}
	wantEnv := []string{defaultPath, "HOSTNAME=h1", "A=1", "HOME=/root"}
	if !slices.Equal(s.Process.Env, wantEnv) {
		t.Fatalf("env %v, want %v", s.Process.Env, wantEnv)
	}
	if !slices.Equal(s.Process.Capabilities.Bounding, []string{"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL", "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_NET_RAW", "CAP_SYS_CHROOT", "CAP_MKNOD", "CAP_AUDIT_WRITE", "CAP_SETFCAP"}) {
		t.Fatalf("capabilities %v", s.Process.Capabilities.Bounding)
	}
	if s.Linux.Seccomp == nil || len(s.Linux.Seccomp.Syscalls) == 0 {
		t.Fatal("no default seccomp profile")
	}
	if !slices.Contains(s.Linux.MaskedPaths, "/proc/kcore") || !slices.Contains(s.Linux.ReadonlyPaths, "/proc/sys") {
		t.Fatal("masked/readonly paths missing")
	}
	if s.Linux.CgroupsPath != "/wharf/"+c.ID || cgroupsPath("/mine", "/wharf", "x") != "/mine/x" || cgroupsPath("", "ci", "x") != "/ci/x" {
		t.Fatalf("cgroups path %q", s.Linux.CgroupsPath)
	}
	var nsTypes []specs.LinuxNamespaceType
	for _, ns := range s.Linux.Namespaces {
		nsTypes = append(nsTypes, ns.Type)
	}
	for _, want := range []specs.LinuxNamespaceType{specs.PIDNamespace, specs.MountNamespace, specs.IPCNamespace, specs.UTSNamespace, specs.NetworkNamespace} {
		if !slices.Contains(nsTypes, want) {
			t.Errorf("namespace %s missing", want)
		}
	}
	var dests []string
	for _, m := range s.Mounts {
		dests = append(dests, m.Destination)
	}
	for _, want := range []string{"/proc", "/dev", "/dev/pts", "/sys", "/dev/shm", "/dev/mqueue", "/etc/hostname", "/etc/hosts", "/etc/resolv.conf"} {
		if !slices.Contains(dests, want) {
			t.Errorf("mount %s missing", want)
		}
	}
}

func TestBuildSpecHostNetworkAndPrivileged(t *testing.T) {
	c := testContainer(container.Config{Cmd: []string{"sh"}}, container.HostConfig{NetworkMode: "host", Privileged: true})
	s, err := buildSpec(c, specInput{Rootfs: fakeRootfs(t)})
	if err != nil {
		t.Fatal(err)
	}
	for _, ns := range s.Linux.Namespaces {
		if ns.Type == specs.NetworkNamespace || ns.Type == specs.UTSNamespace {
			t.Errorf("host network must not get a %s namespace", ns.Type)
		}
	}
	if s.Linux.Seccomp != nil || len(s.Linux.MaskedPaths) != 0 {
		t.Error("privileged container is confined")
	}
	if !slices.Equal(s.Process.Capabilities.Bounding, privilegedCaps()) || !slices.Contains(s.Process.Capabilities.Bounding, "CAP_SYS_ADMIN") {
		t.Error("privileged container lacks capabilities")
	}
}

func TestCapabilitiesAddDrop(t *testing.T) {
	caps, err := capabilities(&container.HostConfig{CapAdd: []string{"NET_ADMIN"}, CapDrop: []string{"chown", "CAP_KILL"}})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(caps, "CAP_NET_ADMIN") || slices.Contains(caps, "CAP_CHOWN") || slices.Contains(caps, "CAP_KILL") {
		t.Fatalf("caps %v", caps)
	}
	caps, _ = capabilities(&container.HostConfig{CapDrop: []string{"ALL"}, CapAdd: []string{"kill"}})
	if !slices.Equal(caps, []string{"CAP_KILL"}) {
		t.Fatalf("drop all + add kill: %v", caps)
	}
	if _, err := capabilities(&container.HostConfig{CapAdd: []string{"BOGUS"}}); err == nil {
		t.Fatal("unknown capability accepted")
	}
}

func TestResolveUser(t *testing.T) {
	root := fakeRootfs(t)
	cases := []struct {
		spec     string
		uid, gid int
		home     string
		sgids    []uint32
		wantErr  bool
	}{
		{spec: "", uid: 0, gid: 0, home: "/root"},
		{spec: "app", uid: 1000, gid: 1000, home: "/home/app", sgids: []uint32{10}},
		{spec: "1000", uid: 1000, gid: 1000, home: "/home/app", sgids: []uint32{10}},
		{spec: "1000:10", uid: 1000, gid: 10, home: "/home/app"},
		{spec: "4242", uid: 4242, gid: 0, home: "/"}, // docker: an unknown uid gets gid 0
		{spec: "4242:wheel", uid: 4242, gid: 10, home: "/"},
		{spec: "nosuchuser", wantErr: true},
		{spec: "app:nosuchgroup", wantErr: true},
	}
	for _, c := range cases {
		u, err := resolveUser(root, c.spec)
		if c.wantErr {
			if err == nil {
				t.Errorf("%q: no error", c.spec)
			}
			continue
		}
		if err != nil || u.Uid != c.uid || u.Gid != c.gid || u.Home != c.home || !slices.Equal(u.Sgids, c.sgids) {
			t.Errorf("%q: got %+v, %v", c.spec, u, err)
		}
	}
}

func TestResolveUserDoesNotFollowSymlinksOutOfRootfs(t *testing.T) {
	root := t.TempDir()
	os.MkdirAll(filepath.Join(root, "etc"), 0o755)
	// A hostile image points /etc/passwd at the host's.
	os.Symlink("/etc/passwd", filepath.Join(root, "etc/passwd"))
	if _, err := resolveUser(root, "root"); err == nil {
		// "root" is not numeric and the image has no passwd of its own.
		t.Fatal("user resolved through a symlink to the host's /etc/passwd")
	}
}

func TestResources(t *testing.T) {
	pids := int64(50)
	r := resources(&container.HostConfig{Resources: container.Resources{Memory: 64 << 20, NanoCPUs: 1_500_000_000, PidsLimit: &pids, CPUShares: 512}})
	if *r.Memory.Limit != 64<<20 || *r.Memory.Swap != 128<<20 {
		t.Errorf("memory %+v", r.Memory)
	}
	if *r.CPU.Quota != 150000 || *r.CPU.Period != 100000 || *r.CPU.Shares != 512 {
		t.Errorf("cpu %+v", r.CPU)
	}
	if *r.Pids.Limit != 50 {
		t.Errorf("pids %+v", r.Pids)
	}
	if r.Devices[0].Allow || r.Devices[0].Access != "rwm" {
		t.Error("device cgroup does not start from deny-all")
	}
}

func TestBoundedCaps(t *testing.T) {
	status := "Name:\twharfd\nCapInh:\t0000000000000000\nCapBnd:\t000001fffeffffff\n"
	got := boundedCaps(allCaps(), status)
	if len(got) != len(allCaps())-1 || slices.Contains(got, "CAP_SYS_RESOURCE") || !slices.Contains(got, "CAP_SYS_ADMIN") {
		t.Errorf("bounded by a mask without bit 24: %d caps, %v", len(got), got)
	}
	if got := boundedCaps(allCaps(), "CapBnd:\tzz\n"); len(got) != len(allCaps()) {
		t.Errorf("an unreadable mask should keep every capability, got %d", len(got))
	}
}

func TestBuildSpecConsoleSize(t *testing.T) {
	root := fakeRootfs(t)
	hc := container.HostConfig{NetworkMode: "none", ConsoleSize: [2]uint{30, 100}}
	s, err := buildSpec(testContainer(container.Config{Tty: true, Cmd: []string{"sh"}}, hc), specInput{Rootfs: root})
	if err != nil {
		t.Fatal(err)
	}
	if s.Process.ConsoleSize == nil || *s.Process.ConsoleSize != (specs.Box{Height: 30, Width: 100}) {
		t.Errorf("console size %+v, want 30x100", s.Process.ConsoleSize)
	}
	s, err = buildSpec(testContainer(container.Config{Cmd: []string{"sh"}}, hc), specInput{Rootfs: root})
	if err != nil {
		t.Fatal(err)
	}
	if s.Process.ConsoleSize != nil {
		t.Errorf("a container without a terminal has a console size %+v", s.Process.ConsoleSize)
	}
}
