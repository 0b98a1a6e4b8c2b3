//go:build integration

package integration

import (
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// soakDuration is how long TestSoak runs: WHARF_SOAK, else 15 s (the
// campaign runs 10m).
func soakDuration() time.Duration {
	if d, err := time.ParseDuration(os.Getenv("WHARF_SOAK")); err == nil {
		return d
	}
	return 15 * time.Second
}

// soakClients is how many clients TestSoak runs at once.
const soakClients = 50

// daemonFigures are what must not grow over a soak: the daemon's
// goroutines, open files and resident memory.
type daemonFigures struct {
	goroutines, fds, mounts int
	rss                     int64
}

func (f daemonFigures) String() string {
	return fmt.Sprintf("%d goroutines, %d fds, %d mounts, %d MiB resident", f.goroutines, f.fds, f.mounts, f.rss>>20)
}

// grewFrom tells whether f is past first by more than a soak's churn
// explains: twice as much and then some (in-flight requests hold
// goroutines, files and mounts of their own at either moment).
func (f daemonFigures) grewFrom(first daemonFigures) bool {
	return f.goroutines > 2*first.goroutines+100 || f.fds > 2*first.fds+100 ||
		f.mounts > 2*first.mounts+50 || f.rss > 2*first.rss+128<<20
}

// figures reads them from e's daemon (goroutines from /debug/pprof, which
// -D serves).
func (e *env) figures() daemonFigures {
	pid := e.daemon.Process.Pid
	var f daemonFigures
	if _, body, err := e.api("GET", "/debug/pprof/goroutine?debug=1", ""); err == nil {
		first, _, _ := strings.Cut(body, "\n")
		f.goroutines, _ = strconv.Atoi(strings.TrimPrefix(first, "goroutine profile: total "))
	}
	fds, _ := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	f.fds = len(fds)
	f.rss = rssOf(pid)
	if data, err := os.ReadFile(fmt.Sprintf("/proc/%d/mounts", pid)); err == nil {
		for _, line := range strings.Split(string(data), "\n") {
			if fs := strings.Fields(line); len(fs) > 1 && (strings.HasPrefix(fs[1], e.root+"/") || strings.HasPrefix(fs[1], e.execRoot+"/")) {
				f.mounts++
			}
		}
	}
	return f
}

// sampleFigures takes e's figures every interval until stop is called,
// which returns them in order.
func sampleFigures(e *env, interval time.Duration) (stop func() []daemonFigures) {
	var samples []daemonFigures
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		for {
			select {
			case <-done:
				return
			case <-time.After(interval):
				samples = append(samples, e.figures())
			}
		}
	}()
	return func() []daemonFigures {
		close(done)
		<-finished
		return samples
	}
}

// TestSoak: 50 clients at once, for WHARF_SOAK, each mixing
// create/start/exec/logs/attach/restart/stop/rm of its own containers,
// network connect/disconnect, restart and exec on shared ones, volumes,
// networks, tags and prunes, and reads. Every request must answer within
// stressHang, none with a 5xx, and afterwards, once the clients' objects
// are removed, the daemon holds what it held before (leaks) with at most
// a few more goroutines and files, and memory within a bound.
func TestSoak(t *testing.T) {
	e := privateDaemon(t, "{}")
	d := soakDuration()
	if _, _, err := e.api("POST", "/networks/create", `{"Name":"soak-net"}`); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.api("DELETE", "/networks/soak-net", "") })
	var shared []string
	for i := range 3 {
		name := fmt.Sprintf("soak-shared-%d", i)
		shared = append(shared, name)
		if _, _, err := e.api("POST", "/containers/create?name="+name, `{"Image":"busybox","Cmd":["sh","-c","while :; do echo tick; sleep 1; done"],"StopSignal":"SIGKILL"}`); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { e.api("DELETE", "/containers/"+name+"?force=1", "") })
		if _, _, err := e.api("POST", "/containers/"+name+"/start", ""); err != nil {
			t.Fatal(err)
		}
	}
	baseline := e.leaks()
	before := e.figures()
	peakRSS := watchRSS(e, 4<<30)
	// Figures each minute (each third of a shorter soak): the first and
	// the last, both under the full load, must be alike.
	interval := time.Minute
	if d < 3*time.Minute {
		interval = d / 3
	}
	samples := sampleFigures(e, interval)

	s := newStresserOn(t, e, d)
	for i := range soakClients {
		s.loop(soakClient(s, i, shared))
	}
	s.wait()
	peak := peakRSS()
	if fs := samples(); len(fs) >= 2 {
		first, last := fs[0], fs[len(fs)-1]
		t.Logf("under load, after %s: %s; after %s: %s", interval, first, time.Duration(len(fs))*interval, last)
		if last.grewFrom(first) {
			t.Errorf("the daemon grew under the soak: %s, then %s", first, last)
		}
	}
	s.mu.Lock()
	t.Logf("%d clients for %s: %d requests, by status %v; daemon peak %d MiB resident", soakClients, d, s.calls, s.status, peak>>20)
	s.mu.Unlock()
	s.checkFailed("answers of 500 and above")

	// Remove what the clients made; shared containers may be stopped by now.
	var cs []struct {
		ID     string
		Labels map[string]string
	}
	e.apiJSON("/containers/json?all=1", &cs)
	for _, c := range cs {
		if c.Labels["soak"] != "" {
			e.api("DELETE", "/containers/"+c.ID+"?force=1&v=1", "")
		}
	}
	for _, name := range shared {
		e.api("POST", "/networks/soak-net/disconnect", `{"Container":"`+name+`","Force":true}`)
		e.api("POST", "/containers/"+name+"/start", "")
	}
	var nets []struct{ Name string }
	e.apiJSON("/networks", &nets)
	for _, n := range nets {
		if strings.HasPrefix(n.Name, "soak-c") {
			e.api("DELETE", "/networks/"+n.Name, "")
		}
	}
	e.api("POST", "/volumes/prune", "")
	e.api("POST", `/volumes/prune?filters={"all":["true"]}`, "")
	var images []struct{ RepoTags []string }
	e.apiJSON("/images/json", &images)
	for _, im := range images {
		for _, tag := range im.RepoTags {
			if strings.HasPrefix(tag, "soak-c") {
				e.api("DELETE", "/images/"+tag, "")
			}
		}
	}
	e.checkWhole(t, baseline, "the soak", "removing what its clients made")
	// Let go of the clients' connections; wait for the daemon's
	// goroutines to wind down.
	s.client.CloseIdleConnections()
	var after daemonFigures
	waitUntil := time.Now().Add(15 * time.Second)
	for {
		after = e.figures()
		settled := after.goroutines <= before.goroutines+20 && after.fds <= before.fds+10
		if settled || time.Now().After(waitUntil) {
			break
		}
		time.Sleep(500 * time.Millisecond)
	}
	t.Logf("before: %s; after: %s", before, after)
	if after.goroutines > before.goroutines+20 || after.fds > before.fds+10 || after.rss > 2*before.rss+64<<20 {
		_, dump, _ := e.api("GET", "/debug/pprof/goroutine?debug=1", "")
		t.Errorf("the daemon grew over the soak: before %s, after %s\n%.6000s", before, after, dump)
	}
}

