package build

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"testing"
	"time"
)

// tent is a tar entry for the tests: a regular file unless typ says
// otherwise.
type tent struct {
	name, body string
	typ        byte
	link       string
	mode       int64
}

func mkTar(t testing.TB, ents ...tent) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range ents {
		h := &tar.Header{Name: e.name, Typeflag: e.typ, Linkname: e.link, Mode: e.mode, ModTime: time.Unix(1e9, 0)}
		if h.Typeflag == 0 {
			h.Typeflag = tar.TypeReg
		}
		if h.Mode == 0 {
			h.Mode = 0o644
		}
		if h.Typeflag == tar.TypeReg {
			h.Size = int64(len(e.body))
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if _, err := io.WriteString(tw, e.body); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func index(t testing.TB, ents ...tent) *contextIndex {
	t.Helper()
	ix, err := readContextIndex(context.Background(), bytes.NewReader(mkTar(t, ents...)), newSpool(t.TempDir(), memSpoolMax))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ix.close() })
	return ix
}

func files(m map[string]string) []tent {
	var out []tent
	for _, n := range slices.Sorted(func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}) {
		out = append(out, tent{name: n, body: m[n]})
	}
	return out
}

func TestContextIndex(t *testing.T) {
	ix := index(t, tent{name: "Dockerfile", body: "FROM scratch"}, tent{name: "d/", typ: tar.TypeDir, mode: 0o750},
		tent{name: "d/f", body: "hello"}, tent{name: "d/hard", typ: tar.TypeLink, link: "d/f"},
		tent{name: "dev", typ: tar.TypeChar}, tent{name: "fifo", typ: tar.TypeFifo},
		tent{name: "deep/er/x", body: "x"}, tent{name: "/abs", body: "a"})
	e := ix.entries["d/f"]
	if e == nil || e.typ != tar.TypeReg || e.size != 5 || e.sum != sha256.Sum256([]byte("hello")) {
		t.Fatalf("d/f: %+v", e)
	}
	if b, _ := io.ReadAll(e.content()); string(b) != "hello" {
		t.Errorf("content %q", b)
	}
	if h := ix.entries["d/hard"]; h == nil || h.sum != e.sum {
		t.Errorf("hard link: %+v", h)
	}
	if ix.entries["dev"] != nil || ix.entries["fifo"] != nil {
		t.Error("device or FIFO indexed")
	}
	if d := ix.entries["deep/er"]; d == nil || d.typ != tar.TypeDir {
		t.Error("implicit parent missing")
	}
	if ix.entries["abs"] == nil {
		t.Error("/abs not indexed as abs")
	}
	if ix.entries["d"].mode != 0o750 {
		t.Errorf("d mode %o", ix.entries["d"].mode)
	}
	want := []string{"Dockerfile", "abs", "d", "d/f", "d/hard", "deep", "deep/er", "deep/er/x"}
	if got := ix.sorted(); !slices.Equal(got, want) {
		t.Errorf("sorted %q", got)
	}
	if got := ix.under("d"); !slices.Equal(got, []string{"d/f", "d/hard"}) {
		t.Errorf("under d: %q", got)
	}
	if b, err := ix.readFile("Dockerfile"); err != nil || string(b) != "FROM scratch" {
		t.Errorf("readFile: %q %v", b, err)
	}
}

