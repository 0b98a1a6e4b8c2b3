package container

import (
	"archive/tar"
	"bytes"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/containerd/errdefs"
	"github.com/moby/go-archive"
)

// FuzzArchivePaths is docker cp's two halves on a root file system full of
// traps (links climbing out, absolute links, loops, a link to a host
// path): GET of any path gives a tar of what is inside the root only, and
// PUT of any tar at any path unpacks inside the root or is refused with a
// 400. A file beside the root must never be read or changed. The
// extraction is chrooted, as the daemon's: root only.
func FuzzArchivePaths(f *testing.F) {
	if os.Geteuid() != 0 {
		f.Skip("chrootarchive needs root")
	}
	base := f.TempDir()
	root := filepath.Join(base, "rootfs")
	outside := filepath.Join(base, "outside")
	const secret = "SECRET-BESIDE-THE-ROOT"
	for _, d := range []string{filepath.Join(root, "etc"), filepath.Join(root, "dir", "sub"), outside} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			f.Fatal(err)
		}
	}
	os.WriteFile(filepath.Join(root, "etc", "passwd"), []byte("root:x:0:0::/root:/bin/sh\n"), 0o644)
	os.WriteFile(filepath.Join(root, "dir", "file"), []byte("inside"), 0o644)
	os.WriteFile(filepath.Join(outside, "secret"), []byte(secret), 0o644)
	for link, target := range map[string]string{
		"up": "../../..", "abs": "/etc", "host": outside, "hostfile": filepath.Join(outside, "secret"),
		"loop1": "loop2", "loop2": "loop1", "dir/back": "../../../outside", "dir/sub/self": ".",
	} {
		if err := os.Symlink(target, filepath.Join(root, link)); err != nil {
			f.Fatal(err)
		}
	}
	tarOf := func(name, linkname string, typ byte, body string) []byte {
		var b bytes.Buffer
		tw := tar.NewWriter(&b)
		tw.WriteHeader(&tar.Header{Name: name, Linkname: linkname, Typeflag: typ, Mode: 0o644, Size: int64(len(body))})
		io.WriteString(tw, body)
		tw.Close()
		return b.Bytes()
	}
	for _, p := range []string{"/", "/etc/passwd", "up", "up/outside/secret", "/abs/", "host", "hostfile", "loop1/x", "dir/back/secret", "dir/sub/self/self/.", "../../outside", "/dir/."} {
		f.Add(p, tarOf("x", "", tar.TypeReg, "x"))
	}
	f.Add("/dir", tarOf("../../outside/secret", "", tar.TypeReg, "overwritten"))
	f.Add("/dir", tarOf("l", "/", tar.TypeSymlink, ""))
	f.Add("/up", tarOf("h", filepath.Join(outside, "secret"), tar.TypeLink, ""))
	f.Add("/host", tarOf("x", "", tar.TypeReg, "x"))

	f.Fuzz(func(t *testing.T, path string, tarball []byte) {
		if rc, _, err := archivePath(root, path); err == nil {
			tr := tar.NewReader(rc)
			for {
				h, err := tr.Next()
				if err != nil {
					break
				}
				body, _ := io.ReadAll(io.LimitReader(tr, 1<<20))
				if strings.Contains(string(body), secret) || strings.Contains(h.Linkname, secret) {
					t.Fatalf("GET %q gave %s, the file beside the root", path, h.Name)
				}
			}
			rc.Close()
		}
		if dir, err := extractionDir(root, path); err == nil {
			if !strings.HasPrefix(dir+"/", root+"/") {
				t.Fatalf("PUT %q extracts to %s, outside the root", path, dir)
			}
			if err := extractTar(root, dir, bytes.NewReader(tarball), &archive.TarOptions{}); err != nil && !errdefs.IsInvalidArgument(err) {
				t.Fatalf("PUT %q: %v is not a 400", path, err)
			}
		}
		if names := dirNames(base); !slices.Equal(names, []string{"outside", "rootfs"}) {
			t.Fatalf("beside the root after %q: %v", path, names)
		}
		if names := dirNames(outside); !slices.Equal(names, []string{"secret"}) {
			t.Fatalf("the directory beside the root after %q holds %v", path, names)
		}
		if b, _ := os.ReadFile(filepath.Join(outside, "secret")); string(b) != secret {
			t.Fatalf("PUT %q changed the file beside the root: %q", path, b)
		}
	})
}

func dirNames(dir string) []string {
	des, _ := os.ReadDir(dir)
	var names []string
	for _, d := range des {
		names = append(names, d.Name())
	}
	return names
}
