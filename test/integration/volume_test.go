//go:build integration

package integration

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// cleanupVolumes removes the named volumes when the test ends.
func cleanupVolumes(t *testing.T, names ...string) {
	t.Cleanup(func() {
		testEnv.run("wharf", append([]string{"volume", "rm", "-f"}, names...)...)
	})
}

func TestVolumeCreateInspectListRemove(t *testing.T) {
	for _, c := range clis {
		t.Run(c, func(t *testing.T) {
			name := uniqueName(t, "vol")
			cleanupVolumes(t, name)
			if out := strings.TrimSpace(cli(t, c, "volume", "create", "--label", "app=db", name)); out != name {
				t.Fatalf("volume create printed %q", out)
			}
			var vols []struct {
				Name, Driver, Mountpoint, Scope, CreatedAt string
				Labels                                     map[string]string
			}
			if err := json.Unmarshal([]byte(cli(t, c, "volume", "inspect", name)), &vols); err != nil || len(vols) != 1 {
				t.Fatalf("volume inspect: %v %+v", err, vols)
			}
			v := vols[0]
			if v.Driver != "local" || v.Scope != "local" || v.Labels["app"] != "db" ||
				v.Mountpoint != filepath.Join(testEnv.root, "volumes", name, "_data") {
				t.Fatalf("volume inspect: %+v", v)
			}
			if _, err := time.Parse(time.RFC3339, v.CreatedAt); err != nil {
				t.Fatalf("CreatedAt %q: %v", v.CreatedAt, err)
			}
			ls := cli(t, c, "volume", "ls", "--filter", "label=app=db", "--format", "{{.Driver}} {{.Name}}")
			if !contains(lines(ls), "local "+name) {
				t.Fatalf("volume ls --filter label: %q", ls)
			}
			if ls := cli(t, c, "volume", "ls", "-q", "--filter", "label=app=other"); contains(lines(ls), name) {
				t.Fatalf("label filter did not filter: %q", ls)
			}
			if ls := cli(t, c, "volume", "ls", "-q", "--filter", "dangling=true"); !contains(lines(ls), name) {
				t.Fatalf("unused volume not dangling: %q", ls)
			}
			cli(t, c, "volume", "rm", name)
			r := testEnv.run(c, "volume", "inspect", name)
			if r.code == 0 || !strings.Contains(r.stderr, "no such volume") {
				t.Fatalf("inspect after rm: %d %q", r.code, r.stderr)
			}
		})
	}
}

func TestVolumeDataOutlivesContainerAndDaemon(t *testing.T) {
	vol, ctr := uniqueName(t, "vol"), uniqueName(t, "ctr")
	cleanupVolumes(t, vol)
	// -v with a missing volume creates it.
	cli(t, "wharf", "run", "--name", ctr, "-v", vol+":/data", "busybox", "sh", "-c", "echo kept > /data/file")
	cli(t, "wharf", "rm", "-v", ctr)
	if got := cli(t, "wharf", "run", "--rm", "-v", vol+":/data", "busybox", "cat", "/data/file"); got != "kept\n" {
		t.Fatalf("after container removal: %q", got)
	}

	t.Cleanup(func() {
		if testEnv.daemon == nil {
			if err := testEnv.startDaemon(); err != nil {
				t.Errorf("restarting wharfd: %v", err)
			}
		}
	})
	testEnv.stopDaemon(syscall.SIGKILL)
	if err := testEnv.startDaemon(); err != nil {
		t.Fatal(err)
	}
	if got := cli(t, "wharf", "run", "--rm", "-v", vol+":/data", "busybox", "cat", "/data/file"); got != "kept\n" {
		t.Fatalf("after daemon kill -9: %q", got)
	}
	if ls := cli(t, "wharf", "volume", "ls", "-q"); !contains(lines(ls), vol) {
		t.Fatalf("volume gone after restart: %q", ls)
	}
}

