//go:build integration

package integration

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// hostileCase is one archive an attacker hands wharfd: tar entries, and
// optionally what is done to the tar's bytes afterwards.
type hostileCase struct {
	name    string
	entries []tar.Header
	mangle  func([]byte) []byte
}

// hostileCases are the archives every channel gets. host is a directory
// on the host the archives aim at; it holds one file, "secret".
func hostileCases(host string) []hostileCase {
	climb := strings.Repeat("../", 24)
	rel := strings.TrimPrefix(host, "/")
	return []hostileCase{
		{name: "dot-dot name", entries: []tar.Header{{Name: climb + rel + "/evil", Typeflag: tar.TypeReg}}},
		{name: "absolute name", entries: []tar.Header{{Name: host + "/evil", Typeflag: tar.TypeReg}}},
		{name: "symlink out, then a file through it", entries: []tar.Header{
			{Name: "l", Typeflag: tar.TypeSymlink, Linkname: climb + rel},
			{Name: "l/evil", Typeflag: tar.TypeReg},
		}},
		{name: "absolute symlink, then a file through it", entries: []tar.Header{
			{Name: "l", Typeflag: tar.TypeSymlink, Linkname: host},
			{Name: "l/evil", Typeflag: tar.TypeReg},
		}},
		{name: "symlink chain out", entries: []tar.Header{
			{Name: "l1", Typeflag: tar.TypeSymlink, Linkname: "d/l2"},
			{Name: "d/l2", Typeflag: tar.TypeSymlink, Linkname: climb + rel},
			{Name: "l1/evil", Typeflag: tar.TypeReg},
		}},
		{name: "symlinked parent directory", entries: []tar.Header{
			{Name: "d", Typeflag: tar.TypeSymlink, Linkname: host},
			{Name: "d/sub/evil", Typeflag: tar.TypeReg},
		}},
		{name: "hard link climbing out", entries: []tar.Header{{Name: "h", Typeflag: tar.TypeLink, Linkname: climb + rel + "/secret"}}},
		{name: "hard link to a host path", entries: []tar.Header{{Name: "h", Typeflag: tar.TypeLink, Linkname: host + "/secret"}}},
		{name: "hard link through a symlink out", entries: []tar.Header{
			{Name: "l", Typeflag: tar.TypeSymlink, Linkname: host},
			{Name: "h", Typeflag: tar.TypeLink, Linkname: "l/secret"},
		}},
		{name: "device node", entries: []tar.Header{{Name: "sda", Typeflag: tar.TypeBlock, Devmajor: 8, Devminor: 0}}},
		{name: "setuid file", entries: []tar.Header{{Name: "suid", Typeflag: tar.TypeReg, Mode: 0o4755}}},
		// Cut in the middle of the file's data (tarOf writes the name as
		// the content: 300 bytes).
		{name: "truncated", entries: []tar.Header{{Name: strings.Repeat("t", 300), Typeflag: tar.TypeReg}},
			mangle: func(b []byte) []byte { return b[:512+100] }},
		{name: "size far beyond the data", entries: []tar.Header{{Name: "f", Typeflag: tar.TypeReg}},
			mangle: func(b []byte) []byte { return hugeSizeHeader(b) }},
	}
}

// hugeSizeHeader rewrites the first header's size field to 8 GiB (octal,
// with a fresh checksum) over a file of a few bytes.
func hugeSizeHeader(b []byte) []byte {
	b = slices.Clone(b)
	copy(b[124:136], fmt.Sprintf("%011o\x00", int64(8)<<30))
	copy(b[148:156], "        ")
	sum := 0
	for _, c := range b[:512] {
		sum += int(c)
	}
	copy(b[148:156], fmt.Sprintf("%06o\x00 ", sum))
	return b
}

// hostileTar is c's tar, with the entries before (such as a Dockerfile).
func hostileTar(t *testing.T, c hostileCase, before ...tar.Header) []byte {
	t.Helper()
	b := tarOf(t, append(slices.Clone(before), c.entries...)...)
	if c.mangle != nil {
		b = c.mangle(b)
	}
	return b
}

