//go:build integration

package integration

import (
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
)

// TestManyContainersSurviveRestart runs many containers in a private
// daemon, restarts it (a clean stop, then a kill -9) and checks that every
// one is still running with the same process and answers exec. 24 in the
// suite; WHARF_MANY=500 for issue 22's load (bench/many.sh times it).
func TestManyContainersSurviveRestart(t *testing.T) {
	n := 24
	if v := os.Getenv("WHARF_MANY"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 1 {
			t.Fatalf("WHARF_MANY=%q: want a count", v)
		}
	}
	e := privateDaemon(t, "{}")
	var wg sync.WaitGroup
	errc := make(chan string, n)
	work := make(chan int)
	for range 4 {
		wg.Go(func() {
			for range work {
				if r := e.run("wharf", "run", "-d", "busybox", "sleep", "86400"); r.code != 0 {
					errc <- r.stderr
				}
			}
		})
	}
	for i := range n {
		work <- i
	}
	close(work)
	wg.Wait()
	close(errc)
	for msg := range errc {
		t.Fatalf("run -d: %s", msg)
	}

	// id → pid, every container running.
	running := func() map[string]string {
		t.Helper()
		r := e.run("wharf", "ps", "-q", "--no-trunc")
		if r.code != 0 {
			t.Fatalf("ps: %s", r.stderr)
		}
		ids := lines(r.stdout)
		r = e.run("wharf", append([]string{"inspect", "-f", "{{.Id}} {{.State.Status}} {{.State.Pid}}"}, ids...)...)
		if r.code != 0 {
			t.Fatalf("inspect: %s", r.stderr)
		}
		pids := map[string]string{}
		for _, l := range lines(r.stdout) {
			f := strings.Fields(l)
			if len(f) != 3 || f[1] != "running" {
				t.Fatalf("inspect says %q", l)
			}
			pids[f[0]] = f[2]
		}
		return pids
	}
	before := running()
	if len(before) != n {
		t.Fatalf("%d containers running, want %d", len(before), n)
	}
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGKILL} {
		e.stopDaemon(sig)
		if err := e.startDaemon(); err != nil {
			t.Fatalf("restarting wharfd after %v: %v", sig, err)
		}
		after := running()
		if len(after) != n {
			t.Fatalf("after %v: %d containers running, want %d", sig, len(after), n)
		}
		for id, pid := range before {
			if after[id] != pid {
				t.Errorf("after %v: %s has pid %q, had %s", sig, id, after[id], pid)
			}
		}
		// Reachable: exec answers in the first and the last.
		ids := make([]string, 0, n)
		for id := range after {
			ids = append(ids, id)
		}
		sort.Strings(ids)
		for _, id := range []string{ids[0], ids[len(ids)-1]} {
			if r := e.run("wharf", "exec", id, "echo", "here"); r.code != 0 || strings.TrimSpace(r.stdout) != "here" {
				t.Errorf("after %v: exec in %s: %d %q %q", sig, id, r.code, r.stdout, r.stderr)
			}
		}
	}
}
