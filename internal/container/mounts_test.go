package container

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/mount"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func TestParseBind(t *testing.T) {
	cases := []struct {
		raw  string
		want MountPoint
	}{
		{"/host:/ctr", MountPoint{Type: mount.TypeBind, Source: "/host", Destination: "/ctr", RW: true, Propagation: "rprivate"}},
		{"/host/:/ctr/:ro", MountPoint{Type: mount.TypeBind, Source: "/host", Destination: "/ctr", Mode: "ro", Propagation: "rprivate"}},
		{"/host:/ctr:rw,rshared", MountPoint{Type: mount.TypeBind, Source: "/host", Destination: "/ctr", Mode: "rw,rshared", RW: true, Propagation: "rshared"}},
		{"data:/var/lib/data", MountPoint{Type: mount.TypeVolume, Name: "data", Destination: "/var/lib/data", Mode: "z", RW: true, CopyData: true}},
		{"data:/d:ro,nocopy", MountPoint{Type: mount.TypeVolume, Name: "data", Destination: "/d", Mode: "ro,nocopy"}},
	}
	for _, tc := range cases {
		mp, err := parseBind(tc.raw)
		if err != nil {
			t.Errorf("%s: %v", tc.raw, err)
			continue
		}
		if *mp != tc.want {
			t.Errorf("%s: got %+v, want %+v", tc.raw, *mp, tc.want)
		}
	}
}

func TestParseBindErrors(t *testing.T) {
	cases := map[string]string{
		"":                  "invalid volume specification: ''",
		"/ctr:rw":           "invalid volume specification: '/ctr:rw'",
		"/a:/b:/c:/d":       "invalid volume specification: '/a:/b:/c:/d'",
		"/host:/ctr:bogus":  "invalid mode: bogus",
		"/host:/ctr:ro,rw":  "invalid mode: ro,rw",
		"/host:relative":    `invalid volume specification: '/host:relative': invalid mount config for type "bind": invalid mount path: 'relative' mount path must be absolute`,
		"/host:/":           "invalid volume specification: '/host:/': invalid mount config for type \"bind\": invalid specification: destination can't be '/'", // dockerd 20.10's words
		"vol:relative/path": `invalid volume specification: 'vol:relative/path': invalid mount config for type "volume": invalid mount path: 'relative/path' mount path must be absolute`,
	}
	for raw, want := range cases {
		_, err := parseBind(raw)
		if err == nil || err.Error() != want {
			t.Errorf("%q: got %v, want %q", raw, err, want)
		}
	}
}

func TestParseMount(t *testing.T) {
	dir := t.TempDir()
	mp, err := parseMount(mount.Mount{Type: mount.TypeBind, Source: dir, Target: "/src", ReadOnly: true})
	if err != nil || mp.Source != dir || mp.RW || mp.Propagation != "rprivate" || !mp.NoCreate {
		t.Fatalf("bind: %+v %v", mp, err)
	}
	mp, err = parseMount(mount.Mount{Type: mount.TypeVolume, Source: "v", Target: "/v", VolumeOptions: &mount.VolumeOptions{NoCopy: true}})
	if err != nil || mp.Name != "v" || mp.Mode != "z" || mp.CopyData || !mp.RW {
		t.Fatalf("volume: %+v %v", mp, err)
	}
	mp, err = parseMount(mount.Mount{Type: mount.TypeTmpfs, Target: "/t", TmpfsOptions: &mount.TmpfsOptions{SizeBytes: 64 << 20, Mode: 0o1770}})
	if err != nil || mp.TmpfsData != "mode=1770,size=64m" {
		t.Fatalf("tmpfs: %+v %v", mp, err)
	}

	errCases := []struct {
		m    mount.Mount
		want string
	}{
		{mount.Mount{Type: mount.TypeBind, Source: "/does/not/exist", Target: "/x"}, `invalid mount config for type "bind": bind source path does not exist: /does/not/exist`},
		{mount.Mount{Type: mount.TypeBind, Source: "rel", Target: "/x"}, `invalid mount config for type "bind": invalid mount path: 'rel' mount path must be absolute`},
		{mount.Mount{Type: mount.TypeBind, Target: "/x"}, `invalid mount config for type "bind": field Source must not be empty`},
		{mount.Mount{Type: mount.TypeBind, Source: dir, Target: "x"}, `invalid mount config for type "bind": invalid mount path: 'x' mount path must be absolute`},
		{mount.Mount{Type: mount.TypeBind, Source: dir, Target: "/x", BindOptions: &mount.BindOptions{Propagation: "bogus"}}, `invalid mount config for type "bind": invalid propagation mode: bogus`},
		{mount.Mount{Type: mount.TypeVolume, Target: "/x", ReadOnly: true}, `invalid mount config for type "volume": must not set ReadOnly mode when using anonymous volumes`},
		{mount.Mount{Type: mount.TypeTmpfs, Source: "x", Target: "/x"}, `invalid mount config for type "tmpfs": field Source must not be specified`},
		{mount.Mount{Type: mount.TypeTmpfs, Target: "/x", TmpfsOptions: &mount.TmpfsOptions{Options: [][]string{{"suid"}}}}, `invalid mount config for type "tmpfs": invalid option: suid`},
		{mount.Mount{Type: "weird", Target: "/x"}, `invalid mount config for type "weird": mount type unknown`},
	}
	for _, tc := range errCases {
		_, err := parseMount(tc.m)
		if err == nil || err.Error() != tc.want {
			t.Errorf("%+v: got %v, want %q", tc.m, err, tc.want)
		}
	}
}