// rawAPI sends body to wharfd and returns the status and the answer.
func rawAPI(t *testing.T, method, path, contentType string, body []byte) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, "http://wharf"+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", contentType)
	client := testEnv.http()
	client.Timeout = 60 * time.Second
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(data)
}

// loadArchive is a docker-save archive of one image, tagged tag, whose
// one layer is layer.
func loadArchive(t *testing.T, tag string, layer []byte) []byte {
	t.Helper()
	sum := sha256.Sum256(layer)
	cfg, _ := json.Marshal(map[string]any{
		"architecture": "amd64", "os": "linux", "config": map[string]any{"Cmd": []string{"true"}},
		"rootfs": map[string]any{"type": "layers", "diff_ids": []string{"sha256:" + hex.EncodeToString(sum[:])}},
	})
	csum := sha256.Sum256(cfg)
	manifest, _ := json.Marshal([]map[string]any{{"Config": hex.EncodeToString(csum[:]) + ".json", "RepoTags": []string{tag}, "Layers": []string{"l/layer.tar"}}})
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, f := range []struct {
		name string
		data []byte
	}{{"l/layer.tar", layer}, {hex.EncodeToString(csum[:]) + ".json", cfg}, {"manifest.json", manifest}} {
		tw.WriteHeader(&tar.Header{Name: f.name, Mode: 0o644, Size: int64(len(f.data)), Typeflag: tar.TypeReg})
		tw.Write(f.data)
	}
	tw.Close()
	return buf.Bytes()
}

// TestHostileArchives gives every hostile archive to every way an archive
// reaches wharfd: load, import, cp, a build context and ADD. Whatever
// each does with it (refuse it, or keep it inside), nothing is written
// or linked on the host, no answer is a 500, a refusal leaves no image,
// and an image made runs.
func TestHostileArchives(t *testing.T) {
	host := t.TempDir()
	if err := os.WriteFile(filepath.Join(host, "secret"), []byte("secret"), 0o600); err != nil {
		t.Fatal(err)
	}
	ctr := uniqueName(t, "cp")
	runDetached(t, "wharf", ctr, "busybox", "sleep", "600")
	channels := []struct {
		name string
		// send gives the case to wharfd and returns the image it made, if
		// any, and what it answered.
		send func(t *testing.T, c hostileCase, tag string) (image, answer string)
	}{
		{"load", func(t *testing.T, c hostileCase, tag string) (string, string) {
			code, body := rawAPI(t, "POST", "/images/load?quiet=1", "application/x-tar", loadArchive(t, tag, hostileTar(t, c)))
			return tag, fmt.Sprintf("%d %s", code, body)
		}},
		{"import", func(t *testing.T, c hostileCase, tag string) (string, string) {
			code, body := rawAPI(t, "POST", "/images/create?fromSrc=-&repo="+url.QueryEscape(tag), "application/x-tar", hostileTar(t, c))
			return tag, fmt.Sprintf("%d %s", code, body)
		}},
		{"cp", func(t *testing.T, c hostileCase, tag string) (string, string) {
			dst := "/tmp/" + strings.ReplaceAll(tag, ":", "-")
			cli(t, "wharf", "exec", ctr, "mkdir", "-p", dst)
			code, body := rawAPI(t, "PUT", "/containers/"+ctr+"/archive?path="+dst, "application/x-tar", hostileTar(t, c))
			return "", fmt.Sprintf("%d %s", code, body)
		}},
		{"build context", func(t *testing.T, c hostileCase, tag string) (string, string) {
			df := "FROM busybox\nCOPY . /ctx/\nCMD [\"true\"]\n"
			code, body := rawAPI(t, "POST", "/build?t="+url.QueryEscape(tag), "application/x-tar", withFile(t, hostileTar(t, c), "Dockerfile", df))
			return tag, fmt.Sprintf("%d %s", code, body)
		}},
		{"ADD", func(t *testing.T, c hostileCase, tag string) (string, string) {
			df := "FROM busybox\nADD x.tar /a/\nCMD [\"true\"]\n"
			ctx := tarOfFiles(t, map[string][]byte{"Dockerfile": []byte(df), "x.tar": hostileTar(t, c)})
			code, body := rawAPI(t, "POST", "/build?t="+url.QueryEscape(tag), "application/x-tar", ctx)
			return tag, fmt.Sprintf("%d %s", code, body)
		}},
	}
	var table []string
	for i, c := range hostileCases(host) {
		for _, ch := range channels {
			t.Run(c.name+"/"+ch.name, func(t *testing.T) {
				images := len(lines(cli(t, "wharf", "images", "-aq")))
				tag := fmt.Sprintf("hostile-%d:%s", i, strings.ReplaceAll(ch.name, " ", "-"))
				cleanupImages(t, tag)
				image, answer := ch.send(t, c, tag)
				outcome := "refused"
				switch {
				case strings.HasPrefix(answer, "5"):
					t.Errorf("a 5xx for bad input: %.300s", answer)
				case image != "" && testEnv.run("wharf", "image", "inspect", image).code == 0:
					outcome = "made an image"
					checkImageUsable(t, image)
				case image == "" && strings.HasPrefix(answer, "200"):
					outcome = "extracted inside the container"
				}
				if image != "" && outcome == "refused" {
					if got := len(lines(cli(t, "wharf", "images", "-aq"))); got != images {
						t.Errorf("a refused archive left images: %d before, %d after", images, got)
					}
				}
				checkHostUntouched(t, host)
				table = append(table, fmt.Sprintf("%-42s %-14s %s: %.120s", c.name, ch.name, outcome, oneLine(answer)))
			})
		}
	}
	t.Logf("hostile archives, %d cases x %d channels:\n%s", len(hostileCases(host)), len(channels), strings.Join(table, "\n"))
}