func TestContextIndexHostile(t *testing.T) {
	for name, ents := range map[string][]tent{
		"dotdot":               {{name: "../x", body: "x"}},
		"dotdot inside":        {{name: "a/../../x", body: "x"}},
		"under a symlink":      {{name: "l", typ: tar.TypeSymlink, link: "/etc"}, {name: "l/passwd", body: "x"}},
		"under a file":         {{name: "f", body: "x"}, {name: "f/g", body: "y"}},
		"dir replaced by link": {{name: "d/x", body: "x"}, {name: "d", typ: tar.TypeSymlink, link: "/"}},
	} {
		_, err := readContextIndex(context.Background(), bytes.NewReader(mkTar(t, ents...)), newSpool(t.TempDir(), memSpoolMax))
		if err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	if _, err := readContextIndex(context.Background(), strings.NewReader("not a tar at all, not at all"), newSpool(t.TempDir(), 0)); err == nil {
		t.Error("garbage: no error")
	}
}

func TestContextIndexSymlinks(t *testing.T) {
	ix := index(t, tent{name: "sub/f", body: "f"}, tent{name: "in", typ: tar.TypeSymlink, link: "sub"},
		tent{name: "up", typ: tar.TypeSymlink, link: "../.."}, tent{name: "abs", typ: tar.TypeSymlink, link: "/etc"},
		tent{name: "sub/back", typ: tar.TypeSymlink, link: "../sub/f"}, tent{name: "loop", typ: tar.TypeSymlink, link: "loop"})
	for p, want := range map[string]string{"in/f": "sub/f", "sub/back": "sub/f", "in/../in/f": "sub/f", "sub/..": "."} {
		if got, err := ix.resolve(p, true); err != nil || got != want {
			t.Errorf("resolve %s: %q %v, want %q", p, got, err, want)
		}
	}
	for _, p := range []string{"up/x", "abs/passwd", "abs", ".."} {
		if _, err := ix.resolve(p, true); !errors.Is(err, errOutside) {
			t.Errorf("resolve %s: %v, want outside", p, err)
		}
	}
	if _, err := ix.resolve("loop", true); err == nil {
		t.Error("loop: no error")
	}
	// The last element is a link copied as one.
	if real, e, err := ix.lstat("abs"); err != nil || real != "abs" || e.typ != tar.TypeSymlink {
		t.Errorf("lstat abs: %q %v", real, err)
	}
	// COPY: links inside are followed, escaping ones refused.
	if _, err := collect(ix, "/", copySpec{sources: []string{"in/f"}, dest: "/x"}); err != nil {
		t.Errorf("in/f: %v", err)
	}
	for _, src := range []string{"abs/passwd", "up/etc/passwd", "../x"} {
		_, err := collect(ix, "/", copySpec{sources: []string{src}, dest: "/x"})
		if err == nil || !strings.Contains(err.Error(), "forbidden path outside the build context") {
			t.Errorf("%s: %v", src, err)
		}
	}
	// A Dockerfile behind an escaping link is not read.
	if _, err := ix.readFile("abs/passwd"); err == nil {
		t.Error("read through an escaping link")
	}
}

func TestSpoolSpills(t *testing.T) {
	sp := newSpool(t.TempDir(), 3*spoolChunk/2)
	defer sp.close()
	var want []byte
	for i := range 5 {
		b := bytes.Repeat([]byte{byte('a' + i)}, spoolChunk/2+7)
		off, n, err := sp.append(bytes.NewReader(b), -1)
		if err != nil || n != int64(len(b)) || off != int64(len(want)) {
			t.Fatalf("append %d: %d %d %v", i, off, n, err)
		}
		want = append(want, b...)
	}
	got, err := io.ReadAll(io.NewSectionReader(sp, 0, int64(len(want))))
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("read back: %v", err)
	}
	if _, _, err := sp.append(strings.NewReader("toolong"), 3); !errors.Is(err, errTooLarge) {
		t.Errorf("limit: %v", err)
	}
	if sp.size != int64(len(want)) {
		t.Errorf("a failed append left %d bytes", sp.size-int64(len(want)))
	}
}

func TestDockerignore(t *testing.T) {
	ix := index(t, files(map[string]string{
		"Dockerfile": "FROM scratch", "keep.txt": "k", "secret.txt": "s",
		"logs/a.log": "a", "logs/important.log": "i", "node_modules/x/y.js": "y", "sub/secret.txt": "s2",
		".dockerignore": "*.txt\n!keep.txt\nlogs/*.log\n!logs/important.log\nnode_modules\n**/secret.txt\nDockerfile\n",
	})...)
	patterns, err := readIgnore(ix)
	if err != nil {
		t.Fatal(err)
	}
	if err := applyIgnore(ix, patterns, "Dockerfile"); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]bool{
		"Dockerfile": true, "keep.txt": true, "secret.txt": false, "logs/a.log": false,
		"logs/important.log": true, "node_modules": false, "node_modules/x/y.js": false, "sub/secret.txt": false, "sub": true,
	} {
		if got := ix.entries[name] != nil; got != want {
			t.Errorf("%s: kept = %v, want %v", name, got, want)
		}
	}
	if _, err := collect(ix, "/", copySpec{sources: []string{"node_modules/x/y.js"}, dest: "/"}); err == nil {
		t.Error("ignored file copied")
	}
}

