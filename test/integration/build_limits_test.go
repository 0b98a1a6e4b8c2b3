//go:build integration

package integration

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// doublingDockerfile is issue 16's: twenty ENV lines, each doubling the
// one before, from 1 KiB to 1 GiB.
func doublingDockerfile() string {
	var b strings.Builder
	fmt.Fprintf(&b, "FROM busybox\nENV A0=%s\n", strings.Repeat("a", 1<<10))
	for i := 1; i <= 20; i++ {
		fmt.Fprintf(&b, "ENV A%d=$A%d$A%d\n", i, i-1, i-1)
	}
	return b.String()
}

// rssOf is the resident memory of process pid, in bytes (0 once it is gone).
func rssOf(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// watchRSS samples the daemon's resident memory until stop is called,
// which returns the peak. A daemon passing killAt is killed at once, so
// that a daemon without limits cannot take the machine with it.
func watchRSS(e *env, killAt int64) (stop func() int64) {
	pid := e.daemon.Process.Pid
	var peak atomic.Int64
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		for {
			rss := rssOf(pid)
			if rss > peak.Load() {
				peak.Store(rss)
			}
			if rss > killAt {
				syscall.Kill(pid, syscall.SIGKILL)
				return
			}
			select {
			case <-done:
				return
			case <-time.After(10 * time.Millisecond):
			}
		}
	}()
	return func() int64 {
		close(done)
		<-finished
		return peak.Load()
	}
}

// TestBuildDoublingEnv: issue 16's Dockerfile fails at once with a clear
// message, the daemon's memory stays small, the build leaves nothing
// and the next start of the daemon is as quick and small as before.
func TestBuildDoublingEnv(t *testing.T) {
	noBuildkit(t)
	const killAt = 1 << 30
	d := privateDaemon(t, `{"iptables": false}`)
	images := d.run("wharf", "images", "-aq").stdout
	dir := buildContext(t, map[string]string{"Dockerfile": doublingDockerfile()})
	for _, c := range clis {
		before := rssOf(d.daemon.Process.Pid)
		stop := watchRSS(d, killAt)
		start := time.Now()
		r := d.run(c, "build", "-t", "doubling", dir)
		took := time.Since(start)
		peak := stop()
		t.Logf("%s build: %s, daemon RSS %d MiB before, %d MiB at the peak", c, took.Round(time.Millisecond), before>>20, peak>>20)
		if peak > killAt {
			t.Fatalf("%s build: the daemon passed %d MiB and was killed", c, killAt>>20)
		}
		if r.code != 1 || !strings.Contains(r.stderr, "exceeds maximum allowed size of") {
			t.Fatalf("%s build: exit %d\nstdout: %.3000s\nstderr: %.3000s", c, r.code, r.stdout, r.stderr)
		}
		t.Logf("%s build: %s", c, strings.TrimSpace(r.stderr[strings.LastIndex(strings.TrimSpace(r.stderr), "\n")+1:]))
		if peak > 300<<20 {
			t.Errorf("%s build: the daemon's RSS reached %d MiB", c, peak>>20)
		}
		if got := d.run("wharf", "images", "-aq").stdout; got != images {
			t.Errorf("%s build left images: %q, before %q", c, got, images)
		}
	}
	d.stopDaemon(syscall.SIGTERM)
	start := time.Now()
	if err := d.startDaemon(); err != nil {
		t.Fatal(err)
	}
	took, rss := time.Since(start), rssOf(d.daemon.Process.Pid)
	t.Logf("restart: %s, daemon RSS %d MiB", took.Round(time.Millisecond), rss>>20)
	if took > 5*time.Second || rss > 200<<20 {
		t.Errorf("restart after the build: %s, RSS %d MiB", took, rss>>20)
	}
}
