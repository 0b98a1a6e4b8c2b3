//go:build integration

package integration

import (
	"archive/tar"
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// storeCounts is how many layers, blobs, scratch entries and volumes a
// daemon's data root holds.
func storeCounts(t *testing.T, e *env) string {
	t.Helper()
	count := func(dir string) int {
		des, err := os.ReadDir(filepath.Join(e.root, dir))
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		return len(des)
	}
	return fmt.Sprintf("layers %d, blobs %d, tmp %d, volumes %d",
		count("image/layers"), count("image/blobs/sha256"), count("image/tmp"), len(strings.Fields(e.run("wharf", "volume", "ls", "-q").stdout)))
}

// bigArchive writes a docker-save archive of one image, tagged tag, with
// n layers of size random bytes each: long enough to load that a kill
// lands in the middle. It returns the archive's path and the image ID.
func bigArchive(t *testing.T, tag string, n, size int) (string, string) {
	t.Helper()
	var out bytes.Buffer
	tw := tar.NewWriter(&out)
	add := func(name string, body []byte) {
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(body)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		tw.Write(body)
	}
	var diffIDs, names []string
	for i := 0; i < n; i++ {
		var layer bytes.Buffer
		lw := tar.NewWriter(&layer)
		data := make([]byte, size)
		rand.Read(data)
		lw.WriteHeader(&tar.Header{Name: fmt.Sprintf("file%d", i), Mode: 0o644, Size: int64(size), Typeflag: tar.TypeReg})
		lw.Write(data)
		lw.Close()
		sum := sha256.Sum256(layer.Bytes())
		diffIDs = append(diffIDs, "sha256:"+hex.EncodeToString(sum[:]))
		names = append(names, fmt.Sprintf("l%d/layer.tar", i))
		add(names[i], layer.Bytes())
	}
	cfg, _ := json.Marshal(map[string]any{
		"architecture": "amd64", "os": "linux", "config": map[string]any{"Cmd": []string{"sh"}},
		"rootfs": map[string]any{"type": "layers", "diff_ids": diffIDs},
	})
	sum := sha256.Sum256(cfg)
	cfgName := hex.EncodeToString(sum[:]) + ".json"
	add(cfgName, cfg)
	manifest, _ := json.Marshal([]map[string]any{{"Config": cfgName, "RepoTags": []string{tag}, "Layers": names}})
	add("manifest.json", manifest)
	tw.Close()
	p := filepath.Join(t.TempDir(), "big.tar")
	if err := os.WriteFile(p, out.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p, "sha256:" + hex.EncodeToString(sum[:])
}

// killDuring runs the wharf CLI with args against e in the background,
// kills wharfd -9 after delay, waits for the CLI and starts wharfd again.
func killDuring(t *testing.T, e *env, delay time.Duration, args ...string) {
	t.Helper()
	cmd := exec.Command(filepath.Join(e.bin, "wharf"), args...)
	cmd.Env = append(os.Environ(), "DOCKER_HOST=unix://"+e.sock)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(delay)
	e.stopDaemon(syscall.SIGKILL)
	cmd.Wait()
	if err := e.startDaemon(); err != nil {
		t.Fatal(err)
	}
}

// TestCrashLeavesNothing: wharfd killed -9 at moments spread over a
// docker load, and over an rm -fv, leaves after its restart no layer,
// blob, scratch file or volume that nothing uses.
func TestCrashLeavesNothing(t *testing.T) {
	e := privateDaemon(t, "{}")
	archive, id := bigArchive(t, "crash-load:1", 6, 4<<20)
	start := time.Now()
	if r := e.run("wharf", "load", "-i", archive); r.code != 0 {
		t.Fatalf("load: %s", r.stderr)
	}
	loadTime := time.Since(start)
	if r := e.run("wharf", "rmi", "-f", id); r.code != 0 {
		t.Fatalf("rmi: %s", r.stderr)
	}
	baseline := storeCounts(t, e)
	const tries = 10
	loaded := 0
	for i := 0; i < tries; i++ {
		killDuring(t, e, loadTime*time.Duration(i+1)/tries, "load", "-i", archive)
		// By ID: a kill between the image's record and its tag leaves
		// it loaded but untagged, as a dangling image (prune removes it).
		if e.run("wharf", "image", "inspect", id).code == 0 {
			loaded++
			if r := e.run("wharf", "rmi", "-f", id); r.code != 0 {
				t.Fatalf("rmi after a restart: %s", r.stderr)
			}
		}
		if got := storeCounts(t, e); got != baseline {
			t.Fatalf("kill -9 %d/%d into a load of %s: %s after the restart, want %s", i+1, tries, loadTime, got, baseline)
		}
	}
	t.Logf("load of %s killed at %d moments (%d had finished): nothing left (%s)", loadTime, tries, loaded, baseline)

	removed := 0
	for i := 0; i < tries; i++ {
		name := fmt.Sprintf("crash-rm-%d", i)
		if r := e.run("wharf", "run", "-d", "--name", name, "-v", "/data", "busybox", "sleep", "60"); r.code != 0 {
			t.Fatalf("run: %s", r.stderr)
		}
		killDuring(t, e, time.Duration(i)*30*time.Millisecond, "rm", "-fv", name)
		if e.run("wharf", "inspect", name).code == 0 {
			if r := e.run("wharf", "rm", "-fv", name); r.code != 0 {
				t.Fatalf("rm -fv after a restart: %s", r.stderr)
			}
		} else {
			removed++
		}
		if got := storeCounts(t, e); got != baseline {
			t.Fatalf("kill -9 %d ms into rm -fv: %s after the restart, want %s", i*30, got, baseline)
		}
	}
	t.Logf("rm -fv killed at %d moments (%d had removed the container by the restart): no volume left", tries, removed)
}