func TestReadIgnoreMissing(t *testing.T) {
	p, err := readIgnore(index(t, tent{name: "Dockerfile"}))
	if err != nil || p != nil {
		t.Fatalf("readIgnore = %v, %v", p, err)
	}
}

func TestCopyChecksum(t *testing.T) {
	sum := func(chown string, ents ...tent) string {
		ix := index(t, ents...)
		entries, err := collect(ix, "/", copySpec{sources: []string{"a"}, dest: "/dst/"})
		if err != nil {
			t.Fatal(err)
		}
		return checksum(entries, chown, nil)
	}
	base := []tent{{name: "a/1.txt", body: "one"}, {name: "a/2.txt", body: "two"}}
	first := sum("", base...)
	if sum("", base...) != first {
		t.Error("same content: different checksums")
	}
	touched := slices.Clone(base)
	ix := index(t, touched...)
	ix.entries["a/1.txt"].mtime = time.Now()
	entries, _ := collect(ix, "/", copySpec{sources: []string{"a"}, dest: "/dst/"})
	if checksum(entries, "", nil) != first {
		t.Error("a newer mtime changed the checksum")
	}
	for what, s := range map[string]string{
		"one byte":  sum("", tent{name: "a/1.txt", body: "onf"}, tent{name: "a/2.txt", body: "two"}),
		"mode":      sum("", tent{name: "a/1.txt", body: "one", mode: 0o755}, tent{name: "a/2.txt", body: "two"}),
		"name":      sum("", tent{name: "a/1.txt", body: "one"}, tent{name: "a/3.txt", body: "two"}),
		"chown":     sum("app", base...),
		"extra dir": sum("", append(slices.Clone(base), tent{name: "a/e/", typ: tar.TypeDir})...),
	} {
		if s == first {
			t.Errorf("%s changed: same checksum", what)
		}
	}
}

func TestCollect(t *testing.T) {
	ix := index(t, files(map[string]string{"a.go": "a", "b.go": "b", "c.txt": "c", "d/e": "e", "d/f/g.go": "g"})...)
	names := func(c copySpec, workdir string) []string {
		entries, err := collect(ix, workdir, c)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, e := range entries {
			out = append(out, e.name)
		}
		return out
	}
	if got := names(copySpec{sources: []string{"*.go"}, dest: "/src"}, "/"); !slices.Equal(got, []string{"src/a.go", "src/b.go"}) {
		t.Errorf("glob: %q", got)
	}
	if got := names(copySpec{sources: []string{"d/*/*.go"}, dest: "/src/"}, "/"); !slices.Equal(got, []string{"src/g.go"}) {
		t.Errorf("glob in a subdirectory: %q", got)
	}
	if got := names(copySpec{sources: []string{"c.txt"}, dest: "x"}, "/app"); !slices.Equal(got, []string{"app/x"}) {
		t.Errorf("file to relative dest: %q", got)
	}
	if got := names(copySpec{sources: []string{"."}, dest: "/ctx/"}, "/"); len(got) != 7 {
		t.Errorf("whole context: %q", got)
	}
	if got := names(copySpec{sources: []string{"d"}, dest: "/opt/"}, "/"); !slices.Equal(got, []string{"opt/e", "opt/f", "opt/f/g.go"}) {
		t.Errorf("directory: %q", got)
	}
	for _, src := range []string{"../x", "missing", "*.none"} {
		if _, err := collect(ix, "/", copySpec{sources: []string{src}, dest: "/"}); err == nil {
			t.Errorf("%s: no error", src)
		}
	}
}

func TestWriteLayer(t *testing.T) {
	ix := index(t, tent{name: "f", body: "data"}, tent{name: "l", typ: tar.TypeSymlink, link: "f"})
	entries, err := collect(ix, "/", copySpec{sources: []string{"f", "l"}, dest: "/g/"})
	if err != nil {
		t.Fatal(err)
	}
	mode := os.FileMode(0o600)
	var buf bytes.Buffer
	if err := writeLayer(&buf, entries, 1000, 1001, &mode); err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(&buf)
	h, err := tr.Next()
	if err != nil {
		t.Fatal(err)
	}
	if h.Name != "g/f" || h.Uid != 1000 || h.Gid != 1001 || h.Mode != 0o600 || h.Size != 4 || !h.ModTime.Equal(time.Unix(1e9, 0)) {
		t.Errorf("header: %+v", h)
	}
	if b, _ := io.ReadAll(tr); string(b) != "data" {
		t.Errorf("content %q", b)
	}
	if h, err := tr.Next(); err != nil || h.Typeflag != tar.TypeSymlink || h.Linkname != "f" || h.Mode != 0o644 {
		t.Errorf("link: %+v %v", h, err)
	}
}

