//go:build integration

package integration

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

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

// contextTar is a build context holding only dockerfile.
func contextTar(t *testing.T, dockerfile string) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	if err := tw.WriteHeader(&tar.Header{Name: "Dockerfile", Mode: 0o644, Size: int64(len(dockerfile)), Typeflag: tar.TypeReg}); err != nil {
		t.Fatal(err)
	}
	tw.Write([]byte(dockerfile))
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// crashKills is how many times TestCrashLeavesNothing kills wharfd during
// each operation: WHARF_CRASH_KILLS, else 2 (the campaign runs 50).
func crashKills() int {
	if n, err := strconv.Atoi(os.Getenv("WHARF_CRASH_KILLS")); err == nil && n > 0 {
		return n
	}
	return 2
}

// crashOp is one operation of the crash campaign. setup makes what every
// try needs (and removes it when the subtest ends); prepare makes what one
// try needs; do is the operation, in one or more API calls; undo removes
// what prepare and do made, whether do finished or not; done tells
// whether the operation's effect is there.
type crashOp struct {
	name          string
	setup         func(t *testing.T, e *env)
	prepare, undo func(t *testing.T, e *env)
	do            func(e *env) error
	done          func(e *env) bool
	// whole, if set, is what else must hold after each restart.
	whole func(e *env) error
}

// TestCrashLeavesNothing kills wharfd -9 at moments spread over each
// operation that writes state, restarts it, and checks that what it shows
// is whole (no image without its layers, no container without its record
// or process, no network and container that disagree), that an operation
// that had answered is kept, that the operation can be done again, and
// that once its objects are removed the daemon and the host hold what
// they held before: no layer, blob, volume, mount, cgroup, monitor, veth,
// bridge, network namespace or firewall rule more.
func TestCrashLeavesNothing(t *testing.T) {
	e := privateDaemon(t, "{}")
	reg := startRegistry(t, "")
	kills := crashKills()
	for _, op := range crashOps(t, reg) {
		t.Run(op.name, func(t *testing.T) {
			if op.setup != nil {
				op.setup(t, e)
			}
			t.Cleanup(func() { op.undo(t, e) })
			baseline := e.leaks()
			check := func(when string) {
				t.Helper()
				if bad := e.consistent(); len(bad) > 0 {
					t.Fatalf("%s: what the daemon shows is not whole:\n%s", when, strings.Join(bad, "\n"))
				}
				if got := e.leaks(); got != baseline {
					t.Fatalf("%s:\n got %s\nwant %s\n%s", when, got, baseline, e.leftNames())
				}
			}
			op.prepare(t, e)
			start := time.Now()
			if err := op.do(e); err != nil {
				t.Fatal(err)
			}
			took := time.Since(start)
			op.undo(t, e)
			check("after one run without a kill")

			finished := 0
			for i := range kills {
				delay := took * time.Duration(2*i+1) / time.Duration(2*kills)
				what := fmt.Sprintf("kill -9 %v into %s (%d/%d)", delay.Round(time.Millisecond), took.Round(time.Millisecond), i+1, kills)
				op.prepare(t, e)
				result := make(chan error, 1)
				go func() { result <- op.do(e) }()
				time.Sleep(delay)
				e.stopDaemon(syscall.SIGKILL)
				answered := <-result == nil
				if err := e.startDaemon(); err != nil {
					t.Fatal(err)
				}
				if bad := e.consistent(); len(bad) > 0 {
					t.Fatalf("%s: after the restart, what the daemon shows is not whole:\n%s", what, strings.Join(bad, "\n"))
				}
				if op.whole != nil {
					if err := op.whole(e); err != nil {
						t.Fatalf("%s: after the restart: %v", what, err)
					}
				}
				if answered {
					finished++
					if !op.done(e) {
						t.Fatalf("%s: the operation had answered, and its effect is lost after the restart", what)
					}
				}
				op.undo(t, e)
				op.prepare(t, e)
				if err := op.do(e); err != nil {
					t.Fatalf("%s: done again after the restart: %v", what, err)
				}
				op.undo(t, e)
				check(what + ", then the operation again, then its objects removed")
			}
			t.Logf("%s of %s killed at %d moments (%d had answered): whole each time, done again, nothing left", op.name, took.Round(time.Millisecond), kills, finished)
		})
	}
}