func TestVolumeInUseCannotBeRemoved(t *testing.T) {
	vol, ctr := uniqueName(t, "vol"), uniqueName(t, "ctr")
	cleanupVolumes(t, vol)
	id := runDetached(t, "wharf", ctr, "-v", vol+":/data", "busybox", "sleep", "60")
	for _, c := range clis {
		r := testEnv.run(c, "volume", "rm", vol)
		want := "Error response from daemon: remove " + vol + ": volume is in use - [" + id + "]"
		if r.code != 1 || strings.TrimSpace(r.stderr) != want {
			t.Fatalf("%s volume rm: %d %q, want %q", c, r.code, r.stderr, want)
		}
	}
	if ls := cli(t, "wharf", "volume", "ls", "-q", "--filter", "dangling=false"); !contains(lines(ls), vol) {
		t.Fatalf("used volume not listed as not dangling: %q", ls)
	}
	if ps := cli(t, "wharf", "ps", "-q", "--no-trunc", "--filter", "volume="+vol); strings.TrimSpace(ps) != id {
		t.Fatalf("ps --filter volume=: %q", ps)
	}
	// A stopped container still holds it.
	cli(t, "wharf", "stop", "-t", "0", ctr)
	if r := testEnv.run("wharf", "volume", "rm", vol); r.code == 0 {
		t.Fatal("volume used by a stopped container removed")
	}
	cli(t, "wharf", "rm", ctr)
	cli(t, "wharf", "volume", "rm", vol)
}

func TestVolumeCopyUpAndAnonymous(t *testing.T) {
	img := "vol-" + uniqueName(t, "img")
	importImage(t, img, `VOLUME ["/etc"]`, `CMD ["sh"]`)
	vol, ctr := uniqueName(t, "vol"), uniqueName(t, "ctr")
	cleanupVolumes(t, vol)

	// A new named volume over image content gets that content.
	if got := cli(t, "wharf", "run", "--rm", "-v", vol+":/etc", "busybox", "cat", "/etc/group"); !strings.Contains(got, "root:") {
		t.Fatalf("copy-up into a named volume: %q", got)
	}
	if _, err := os.Stat(filepath.Join(testEnv.root, "volumes", vol, "_data", "passwd")); err != nil {
		t.Fatalf("volume not filled: %v", err)
	}
	// nocopy leaves it empty.
	nocopy := uniqueName(t, "nocopy")
	cleanupVolumes(t, nocopy)
	if got := cli(t, "wharf", "run", "--rm", "-v", nocopy+":/etc:nocopy", "busybox", "ls", "/etc"); got != "" {
		t.Fatalf("nocopy volume has %q", got)
	}

	// The image's VOLUME and -v /path make anonymous volumes; rm -v removes them.
	cleanupContainers(t, ctr)
	cli(t, "wharf", "create", "--name", ctr, "-v", "/scratch", img, "true")
	var mounts []struct {
		Type, Name, Source, Destination, Driver, Mode string
		RW                                            bool
	}
	if err := json.Unmarshal([]byte(inspectField(t, ctr, "{{json .Mounts}}")), &mounts); err != nil || len(mounts) != 2 {
		t.Fatalf("mounts: %v %+v", err, mounts)
	}
	var anon []string
	for _, m := range mounts {
		if m.Type != "volume" || m.Driver != "local" || !m.RW || len(m.Name) != 64 || m.Source != filepath.Join(testEnv.root, "volumes", m.Name, "_data") {
			t.Errorf("anonymous mount: %+v", m)
		}
		anon = append(anon, m.Name)
	}
	cli(t, "wharf", "start", "-a", ctr)
	if _, err := os.Stat(filepath.Join(testEnv.root, "volumes", anon[0], "_data")); err != nil {
		t.Fatal(err)
	}
	cli(t, "wharf", "rm", "-v", ctr)
	ls := lines(cli(t, "wharf", "volume", "ls", "-q"))
	for _, a := range anon {
		if contains(ls, a) {
			t.Errorf("anonymous volume %s left after rm -v", a)
		}
	}
	// --rm removes them too.
	cli(t, "wharf", "run", "--rm", "-v", "/scratch", "busybox", "true")
	if got := len(lines(cli(t, "wharf", "volume", "ls", "-q"))); got != len(ls) {
		t.Errorf("run --rm left an anonymous volume: %d volumes, want %d", got, len(ls))
	}
}