func TestAddArchive(t *testing.T) {
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(mkTar(t, tent{name: "x/y", body: "inner"}))
	zw.Close()
	ix := index(t, tent{name: "a.tar.gz", body: gz.String()}, tent{name: "plain", body: "p"})
	entries, err := collect(ix, "/", copySpec{sources: []string{"a.tar.gz", "plain"}, dest: "/opt/", add: true})
	if err != nil {
		t.Fatal(err)
	}
	b := &Builder{tmp: t.TempDir()}
	rc, err := b.layerOf(entries, 0, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	// The writer is done, scratch space removed, once the pipe ends.
	layer, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	tr := tar.NewReader(bytes.NewReader(layer))
	for {
		h, err := tr.Next()
		if err != nil {
			break
		}
		names = append(names, h.Name)
	}
	if !slices.Equal(names, []string{"opt/x/", "opt/x/y", "opt/plain"}) {
		t.Errorf("layer: %q", names)
	}
	if left, _ := os.ReadDir(b.tmp); len(left) > 0 {
		t.Errorf("scratch space left: %v", left)
	}
}

func TestParseChown(t *testing.T) {
	passwd := "root:x:0:0:root:/root:/bin/sh\napp:x:1000:1001::/home/app:/bin/sh\n"
	group := "root:x:0:\nstaff:x:50:\napp:x:1001:\n"
	reads := 0
	read := func(name string) ([]byte, error) {
		reads++
		switch name {
		case "/etc/passwd":
			return []byte(passwd), nil
		case "/etc/group":
			return []byte(group), nil
		}
		return nil, os.ErrNotExist
	}
	for in, want := range map[string][2]int{
		"": {0, 0}, "1000": {1000, 1000}, "1:2": {1, 2}, "root:5": {0, 5},
		"app": {1000, 1001}, "app:staff": {1000, 50}, "7:staff": {7, 50}, "app:9": {1000, 9},
	} {
		u, g, err := parseChown(in, read)
		if err != nil || u != want[0] || g != want[1] {
			t.Errorf("%q: %d %d %v", in, u, g, err)
		}
	}
	reads = 0
	if _, _, err := parseChown("12:34", read); err != nil || reads != 0 {
		t.Errorf("numeric: read %d files, %v", reads, err)
	}
	for _, in := range []string{"nobody", "app:nogroup", "a:b:c", ":1", "-1"} {
		if _, _, err := parseChown(in, read); err == nil {
			t.Errorf("%q: no error", in)
		}
	}
	none := func(string) ([]byte, error) { return nil, os.ErrNotExist }
	if u, g, err := parseChown("root", none); err != nil || u != 0 || g != 0 {
		t.Errorf("root without files: %d %d %v", u, g, err)
	}
	if _, _, err := parseChown("app", none); err == nil {
		t.Error("a name without files: no error")
	}
}

func TestRemoteAdd(t *testing.T) {
	lm := time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/dir/file.txt":
			w.Header().Set("Last-Modified", lm.Format(http.TimeFormat))
			io.WriteString(w, "remote content")
		case "/":
			io.WriteString(w, "index")
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	b := &Builder{http: srv.Client(), tmp: t.TempDir()}
	r := &run{b: b, index: index(t, tent{name: "local", body: "l"})}
	ctx := context.Background()
	collectAdd := func(c copySpec) ([]copyEntry, error) {
		c.add = true
		return r.collectAll(ctx, r.index, "/", c)
	}
	url := srv.URL + "/dir/file.txt"
	entries, err := collectAdd(copySpec{sources: []string{url}, dest: "/opt/"})
	if err != nil {
		t.Fatal(err)
	}
	e := entries[0]
	if e.name != "opt/file.txt" || e.e.mode != 0o600 || !e.e.mtime.Equal(lm) || e.e.sum != sha256.Sum256([]byte("remote content")) {
		t.Errorf("entry %+v %+v", e, e.e)
	}
	sum := checksum(entries, "", nil)
	again, _ := collectAdd(copySpec{sources: []string{url}, dest: "/opt/"})
	if checksum(again, "", nil) != sum {
		t.Error("same download: different checksum")
	}
	other, _ := collectAdd(copySpec{sources: []string{url + "?x"}, dest: "/opt/"})
	if checksum(other, "", nil) == sum {
		t.Error("other URL, same content: same checksum")
	}
	if entries, err := collectAdd(copySpec{sources: []string{url}, dest: "/f"}); err != nil || entries[0].name != "f" {
		t.Errorf("to a file: %v", err)
	}
	if entries, err := collectAdd(copySpec{sources: []string{url, "local"}, dest: "/o"}); err != nil || len(entries) != 2 || entries[1].name != "o/local" {
		t.Errorf("with a local source: %v", err)
	}
	good := "sha256:" + hexSum("remote content")
	if _, err := collectAdd(copySpec{sources: []string{url}, dest: "/", checksum: good}); err != nil {
		t.Errorf("right checksum: %v", err)
	}
	for what, c := range map[string]copySpec{
		"wrong checksum":   {sources: []string{url}, dest: "/", checksum: "sha256:" + hexSum("other")},
		"bad checksum":     {sources: []string{url}, dest: "/", checksum: "md5:abc"},
		"checksum, local":  {sources: []string{"local"}, dest: "/", checksum: good},
		"404":              {sources: []string{srv.URL + "/missing"}, dest: "/"},
		"no name, to dir":  {sources: []string{srv.URL + "/"}, dest: "/opt/"},
		"COPY of a remote": {sources: []string{url}, dest: "/"},
	} {
		if what == "COPY of a remote" {
			if _, err := r.collectAll(ctx, r.index, "/", c); err == nil {
				t.Errorf("%s: no error", what)
			}
			continue
		}
		if _, err := collectAdd(c); err == nil {
			t.Errorf("%s: no error", what)
		}
	}
}

func hexSum(s string) string {
	h := sha256.Sum256([]byte(s))
	const digits = "0123456789abcdef"
	out := make([]byte, 0, 64)
	for _, c := range h {
		out = append(out, digits[c>>4], digits[c&15])
	}
	return string(out)
}

func FuzzContextIndex(f *testing.F) {
	f.Add(mkTar(f, tent{name: "a/b", body: "x"}, tent{name: "l", typ: tar.TypeSymlink, link: "a"}))
	f.Add(mkTar(f, tent{name: "../x", body: "x"}))
	f.Add(mkTar(f, tent{name: "f", body: "x"}, tent{name: "f/g", body: "y"}, tent{name: "h", typ: tar.TypeLink, link: "f"}))
	f.Fuzz(func(t *testing.T, data []byte) {
		// The spool's file (past 1 KiB) is unlinked at once: no TempDir.
		ix, err := readContextIndex(context.Background(), bytes.NewReader(data), newSpool(os.TempDir(), 1<<10))
		if err != nil {
			return
		}
		defer ix.close()
		for name, e := range ix.entries {
			if c, ok := cleanRel(name); !ok || c != name || strings.HasPrefix(name, "/") {
				t.Fatalf("unclean name %q", name)
			}
			if e.typ == tar.TypeReg {
				b, err := io.ReadAll(e.content())
				if err != nil || int64(len(b)) != e.size || sha256.Sum256(b) != e.sum {
					t.Fatalf("%s: content does not match its digest", name)
				}
			}
			if name != "." {
				if p := ix.entries[parentOf(name)]; p == nil || p.typ != tar.TypeDir {
					t.Fatalf("%s: parent missing or not a directory", name)
				}
			}
		}
		for _, src := range []string{".", "*", "a/*"} {
			entries, err := collect(ix, "/", copySpec{sources: []string{src}, dest: "/d/"})
			if err == nil {
				_ = writeLayer(io.Discard, entries, 0, 0, nil)
			}
		}
	})
}

func parentOf(name string) string {
	i := strings.LastIndex(name, "/")
	if i < 0 {
		return "."
	}
	return name[:i]
}