// crashOps are the operations of the crash campaign, against private
// daemons and the registry at reg.
func crashOps(t *testing.T, reg string) []crashOp {
	call := func(method, path, body string) func(e *env) error {
		return func(e *env) error {
			_, _, err := e.api(method, path, body)
			return err
		}
	}
	must := func(t *testing.T, e *env, method, path, body string) {
		t.Helper()
		if _, _, err := e.api(method, path, body); err != nil {
			t.Fatal(err)
		}
	}
	exists := func(path string) func(e *env) bool {
		return func(e *env) bool { code, _, _ := e.api("GET", path, ""); return code == 200 }
	}
	gone := func(path string) func(e *env) bool {
		return func(e *env) bool { code, _, _ := e.api("GET", path, ""); return code == 404 }
	}
	removing := func(paths ...string) func(t *testing.T, e *env) {
		return func(t *testing.T, e *env) {
			for _, p := range paths {
				e.api("DELETE", p, "")
			}
		}
	}
	nothing := func(*testing.T, *env) {}
	upload := func(e *env, path, file, ctype string) error {
		f, err := os.Open(file)
		if err != nil {
			return err
		}
		defer f.Close()
		_, _, err = e.apiDo(context.Background(), "POST", path, f, map[string]string{"Content-Type": ctype})
		return err
	}
	const (
		sleeper      = `{"Image":"busybox","Cmd":["sleep","3600"]}`
		withVolume   = `{"Image":"busybox","Cmd":["sleep","3600"],"Volumes":{"/data":{}}}`
		c            = "/containers/crash-c"
		rmC          = c + "?force=1&v=1"
		registryAuth = "e30=" // base64 of {}
	)
	create := func(body string) func(t *testing.T, e *env) {
		return func(t *testing.T, e *env) { must(t, e, "POST", "/containers/create?name=crash-c", body) }
	}
	run := func(body string) func(t *testing.T, e *env) {
		return func(t *testing.T, e *env) {
			create(body)(t, e)
			must(t, e, "POST", c+"/start", "")
		}
	}
	isRunning := func(e *env) bool {
		var s struct{ State struct{ Running bool } }
		return e.apiJSON(c+"/json", &s) && s.State.Running
	}

	archive, loadID := bigArchive(t, "crash-load:1", 6, 4<<20)
	pullRef := reg + "/crash/pull:1"
	pushRef := reg + "/crash/push:1"
	buildCtx := filepath.Join(t.TempDir(), "context.tar")
	if err := os.WriteFile(buildCtx, contextTar(t, "FROM busybox\nRUN dd if=/dev/urandom of=/a bs=1M count=16\nRUN echo b > /b\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	build := func(e *env) error {
		return upload(e, "/build?t=crash-build:1&nocache=1&rm=1&forcerm=1", buildCtx, "application/x-tar")
	}
	before := map[string]bool{} // the images before the first build
	undoBuild := func(t *testing.T, e *env) {
		var images []struct{ ID string }
		e.apiJSON("/images/json?all=1", &images)
		for _, im := range images {
			if !before[im.ID] {
				e.api("DELETE", "/images/"+im.ID+"?force=1", "")
			}
		}
	}
	return []crashOp{
		{name: "create", prepare: nothing, do: call("POST", "/containers/create?name=crash-c", withVolume),
			done: exists(c + "/json"), undo: removing(rmC)},
		{name: "start", prepare: create(sleeper), do: call("POST", c+"/start", ""),
			done: isRunning, undo: removing(rmC)},
		{name: "stop", prepare: run(sleeper), do: call("POST", c+"/stop?t=1", ""),
			done: func(e *env) bool { return !isRunning(e) }, undo: removing(rmC)},
		{name: "rm", prepare: run(withVolume), do: call("DELETE", rmC, ""),
			done: gone(c + "/json"), undo: removing(rmC)},
		{name: "pull",
			setup: func(t *testing.T, e *env) {
				p, _ := bigArchive(t, pullRef, 6, 4<<20)
				if err := upload(e, "/images/load?quiet=1", p, "application/x-tar"); err != nil {
					t.Fatal(err)
				}
				if _, _, err := e.apiDo(context.Background(), "POST", "/images/"+pullRef+"/push", nil, map[string]string{"X-Registry-Auth": registryAuth}); err != nil {
					t.Fatal(err)
				}
				must(t, e, "DELETE", "/images/"+pullRef, "")
			},
			prepare: nothing, do: call("POST", "/images/create?fromImage="+reg+"/crash/pull&tag=1", ""),
			done: exists("/images/" + pullRef + "/json"), undo: removing("/images/" + pullRef + "?force=1")},
		{name: "push",
			prepare: func(t *testing.T, e *env) {
				p, _ := bigArchive(t, pushRef, 3, 4<<20)
				if err := upload(e, "/images/load?quiet=1", p, "application/x-tar"); err != nil {
					t.Fatal(err)
				}
			},
			do: func(e *env) error {
				_, _, err := e.apiDo(context.Background(), "POST", "/images/"+pushRef+"/push", nil, map[string]string{"X-Registry-Auth": registryAuth})
				return err
			},
			done: exists("/images/" + pushRef + "/json"), undo: removing("/images/" + pushRef + "?force=1")},
		{name: "load", prepare: nothing,
			do:   func(e *env) error { return upload(e, "/images/load?quiet=1", archive, "application/x-tar") },
			done: exists("/images/" + loadID + "/json"), undo: removing("/images/" + loadID + "?force=1")},
		{name: "build",
			// The first build writes the build cache's file; its step
			// images are removed with the image (undo), as rmi removes
			// untagged parents in dockerd.
			setup: func(t *testing.T, e *env) {
				var images []struct{ ID string }
				e.apiJSON("/images/json?all=1", &images)
				for _, im := range images {
					before[im.ID] = true
				}
				if err := build(e); err != nil {
					t.Fatal(err)
				}
				undoBuild(t, e)
			},
			prepare: nothing, do: build, done: exists("/images/crash-build:1/json"), undo: undoBuild},
		{name: "commit",
			setup: func(t *testing.T, e *env) {
				must(t, e, "POST", "/containers/create?name=crash-src", `{"Image":"busybox","Cmd":["sh","-c","dd if=/dev/urandom of=/big bs=1M count=24 && touch /ready && exec sleep 3600"]}`)
				t.Cleanup(func() { e.api("DELETE", "/containers/crash-src?force=1", "") })
				must(t, e, "POST", "/containers/crash-src/start", "")
				waitFor(t, 30*time.Second, "the file to commit", func() bool {
					code, _, _ := e.api("HEAD", "/containers/crash-src/archive?path=/ready", "")
					return code == 200
				})
			},
			whole: func(e *env) error {
				var c struct {
					State struct{ Running, Paused bool }
				}
				if !e.apiJSON("/containers/crash-src/json", &c) || !c.State.Running || c.State.Paused {
					return fmt.Errorf("the committed container is left %+v, want running and not paused", c.State)
				}
				return nil
			},
			prepare: nothing, do: call("POST", "/commit?container=crash-src&repo=crash-commit&tag=1", ""),
			done: exists("/images/crash-commit:1/json"), undo: removing("/images/crash-commit:1?force=1")},
		{name: "volume create", prepare: nothing, do: call("POST", "/volumes/create", `{"Name":"crash-v"}`),
			done: exists("/volumes/crash-v"), undo: removing("/volumes/crash-v?force=1")},
		{name: "volume rm", prepare: func(t *testing.T, e *env) { must(t, e, "POST", "/volumes/create", `{"Name":"crash-v"}`) },
			do: call("DELETE", "/volumes/crash-v", ""), done: gone("/volumes/crash-v"), undo: removing("/volumes/crash-v?force=1")},
		{name: "network create", prepare: nothing, do: call("POST", "/networks/create", `{"Name":"crash-n"}`),
			done: exists("/networks/crash-n"), undo: removing("/networks/crash-n")},
		{name: "network connect",
			setup: func(t *testing.T, e *env) {
				must(t, e, "POST", "/containers/create?name=crash-nc", sleeper)
				t.Cleanup(func() { e.api("DELETE", "/containers/crash-nc?force=1", "") })
				must(t, e, "POST", "/containers/crash-nc/start", "")
			},
			prepare: func(t *testing.T, e *env) { must(t, e, "POST", "/networks/create", `{"Name":"crash-n"}`) },
			do:      call("POST", "/networks/crash-n/connect", `{"Container":"crash-nc"}`),
			done: func(e *env) bool {
				var s struct {
					NetworkSettings struct{ Networks map[string]json.RawMessage }
				}
				e.apiJSON("/containers/crash-nc/json", &s)
				_, ok := s.NetworkSettings.Networks["crash-n"]
				return ok
			},
			undo: func(t *testing.T, e *env) {
				e.api("POST", "/networks/crash-n/disconnect", `{"Container":"crash-nc","Force":true}`)
				e.api("DELETE", "/networks/crash-n", "")
			}},
		{name: "network rm", prepare: func(t *testing.T, e *env) { must(t, e, "POST", "/networks/create", `{"Name":"crash-n"}`) },
			do: call("DELETE", "/networks/crash-n", ""), done: gone("/networks/crash-n"), undo: removing("/networks/crash-n")},
	}
}