// soakClient is client i's loop body: one round of its kind of work.
func soakClient(s *stresser, i int, shared []string) func() {
	own := fmt.Sprintf("soak-c%d", i)
	sh := shared[i%len(shared)]
	n := 0
	next := func() string { n++; return fmt.Sprintf("%s-%d", own, n) }
	created := func(code int, body string) string {
		var c struct{ ID, Id string }
		if code != 201 || json.Unmarshal([]byte(body), &c) != nil {
			return ""
		}
		return c.ID + c.Id
	}
	kinds := []func(){
		// A container of its own, through its life.
		func() {
			id := created(s.call("POST", "/containers/create?name="+next(),
				`{"Image":"busybox","Cmd":["sh","-c","echo hi; sleep 30"],"Labels":{"soak":"1"},"Volumes":{"/data":{}}}`))
			if id == "" {
				return
			}
			s.call("POST", "/containers/"+id+"/start", "")
			if ex := created(s.call("POST", "/containers/"+id+"/exec", `{"Cmd":["true"]}`)); ex != "" {
				s.call("POST", "/exec/"+ex+"/start", `{"Detach":true}`)
				s.call("GET", "/exec/"+ex+"/json", "")
			}
			s.call("GET", "/containers/"+id+"/logs?stdout=1&stderr=1", "")
			s.call("POST", "/containers/"+id+"/attach?logs=1&stream=0&stdout=1", "")
			s.call("POST", "/containers/"+id+"/restart?t=0", "")
			s.call("POST", "/containers/"+id+"/stop?t=0", "")
			s.call("DELETE", "/containers/"+id+"?v=1", "")
		},
		// A shared container: connect, disconnect, exec, restart.
		func() {
			s.call("POST", "/networks/soak-net/connect", `{"Container":"`+sh+`"}`)
			if ex := created(s.call("POST", "/containers/"+sh+"/exec", `{"Cmd":["true"]}`)); ex != "" {
				s.call("POST", "/exec/"+ex+"/start", `{"Detach":true}`)
			}
			s.call("POST", "/networks/soak-net/disconnect", `{"Container":"`+sh+`"}`)
			if i%10 == 1 {
				s.call("POST", "/containers/"+sh+"/restart?t=0", "")
			}
		},
		// Volumes and networks of its own.
		func() {
			v := next()
			s.call("POST", "/volumes/create", `{"Name":"`+v+`"}`)
			s.call("GET", "/volumes/"+v, "")
			s.call("DELETE", "/volumes/"+v, "")
			nw := next()
			s.call("POST", "/networks/create", `{"Name":"`+nw+`"}`)
			s.call("GET", "/networks/"+nw, "")
			s.call("DELETE", "/networks/"+nw, "")
		},
		// Tags, removals and prunes.
		func() {
			tag := next()
			s.call("POST", "/images/busybox/tag?repo="+tag+"&tag=1", "")
			s.call("DELETE", "/images/"+tag+":1", "")
			s.call("POST", `/containers/prune?filters={"label":["soak"]}`, "")
			s.call("POST", "/images/prune", "")
			s.call("POST", "/volumes/prune", "")
			s.call("POST", "/networks/prune?filters={\"label\":[\"soak\"]}", "")
		},
		// Reads.
		func() {
			for _, p := range []string{"/containers/json?all=1", "/images/json", "/networks", "/volumes", "/info", "/system/df",
				"/containers/" + sh + "/json", "/containers/" + sh + "/logs?stdout=1&tail=5", "/containers/" + sh + "/top"} {
				s.call("GET", p, "")
			}
		},
	}
	return kinds[i%len(kinds)]
}
