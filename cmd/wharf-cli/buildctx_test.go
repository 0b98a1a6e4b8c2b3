package main

import (
	"archive/tar"
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/moby/go-archive"
	"github.com/moby/patternmatcher"
)

// entries lists a tarball as "name type mode size sha-ish linkname" lines.
func entries(t *testing.T, r io.Reader) []string {
	t.Helper()
	var out []string
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(tr)
		out = append(out, fmt.Sprintf("%s %c %o %d %q %s uid=%d mtime=%d", h.Name, h.Typeflag, h.Mode, h.Size, b, h.Linkname, h.Uid, h.ModTime.UnixNano()))
	}
	slices.Sort(out)
	return out
}

// TestTarContextLikeDocker: wharf's context tarball holds what docker's
// build code would send.
func TestTarContextLikeDocker(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string, mode os.FileMode) {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), mode); err != nil {
			t.Fatal(err)
		}
		os.Chmod(p, mode)
	}
	write("Dockerfile", "FROM scratch\n", 0o644)
	write("a.txt", "a", 0o600)
	write("run.sh", "#!/bin/sh", 0o4755)
	write("secret.key", "k", 0o644)
	write("logs/x.log", "x", 0o644)
	write("logs/keep.log", "keep", 0o644)
	write("node_modules/m/i.js", "js", 0o644)
	write("big/file", string(bytes.Repeat([]byte("b"), 3*readAhead+5)), 0o644)
	write("empty", "", 0o644)
	os.Symlink("a.txt", filepath.Join(dir, "link"))
	os.Link(filepath.Join(dir, "a.txt"), filepath.Join(dir, "hard"))
	os.Mkdir(filepath.Join(dir, "emptydir"), 0o700)
	excludes := []string{"*.key", "logs", "!logs/keep.log", "node_modules"}

	ref, err := archive.TarWithOptions(dir, &archive.TarOptions{ExcludePatterns: excludes, ChownOpts: &archive.ChownOpts{UID: 0, GID: 0}})
	if err != nil {
		t.Fatal(err)
	}
	want := entries(t, ref)
	pm, err := patternmatcher.New(excludes)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := tarContext(&buf, dir, pm); err != nil {
		t.Fatal(err)
	}
	// docker's build code takes stdin for a tarball only if the first
	// entry's header is in the first two blocks.
	if _, err := tar.NewReader(bytes.NewReader(buf.Bytes()[:1024])).Next(); err != nil {
		t.Errorf("first header not in the first two blocks: %v", err)
	}
	if got := entries(t, &buf); !slices.Equal(got, want) {
		t.Errorf("tarContext:\n%s\nwant (docker):\n%s", join(got), join(want))
	}
}

func join(s []string) string {
	var b bytes.Buffer
	for _, l := range s {
		if len(l) > 120 {
			l = l[:120]
		}
		b.WriteString(l + "\n")
	}
	return b.String()
}

func TestTarContextLongFirstName(t *testing.T) {
	dir := t.TempDir()
	name := string(bytes.Repeat([]byte("A"), 150))
	if err := os.WriteFile(filepath.Join(dir, name), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	pm, _ := patternmatcher.New(nil)
	var buf bytes.Buffer
	if err := tarContext(&buf, dir, pm); err != nil {
		t.Fatal(err)
	}
	if _, err := tar.NewReader(bytes.NewReader(buf.Bytes()[:1024])).Next(); err != nil {
		t.Errorf("first header not in the first two blocks: %v", err)
	}
	if got := entries(t, &buf); len(got) != 2 {
		t.Errorf("entries: %q", got)
	}
}

func TestTarContextUnreadable(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root reads everything")
	}
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "f"), []byte("x"), 0o000)
	pm, _ := patternmatcher.New(nil)
	if err := tarContext(io.Discard, dir, pm); err == nil {
		t.Fatal("no error")
	}
}