func TestVolumesFromAndPrune(t *testing.T) {
	vol, src := uniqueName(t, "vol"), uniqueName(t, "src")
	cleanupVolumes(t, vol)
	runDetached(t, "wharf", src, "-v", vol+":/shared", "busybox", "sh", "-c", "echo from-src > /shared/f; sleep 60")
	waitFor(t, 10*time.Second, "the file", func() bool {
		_, err := os.Stat(filepath.Join(testEnv.root, "volumes", vol, "_data", "f"))
		return err == nil
	})
	if got := cli(t, "docker", "run", "--rm", "--volumes-from", src, "busybox", "cat", "/shared/f"); got != "from-src\n" {
		t.Fatalf("--volumes-from: %q", got)
	}
	r := testEnv.run("wharf", "run", "--rm", "--volumes-from", src+":ro", "busybox", "touch", "/shared/g")
	if r.code == 0 || !strings.Contains(r.stderr, "Read-only file system") {
		t.Fatalf("--volumes-from :ro wrote: %d %q", r.code, r.stderr)
	}

	// prune takes unused anonymous volumes only, unless --all.
	unused := uniqueName(t, "unused")
	cleanupVolumes(t, unused)
	cli(t, "wharf", "volume", "create", unused)
	anonCtr := uniqueName(t, "anon")
	cleanupContainers(t, anonCtr)
	cli(t, "wharf", "create", "--name", anonCtr, "-v", "/x", "busybox")
	anonName := inspectField(t, anonCtr, "{{(index .Mounts 0).Name}}")
	cli(t, "wharf", "rm", anonCtr)
	out := cli(t, "docker", "volume", "prune", "-f")
	if !strings.Contains(out, anonName) || strings.Contains(out, unused) || strings.Contains(out, vol) {
		t.Fatalf("volume prune: %q", out)
	}
	out = cli(t, "docker", "volume", "prune", "-af")
	if !strings.Contains(out, unused) || strings.Contains(out, vol) {
		t.Fatalf("volume prune --all: %q", out)
	}
}

func TestBindMountsAndTmpfs(t *testing.T) {
	host := t.TempDir()
	os.WriteFile(filepath.Join(host, "keep"), []byte("host data\n"), 0o644)
	// A symlink to the directory: resolved on the host.
	link := filepath.Join(t.TempDir(), "link")
	os.Symlink(host, link)
	ctr := uniqueName(t, "ctr")
	cleanupContainers(t, ctr)
	cli(t, "wharf", "run", "--name", ctr, "-v", link+":/h", "--mount", "type=bind,source="+host+",target=/ro,readonly",
		"busybox", "sh", "-c", "cat /h/keep; echo new > /h/new; touch /ro/x 2>/dev/null && echo wrote-ro; true")
	if got := cli(t, "wharf", "logs", ctr); got != "host data\n" {
		t.Fatalf("bind mount: %q", got)
	}
	if b, _ := os.ReadFile(filepath.Join(host, "new")); string(b) != "new\n" {
		t.Fatalf("write through bind: %q", b)
	}
	var mounts []struct {
		Type, Source, Destination, Mode, Propagation string
		RW                                           bool
	}
	json.Unmarshal([]byte(inspectField(t, ctr, "{{json .Mounts}}")), &mounts)
	if len(mounts) != 2 {
		t.Fatalf("mounts: %+v", mounts)
	}
	for _, m := range mounts {
		switch m.Destination {
		case "/h":
			if m.Type != "bind" || m.Source != link || !m.RW || m.Propagation != "rprivate" || m.Mode != "" {
				t.Errorf("-v bind: %+v", m)
			}
		case "/ro":
			if m.Type != "bind" || m.Source != host || m.RW || m.Propagation != "rprivate" {
				t.Errorf("--mount bind readonly: %+v", m)
			}
		}
	}
	// Removing the container leaves the host's files alone.
	cli(t, "wharf", "rm", "-v", ctr)
	if b, _ := os.ReadFile(filepath.Join(host, "keep")); string(b) != "host data\n" {
		t.Fatalf("host data after rm: %q", b)
	}

	// tmpfs, with --tmpfs and --mount, and a read-only root.
	out := cli(t, "wharf", "run", "--rm", "--read-only", "--tmpfs", "/run:size=1m", "--mount", "type=tmpfs,target=/t,tmpfs-size=2097152",
		"busybox", "sh", "-c", "grep -E ' /(run|t) ' /proc/mounts; echo x > /t/f && echo tmpfs-ok; touch /root-file 2>&1; true")
	for _, want := range []string{"tmpfs /run tmpfs rw,nosuid,nodev,noexec,relatime,size=1024k", "tmpfs /t tmpfs rw,nosuid,nodev,noexec,relatime,size=2048k", "tmpfs-ok", "Read-only file system"} {
		if !strings.Contains(out, want) {
			t.Errorf("no %q in:\n%s", want, out)
		}
	}
}

