package build

import (
	"archive/tar"
	"bytes"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/moby/go-archive"
)

// TestAddHostileArchive: ADD of a local tar unpacks it as dockerd does,
// at the destination as if it were the root: what climbs out of it is
// refused at build time with go-archive's words, absolute links and
// names are taken within it, and the layer made always extracts.
func TestAddHostileArchive(t *testing.T) {
	reg := func(name string) tent { return tent{name: name, body: "data of " + name} }
	dir := func(name string) tent { return tent{name: name, typ: tar.TypeDir, mode: 0o755} }
	sym := func(name, link string) tent { return tent{name: name, typ: tar.TypeSymlink, link: link} }
	hard := func(name, link string) tent { return tent{name: name, typ: tar.TypeLink, link: link} }
	for _, c := range []struct {
		name    string
		archive []tent
		want    string   // the error's text
		layer   []string // else the layer's entries: name, or name>link for links
	}{
		{name: "plain", archive: []tent{dir("d/"), reg("d/f"), sym("d/l", "f"), hard("d/h", "d/f")},
			layer: []string{"a/d/", "a/d/f", "a/d/h>a/d/f", "a/d/l>f"}},
		{name: "symlink climbing out, then a file through it", archive: []tent{sym("l", "../../.."), reg("l/etc/evil")},
			want: "path escapes from parent"},
		{name: "symlink climbing out in a directory", archive: []tent{dir("d/"), sym("d/l", "../.."), reg("d/l/x")},
			want: "path escapes from parent"},
		{name: "chain of symlinks climbing out", archive: []tent{sym("l1", "l2"), sym("l2", "sub/l3"), dir("sub/"), sym("sub/l3", "../../x"), reg("l1/f")},
			want: "path escapes from parent"},
		{name: "dotdot name", archive: []tent{reg("../x")}, want: `invalid entry name "../x"`},
		{name: "dotdot inside a name", archive: []tent{reg("d/../../x")}, want: `invalid entry name "d/../../x"`},
		{name: "hard link climbing out", archive: []tent{hard("h", "../../etc/passwd")}, want: `invalid hardlink target "../../etc/passwd"`},
		{name: "hard link to an absolute path outside the archive", archive: []tent{hard("h", "/etc/passwd")},
			want: "no such file or directory"},
		{name: "hard link to an absolute path inside the archive", archive: []tent{reg("etc/passwd"), hard("h", "/etc/passwd")},
			layer: []string{"a/etc/", "a/etc/passwd", "a/h>a/etc/passwd"}},
		{name: "absolute symlink, then a file through it", archive: []tent{sym("l", "/"), reg("l/etc/x")},
			layer: []string{"a/etc/", "a/etc/x", "a/l>/"}},
		{name: "chain of symlinks to an absolute path", archive: []tent{sym("l1", "l2"), sym("l2", "/etc"), reg("l1/x")},
			layer: []string{"a/etc/", "a/etc/x", "a/l1>l2", "a/l2>/etc"}},
		{name: "absolute name", archive: []tent{reg("/abs")}, layer: []string{"a/abs"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			images := newFakeImages()
			id, out, err := fakeBuild(t, images, Options{},
				tent{name: "Dockerfile", body: "FROM scratch\nADD x.tar /a/\n"},
				tent{name: "x.tar", body: string(mkTar(t, c.archive...))})
			if c.want != "" {
				if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "failed to copy files") {
					t.Fatalf("error %v, want %q\n%s", err, c.want, out)
				}
				if ids := images.ids(); len(ids) > 0 {
					t.Errorf("the failed build left %d images", len(ids))
				}
				return
			}
			if err != nil {
				t.Fatalf("%v\n%s", err, out)
			}
			layer := images.layer(id)
			if got := layerEntries(t, layer); !slices.Equal(got, c.layer) {
				t.Errorf("layer %q, want %q", got, c.layer)
			}
			// As a container's first use extracts it.
			if err := archive.Untar(bytes.NewReader(layer), t.TempDir(), &archive.TarOptions{NoLchown: true}); err != nil {
				t.Errorf("the layer does not extract: %v", err)
			}
		})
	}
}

// layerEntries lists a layer tar's entries as name, or name>link for
// links, sorted.
func layerEntries(t *testing.T, layer []byte) []string {
	t.Helper()
	var out []string
	tr := tar.NewReader(bytes.NewReader(layer))
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		name := h.Name
		if h.Typeflag == tar.TypeSymlink || h.Typeflag == tar.TypeLink {
			name += ">" + h.Linkname
		}
		out = append(out, name)
	}
	slices.Sort(out)
	return out
}
