//go:build integration

package integration

import (
	"archive/tar"
	"bytes"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func readFile(t *testing.T, name string) string {
	t.Helper()
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// writeAt writes content at path, making its directories.
func writeAt(t *testing.T, path, content string) string {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestCpRunningContainer(t *testing.T) {
	for _, c := range clis {
		t.Run(c, func(t *testing.T) {
			name := uniqueName(t, "cp")
			runDetached(t, c, name, "busybox", "sh", "-c", "mkdir -p /data/sub && echo deep > /data/sub/f && echo top > /data/g && sleep 300")
			waitFor(t, 10*time.Second, "files in the container", func() bool {
				return testEnv.run(c, "exec", name, "test", "-f", "/data/g").code == 0
			})
			tmp := t.TempDir()

			// host → container: a file, then a directory.
			src := writeAt(t, filepath.Join(tmp, "in.txt"), "hello cp\n")
			cli(t, c, "cp", src, name+":/tmp/")
			if out := cli(t, c, "exec", name, "cat", "/tmp/in.txt"); out != "hello cp\n" {
				t.Fatalf("file copied in: %q", out)
			}
			dir := filepath.Join(tmp, "indir")
			writeAt(t, filepath.Join(dir, "a", "b.txt"), "b\n")
			cli(t, c, "cp", dir, name+":/tmp/newdir")
			if out := cli(t, c, "exec", name, "cat", "/tmp/newdir/a/b.txt"); out != "b\n" {
				t.Fatalf("directory copied in: %q", out)
			}

			// container → host: a file, a directory, and a directory's contents ("/.").
			cli(t, c, "cp", name+":/data/g", filepath.Join(tmp, "g.out"))
			if got := readFile(t, filepath.Join(tmp, "g.out")); got != "top\n" {
				t.Fatalf("file copied out: %q", got)
			}
			cli(t, c, "cp", name+":/data", filepath.Join(tmp, "out1"))
			if got := readFile(t, filepath.Join(tmp, "out1", "sub", "f")); got != "deep\n" {
				t.Fatalf("directory copied out: %q", got)
			}
			os.Mkdir(filepath.Join(tmp, "out2"), 0o755)
			cli(t, c, "cp", name+":/data/.", filepath.Join(tmp, "out2"))
			if got := readFile(t, filepath.Join(tmp, "out2", "sub", "f")); got != "deep\n" {
				t.Fatalf("directory contents copied out: %q", got)
			}
			if _, err := os.Stat(filepath.Join(tmp, "out2", "data")); err == nil {
				t.Fatal(`"/." copied the directory itself`)
			}

			r := testEnv.run(c, "cp", name+":/nonexistent", tmp)
			if r.code == 0 || !strings.Contains(r.stderr, "Could not find the file /nonexistent in container "+name) {
				t.Fatalf("missing file: exit %d, stderr %q", r.code, r.stderr)
			}
		})
	}
}

func TestCpStoppedContainer(t *testing.T) {
	for _, c := range clis {
		t.Run(c, func(t *testing.T) {
			name := uniqueName(t, "cp")
			cleanupContainers(t, name)
			cli(t, c, "create", "--name", name, "busybox", "cat", "/in.txt")
			tmp := t.TempDir()
			cli(t, c, "cp", writeAt(t, filepath.Join(tmp, "in.txt"), "before start\n"), name+":/")
			cli(t, c, "cp", name+":/in.txt", filepath.Join(tmp, "back.txt"))
			if got := readFile(t, filepath.Join(tmp, "back.txt")); got != "before start\n" {
				t.Fatalf("copied back: %q", got)
			}
			if out := cli(t, c, "start", "-a", name); out != "before start\n" {
				t.Fatalf("container saw %q", out)
			}
			// Exited now: copying still works, and the root is not left mounted.
			cli(t, c, "cp", name+":/in.txt", filepath.Join(tmp, "again.txt"))
			merged := inspectField(t, name, "{{.GraphDriver.Data.MergedDir}}")
			if data, _ := os.ReadFile("/proc/self/mountinfo"); strings.Contains(string(data), merged) {
				t.Fatalf("root file system %s left mounted", merged)
			}
		})
	}
}

// Symlinks in the container are followed inside its root, never onto the
// host's: cp through a link to /etc reads and writes the container's /etc.
func TestCpSymlinkEscape(t *testing.T) {
	hostFile := "/etc/wharf-cp-escape-" + filepath.Base(t.TempDir())
	if err := os.WriteFile(hostFile, []byte("host secret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Remove(hostFile) })
	base := filepath.Base(hostFile)

	for _, c := range clis {
		t.Run(c, func(t *testing.T) {
			name := uniqueName(t, "cp")
			runDetached(t, c, name, "busybox", "sh", "-c",
				"ln -s /etc /abs && ln -s ../../../../../../../etc /rel && ln -s "+hostFile+" /leak && sleep 300")
			waitFor(t, 10*time.Second, "links in the container", func() bool {
				return testEnv.run(c, "exec", name, "test", "-L", "/leak").code == 0
			})
			tmp := t.TempDir()

			for _, p := range []string{"/abs/" + base, "/rel/" + base} {
				r := testEnv.run(c, "cp", name+":"+p, filepath.Join(tmp, "x"))
				if r.code == 0 || !strings.Contains(r.stderr, "Could not find the file") {
					t.Fatalf("cp %s: exit %d, stderr %q", p, r.code, r.stderr)
				}
			}
			// The link itself is copied, not what it names on the host.
			cli(t, c, "cp", name+":/leak", filepath.Join(tmp, "leak"))
			if target, err := os.Readlink(filepath.Join(tmp, "leak")); err != nil || target != hostFile {
				t.Fatalf("leak copied as %q, %v", target, err)
			}
			r := testEnv.run(c, "cp", "-L", name+":/leak", filepath.Join(tmp, "leak2"))
			if r.code == 0 {
				t.Fatalf("cp -L of a link to a host file succeeded: %s", readFile(t, filepath.Join(tmp, "leak2")))
			}

			// Writes through the links land in the container's /etc.
			src := writeAt(t, filepath.Join(tmp, "w", "wharf-cp-written"), "x\n")
			for _, p := range []string{"/abs/", "/rel/", "/abs"} {
				cli(t, c, "cp", src, name+":"+p)
			}
			if _, err := os.Stat("/etc/wharf-cp-written"); err == nil {
				os.Remove("/etc/wharf-cp-written")
				t.Fatal("cp wrote into the host's /etc")
			}
			if out := cli(t, c, "exec", name, "cat", "/etc/wharf-cp-written"); out != "x\n" {
				t.Fatalf("container's /etc/wharf-cp-written: %q", out)
			}
			if got := readFile(t, hostFile); got != "host secret\n" {
				t.Fatalf("host file changed: %q", got)
			}
		})
	}
}

// An archive sent to the API cannot reach outside the container's root
// through its own entries: a symlink to /etc followed by a file under it
// stays in the container; a "../" path is refused or kept inside.
func TestCpArchiveEntriesEscape(t *testing.T) {
	name := uniqueName(t, "cp")
	runDetached(t, "wharf", name, "busybox", "sleep", "300")
	base := "wharf-cp-entry-" + filepath.Base(t.TempDir())

	put := func(entries ...*tar.Header) (int, string) {
		var buf bytes.Buffer
		tw := tar.NewWriter(&buf)
		for _, h := range entries {
			tw.WriteHeader(h)
			if h.Typeflag == tar.TypeReg {
				tw.Write([]byte("x\n"))
			}
		}
		tw.Close()
		req, err := http.NewRequest(http.MethodPut, "http://wharf/containers/"+name+"/archive?path=/tmp", &buf)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := testEnv.http().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	defer os.Remove("/etc/" + base)
	defer os.Remove("/etc/" + base + "-dots")

	code, body := put(
		&tar.Header{Name: "link", Typeflag: tar.TypeSymlink, Linkname: "/etc", Mode: 0o777},
		&tar.Header{Name: "link/" + base, Typeflag: tar.TypeReg, Mode: 0o644, Size: 2},
	)
	if code != http.StatusOK {
		t.Fatalf("symlink then file: %d %s", code, body)
	}
	// go-archive resolves the entry's symlink inside the extraction
	// directory (/tmp/etc), stricter than inside the container's root.
	if r := testEnv.run("wharf", "exec", name, "test", "-f", "/tmp/etc/"+base, "-o", "-f", "/etc/"+base); r.code != 0 {
		t.Fatalf("the file under the symlink is not in the container: %s", cli(t, "wharf", "exec", name, "ls", "-la", "/tmp", "/tmp/link/"))
	}
	code, body = put(&tar.Header{Name: "../../../../etc/" + base + "-dots", Typeflag: tar.TypeReg, Mode: 0o644, Size: 2})
	t.Logf("dot-dot entry: %d %s", code, body)

	for _, f := range []string{"/etc/" + base, "/etc/" + base + "-dots"} {
		if _, err := os.Stat(f); err == nil {
			t.Fatalf("the archive wrote %s on the host", f)
		}
	}
	if code == http.StatusOK {
		// Accepted: then it must have landed inside the container.
		if r := testEnv.run("wharf", "exec", name, "test", "-f", "/etc/"+base+"-dots"); r.code != 0 {
			t.Fatal(`"../" entry accepted but not inside the container's root`)
		}
	}
}

// cp -a gives the copied files the container user's uid and gid; without
// it they keep the archive's (the host file's owner, root here).
func TestCpCopyUIDGID(t *testing.T) {
	for _, c := range clis {
		t.Run(c, func(t *testing.T) {
			name := uniqueName(t, "cp")
			cleanupContainers(t, name)
			cli(t, c, "create", "--name", name, "--user", "nobody", "busybox", "stat", "-c", "%u:%g", "/plain", "/archived")
			tmp := t.TempDir()
			cli(t, c, "cp", writeAt(t, filepath.Join(tmp, "plain"), "p\n"), name+":/plain")
			cli(t, c, "cp", "-a", writeAt(t, filepath.Join(tmp, "archived"), "a\n"), name+":/archived")
			if out := cli(t, c, "start", "-a", name); out != "0:0\n65534:65534\n" {
				t.Fatalf("owners: %q", out)
			}
		})
	}
}

// cp reaches into volumes and binds, running or not; read-only ones
// refuse writes.
func TestCpVolumes(t *testing.T) {
	for _, c := range clis {
		t.Run(c, func(t *testing.T) {
			name, stopped, vol := uniqueName(t, "cp"), uniqueName(t, "stopped"), uniqueName(t, "vol")
			cleanupContainers(t, name, stopped)
			t.Cleanup(func() { testEnv.run("wharf", "volume", "rm", "-f", vol) })
			bind := t.TempDir()
			writeAt(t, filepath.Join(bind, "ro.txt"), "from bind\n")
			runDetached(t, c, name, "-v", vol+":/data", "-v", bind+":/ro:ro", "busybox", "sleep", "300")
			tmp := t.TempDir()

			cli(t, c, "cp", writeAt(t, filepath.Join(tmp, "v.txt"), "into volume\n"), name+":/data/")
			if out := cli(t, c, "exec", name, "cat", "/data/v.txt"); out != "into volume\n" {
				t.Fatalf("volume file seen by the container: %q", out)
			}
			cli(t, c, "cp", name+":/ro/ro.txt", filepath.Join(tmp, "ro.out"))
			if got := readFile(t, filepath.Join(tmp, "ro.out")); got != "from bind\n" {
				t.Fatalf("bind file copied out: %q", got)
			}
			if r := testEnv.run(c, "cp", filepath.Join(tmp, "v.txt"), name+":/ro/"); r.code == 0 {
				t.Fatal("cp into a read-only bind succeeded")
			}

			// A stopped container sharing the volume.
			cli(t, c, "create", "--name", stopped, "-v", vol+":/data", "busybox", "cat", "/data/v.txt", "/data/w.txt")
			cli(t, c, "cp", writeAt(t, filepath.Join(tmp, "w.txt"), "while stopped\n"), stopped+":/data/w.txt")
			if out := cli(t, c, "start", "-a", stopped); out != "into volume\nwhile stopped\n" {
				t.Fatalf("stopped container saw %q", out)
			}
			merged := inspectField(t, stopped, "{{.GraphDriver.Data.MergedDir}}")
			if data, _ := os.ReadFile("/proc/self/mountinfo"); strings.Contains(string(data), merged) {
				t.Fatalf("mounts left under %s", merged)
			}
		})
	}
}