// checkImageUsable: an image made from a hostile archive can be made a
// container of, whose file system mounts and reads whole (before, such
// images failed at run with "path escapes from parent"). Load and import
// images hold only the archive, nothing to run: export reads the mount.
func checkImageUsable(t *testing.T, image string) {
	t.Helper()
	r := testEnv.run("wharf", "create", image, "true")
	if r.code != 0 {
		t.Errorf("create from the image made: %s", r.stderr)
		return
	}
	id := strings.TrimSpace(r.stdout)
	defer testEnv.run("wharf", "rm", "-f", id)
	if r := testEnv.run("wharf", "export", "-o", filepath.Join(t.TempDir(), "fs.tar"), id); r.code != 0 {
		t.Errorf("export of a container of the image made: %s", r.stderr)
	}
}

// checkHostUntouched fails unless host holds its one file, unchanged and
// with one link.
func checkHostUntouched(t *testing.T, host string) {
	t.Helper()
	des, err := os.ReadDir(host)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, de := range des {
		names = append(names, de.Name())
	}
	if len(names) != 1 || names[0] != "secret" {
		t.Fatalf("the host directory now holds %v", names)
	}
	b, _ := os.ReadFile(filepath.Join(host, "secret"))
	var st os.FileInfo
	if st, err = os.Stat(filepath.Join(host, "secret")); err != nil || string(b) != "secret" {
		t.Fatalf("the host's secret changed: %q %v", b, err)
	}
	if nlink := linkCount(st); nlink != 1 {
		t.Fatalf("the host's secret has %d links: an archive linked it", nlink)
	}
}

func linkCount(fi os.FileInfo) uint64 {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return uint64(st.Nlink)
	}
	return 0
}

// withFile puts a regular file before a tar's entries.
func withFile(t *testing.T, tarball []byte, name, content string) []byte {
	t.Helper()
	// A tar ends with two zero blocks; a truncated one may not: start a
	// fresh archive holding the file, then the hostile entries after it.
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(content)), Typeflag: tar.TypeReg})
	tw.Write([]byte(content))
	tw.Flush()
	return append(buf.Bytes(), tarball...)
}

// tarOfFiles is a tar of the named files.
func tarOfFiles(t *testing.T, files map[string][]byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, name := range slices.Sorted(maps.Keys(files)) {
		tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(files[name])), Typeflag: tar.TypeReg})
		tw.Write(files[name])
	}
	tw.Close()
	return buf.Bytes()
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