func TestMountErrors(t *testing.T) {
	for _, c := range clis {
		t.Run(c, func(t *testing.T) {
			cases := []struct {
				args []string
				want string
			}{
				{[]string{"--mount", "type=bind,source=/does/not/exist,target=/x"}, `invalid mount config for type "bind": bind source path does not exist: /does/not/exist`},
				{[]string{"-v", "/tmp:relative"}, `invalid volume specification: '/tmp:relative'`},
				{[]string{"-v", "/tmp:/x:bogus"}, `invalid mode: bogus`},
				{[]string{"-v", "a/b:/x"}, `"a/b" includes invalid characters for a local volume name`},
				{[]string{"--mount", "type=volume,target=/x,readonly"}, `must not set ReadOnly mode when using anonymous volumes`},
			}
			for _, tc := range cases {
				args := append(append([]string{"run", "--rm"}, tc.args...), "busybox", "true")
				r := testEnv.run(c, args...)
				if r.code != 125 || !strings.Contains(r.stderr, tc.want) {
					t.Errorf("%v: exit %d, stderr %q; want 125 and %q", tc.args, r.code, r.stderr, tc.want)
				}
			}
		})
	}
}

// TestMountVolumeLabels: --mount's volume-label reaches the volume it
// makes, anonymous or named.
func TestMountVolumeLabels(t *testing.T) {
	name := uniqueName(t, "c")
	named := uniqueName(t, "vol")
	cleanupContainers(t, name)
	t.Cleanup(func() { testEnv.run("wharf", "volume", "rm", named) })
	cli(t, "docker", "create", "--name", name,
		"--mount", "type=volume,target=/anon,volume-label=k=v",
		"--mount", "type=volume,source="+named+",target=/named,volume-label=team=a",
		"busybox", "true")
	anon := strings.TrimSpace(cli(t, "docker", "inspect", "-f", `{{range .Mounts}}{{if eq .Destination "/anon"}}{{.Name}}{{end}}{{end}}`, name))
	if got := strings.TrimSpace(cli(t, "docker", "volume", "inspect", "-f", "{{.Labels.k}}", anon)); got != "v" {
		t.Errorf("anonymous volume %s: label k=%q, want v", anon, got)
	}
	if got := strings.TrimSpace(cli(t, "docker", "volume", "inspect", "-f", "{{.Labels.team}}", named)); got != "a" {
		t.Errorf("named volume: label team=%q, want a", got)
	}
	cli(t, "docker", "rm", "-v", name)
}
