//go:build integration

package integration

import (
	"archive/tar"
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// tarOf is a tar of headers, each regular file holding its own name.
func tarOf(t *testing.T, headers ...tar.Header) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, h := range headers {
		if h.Mode == 0 {
			h.Mode = 0o644
		}
		if h.Typeflag == tar.TypeReg {
			h.Size = int64(len(h.Name))
		}
		if err := tw.WriteHeader(&h); err != nil {
			t.Fatal(err)
		}
		if h.Typeflag == tar.TypeReg {
			tw.Write([]byte(h.Name))
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestBuildAddHostileArchive: ADD of a local tar follows dockerd's rules,
// which load and import follow too: an entry climbing out of the
// destination fails the build (before, the image built and failed at
// run with "path escapes from parent"), absolute names and links are
// taken inside the destination, and what builds runs.
func TestBuildAddHostileArchive(t *testing.T) {
	noBuildkit(t)
	climbing := []tar.Header{
		{Name: "l", Typeflag: tar.TypeSymlink, Linkname: "../../.."},
		{Name: "l/etc/evil", Typeflag: tar.TypeReg},
	}
	for _, c := range []struct {
		name    string
		archive []tar.Header
		want    string // the build's error
		run     string // else what the image runs, printing its files
	}{
		{name: "symlink climbing out", archive: climbing, want: "path escapes from parent"},
		{name: "symlink chain climbing out", want: "path escapes from parent", archive: []tar.Header{
			{Name: "l1", Typeflag: tar.TypeSymlink, Linkname: "d/l2"},
			{Name: "d/l2", Typeflag: tar.TypeSymlink, Linkname: "../../../.."},
			{Name: "l1/etc/evil", Typeflag: tar.TypeReg},
		}},
		{name: "dot-dot name", want: `invalid entry name "../../evil"`, archive: []tar.Header{
			{Name: "../../evil", Typeflag: tar.TypeReg},
		}},
		{name: "hard link climbing out", want: `invalid hardlink target "../../etc/passwd"`, archive: []tar.Header{
			{Name: "h", Typeflag: tar.TypeLink, Linkname: "../../etc/passwd"},
		}},
		{name: "hard link to an absolute path", want: "no such file or directory", archive: []tar.Header{
			{Name: "h", Typeflag: tar.TypeLink, Linkname: "/etc/passwd"},
		}},
		{name: "absolute links kept inside", run: "cat /a/h /a/etc/x; readlink /a/abs", archive: []tar.Header{
			{Name: "etc/passwd", Typeflag: tar.TypeReg},
			{Name: "h", Typeflag: tar.TypeLink, Linkname: "/etc/passwd"},
			{Name: "abs", Typeflag: tar.TypeSymlink, Linkname: "/"},
			{Name: "abs/etc/x", Typeflag: tar.TypeReg},
		}},
	} {
		for _, cl := range clis {
			t.Run(c.name+"/"+cl, func(t *testing.T) {
				tag := uniqueName(t, "img")
				cleanupImages(t, tag)
				images := len(lines(cli(t, "wharf", "images", "-aq")))
				dir := buildContext(t, map[string]string{"Dockerfile": "FROM busybox\nADD x.tar /a/\n", "x.tar": string(tarOf(t, c.archive...))})
				r := testEnv.run(cl, "build", "-t", tag, dir)
				if c.want != "" {
					if r.code != 1 || !strings.Contains(r.stderr, "failed to copy files: ") || !strings.Contains(r.stderr, c.want) {
						t.Fatalf("build: exit %d, want %q\nstdout: %s\nstderr: %s", r.code, c.want, r.stdout, r.stderr)
					}
					if got := len(lines(cli(t, "wharf", "images", "-aq"))); got != images {
						t.Errorf("images: %d before, %d after", images, got)
					}
					return
				}
				if r.code != 0 {
					t.Fatalf("build: exit %d\nstdout: %s\nstderr: %s", r.code, r.stdout, r.stderr)
				}
				if got := cli(t, cl, "run", "--rm", tag, "sh", "-c", c.run); got != "etc/passwdabs/etc/x/\n" {
					t.Errorf("run: %q", got)
				}
			})
		}
	}
	// Import, which makes a layer of the tar as it is, refuses it alike.
	tarball := filepath.Join(t.TempDir(), "climbing.tar")
	if err := os.WriteFile(tarball, tarOf(t, climbing...), 0o644); err != nil {
		t.Fatal(err)
	}
	if r := testEnv.run("wharf", "import", tarball, uniqueName(t, "imported")); r.code == 0 || !strings.Contains(r.stderr, "path escapes from parent") {
		t.Errorf("import: exit %d, %s", r.code, r.stderr)
	}
}
