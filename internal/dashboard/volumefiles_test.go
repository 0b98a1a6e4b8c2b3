package dashboard

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"
)

func TestVolumePath(t *testing.T) {
	for in, want := range map[string]string{"": ".", "/": ".", "a/b": "a/b", "/a//b/": "a/b", "./a": "a"} {
		if got, err := volumePath(in); err != nil || got != want {
			t.Errorf("volumePath(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"..", "/../etc", "a/../../b", "a/..", "a\x00b"} {
		if got, err := volumePath(in); err == nil {
			t.Errorf("volumePath(%q) = %q, want an error", in, got)
		}
	}
}

func TestVolumeFiles(t *testing.T) {
	s, api := start(t)
	auth := http.Header{"Authorization": {"Bearer " + login(t, s)}}
	vol := api.mount
	outside := t.TempDir()
	os.WriteFile(filepath.Join(outside, "secret"), []byte("host secret"), 0o600)
	os.MkdirAll(filepath.Join(vol, "dir"), 0o755)
	os.WriteFile(filepath.Join(vol, "dir", "hello.txt"), []byte("<script>hello</script>"), 0o644)
	os.Symlink("dir/hello.txt", filepath.Join(vol, "inside"))
	os.Symlink(filepath.Join(outside, "secret"), filepath.Join(vol, "abs-out"))
	os.Symlink("../../../../../../"+outside, filepath.Join(vol, "rel-out"))

	list := func(p string) (*http.Response, VolumeListing) {
		resp := do(t, s, http.MethodGet, "/volumes/v1/files?path="+url.QueryEscape(p), "", auth)
		var l VolumeListing
		if resp.StatusCode == http.StatusOK {
			json.NewDecoder(resp.Body).Decode(&l)
		}
		return resp, l
	}
	resp, l := list("/")
	if resp.StatusCode != http.StatusOK || len(l.Entries) != 4 || l.Path != "/" {
		t.Fatalf("root: %s %+v", resp.Status, l)
	}
	types := map[string]string{}
	for _, e := range l.Entries {
		types[e.Name] = e.Type + ":" + e.Target
	}
	if types["dir"] != "dir:" || types["inside"] != "symlink:dir/hello.txt" || types["abs-out"] != "symlink:"+filepath.Join(outside, "secret") {
		t.Errorf("entries %v", types)
	}
	if resp, l := list("/dir"); resp.StatusCode != http.StatusOK || len(l.Entries) != 1 || l.Entries[0].Size != 22 || l.Path != "/dir" {
		t.Errorf("dir: %s %+v", resp.Status, l)
	}

	download := func(p string) (*http.Response, string) {
		resp := do(t, s, http.MethodGet, "/volumes/v1/download?path="+url.QueryEscape(p), "", auth)
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
	resp, body := download("/dir/hello.txt")
	if resp.StatusCode != http.StatusOK || body != "<script>hello</script>" {
		t.Fatalf("download: %s %q", resp.Status, body)
	}
	if ct, cd := resp.Header.Get("Content-Type"), resp.Header.Get("Content-Disposition"); ct != "application/octet-stream" || cd != `attachment; filename=hello.txt` {
		t.Errorf("download headers %q %q", ct, cd)
	}
	if resp, body := download("inside"); resp.StatusCode != http.StatusOK || body != "<script>hello</script>" {
		t.Errorf("a symlink inside the volume: %s %q", resp.Status, body)
	}

	// Nothing outside the volume, however asked for.
	for _, p := range []string{"../secret", "/dir/../../secret", "abs-out", "rel-out/secret", "rel-out"} {
		if resp, body := download(p); resp.StatusCode != http.StatusBadRequest {
			t.Errorf("download %q: %s %q", p, resp.Status, body)
		}
		if resp, _ := list(p); resp.StatusCode != http.StatusBadRequest {
			t.Errorf("list %q: %s", p, resp.Status)
		}
	}
	if resp, _ := download("dir"); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("download of a directory: %s", resp.Status)
	}
	if resp, _ := download("nope"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("download of a missing file: %s", resp.Status)
	}
	if resp := do(t, s, http.MethodGet, "/volumes/missing/files", "", auth); resp.StatusCode != http.StatusNotFound {
		t.Errorf("a missing volume: %s", resp.Status)
	}
	// A session is required, as for the API.
	if resp := do(t, s, http.MethodGet, "/volumes/v1/download?path=dir/hello.txt", "", nil); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("without a session: %s", resp.Status)
	}
}

// FuzzVolumePath: whatever the page sends, an accepted path is relative,
// clean and free of `..`, so os.Root gets nothing but names beneath it.
func FuzzVolumePath(f *testing.F) {
	for _, s := range []string{"", "/", "a/b", "../x", "a/../../b", "//a//", "a\x00", ".../a", "./."} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		rel, err := volumePath(p)
		if err != nil {
			return
		}
		if rel != "." && (strings.HasPrefix(rel, "/") || path.Clean(rel) != rel) {
			t.Fatalf("volumePath(%q) = %q: not clean and relative", p, rel)
		}
		for _, part := range strings.Split(rel, "/") {
			if part == ".." || part == "" {
				t.Fatalf("volumePath(%q) = %q", p, rel)
			}
		}
	})
}