func TestParseVolumesFrom(t *testing.T) {
	if id, mode, err := parseVolumesFrom("web"); id != "web" || mode != "rw" || err != nil {
		t.Fatalf("got %q %q %v", id, mode, err)
	}
	if id, mode, err := parseVolumesFrom("web:ro"); id != "web" || mode != "ro" || err != nil {
		t.Fatalf("got %q %q %v", id, mode, err)
	}
	for _, bad := range []string{"", "web:rshared", "web:nocopy", "web:bogus"} {
		if _, _, err := parseVolumesFrom(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestTmpfsMountMergesDefaults(t *testing.T) {
	m := tmpfsMount("/run", "exec,size=64m")
	if !slices.Equal(m.Options, []string{"nosuid", "nodev", "size=64m"}) || m.Type != "tmpfs" {
		t.Fatalf("got %+v", m)
	}
}

func TestWithUserMountsReplacesDefaults(t *testing.T) {
	defaults := []specs.Mount{{Destination: "/proc"}, {Destination: "/dev/shm"}, {Destination: "/etc/hosts"}}
	user := []specs.Mount{{Destination: "/a/b"}, {Destination: "/dev/shm"}, {Destination: "/a"}}
	var got []string
	for _, m := range withUserMounts(defaults, user) {
		got = append(got, m.Destination)
	}
	want := []string{"/proc", "/etc/hosts", "/a", "/a/b", "/dev/shm"}
	if !slices.Equal(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
}

func TestResolveBindSource(t *testing.T) {
	dir := t.TempDir()
	real := filepath.Join(dir, "real")
	os.Mkdir(real, 0o755)
	os.Symlink(real, filepath.Join(dir, "link"))
	src, err := resolveBindSource(&MountPoint{Source: filepath.Join(dir, "link")})
	if err != nil || src != real {
		t.Fatalf("got %q %v", src, err)
	}
	// -v creates a missing source; --mount refuses it.
	if _, err := resolveBindSource(&MountPoint{Source: filepath.Join(dir, "new")}); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(filepath.Join(dir, "new")); err != nil || !st.IsDir() {
		t.Fatalf("not created: %v", err)
	}
	_, err = resolveBindSource(&MountPoint{Source: filepath.Join(dir, "gone"), NoCreate: true})
	if err == nil || !strings.Contains(err.Error(), "bind source path does not exist") {
		t.Fatalf("got %v", err)
	}
}

func TestCopyUp(t *testing.T) {
	rootfs, vol := t.TempDir(), t.TempDir()
	os.MkdirAll(filepath.Join(rootfs, "data/sub"), 0o750)
	os.WriteFile(filepath.Join(rootfs, "data/sub/f"), []byte("x"), 0o644)
	if err := copyUp(rootfs, "/data", vol); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(filepath.Join(vol, "sub/f")); err != nil || string(b) != "x" {
		t.Fatalf("not copied: %q %v", b, err)
	}
	// A volume with content is left alone.
	os.WriteFile(filepath.Join(rootfs, "data/g"), []byte("y"), 0o644)
	if err := copyUp(rootfs, "/data", vol); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(vol, "g")); err == nil {
		t.Fatal("copied into a volume that had content")
	}
}

func TestAddMountsAndLimits(t *testing.T) {
	yes := true
	c := testContainer(container.Config{Cmd: []string{"sh"}}, container.HostConfig{NetworkMode: "none", Resources: container.Resources{
		Memory: 8 << 20, MemorySwap: -1, OomKillDisable: &yes,
		Ulimits: []*container.Ulimit{{Name: "nofile", Soft: 100, Hard: 200}},
	}})
	s, err := buildSpec(c, specInput{Rootfs: fakeRootfs(t), Init: "/usr/bin/tini-static",
		Mounts: []specs.Mount{{Destination: "/data", Type: "bind", Source: "/srv"}}})
	if err != nil {
		t.Fatal(err)
	}
	m := s.Linux.Resources.Memory
	if *m.Limit != 8<<20 || *m.Swap != -1 || m.DisableOOMKiller == nil || !*m.DisableOOMKiller {
		t.Fatalf("memory: %+v", m)
	}
	if len(s.Process.Rlimits) != 1 || s.Process.Rlimits[0] != (specs.POSIXRlimit{Type: "RLIMIT_NOFILE", Soft: 100, Hard: 200}) {
		t.Fatalf("rlimits: %+v", s.Process.Rlimits)
	}
	if !slices.Equal(s.Process.Args, []string{initPath, "--", "sh"}) {
		t.Fatalf("args: %v", s.Process.Args)
	}
	var dsts []string
	for _, m := range s.Mounts {
		dsts = append(dsts, m.Destination)
	}
	if !slices.Contains(dsts, "/data") || !slices.Contains(dsts, initPath) {
		t.Fatalf("mounts: %v", dsts)
	}
}

func TestValidateResources(t *testing.T) {
	bad := []container.Resources{
		{Memory: 1 << 20},
		{Memory: 16 << 20, MemorySwap: 8 << 20},
		{MemorySwap: 8 << 20},
		{NanoCPUs: 1e9, CPUQuota: 50000},
		{CPUPeriod: 10},
	}
	for _, r := range bad {
		if err := validateResources(&r); err == nil {
			t.Errorf("%+v accepted", r)
		}
	}
	if err := validateResources(&container.Resources{Memory: 8 << 20, MemorySwap: -1, NanoCPUs: 5e8}); err != nil {
		t.Fatal(err)
	}
}
