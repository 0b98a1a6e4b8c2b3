//go:build integration

package integration

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// The stress tests race the operations that once took two services' locks
// in opposite orders (network connect against start; image removal
// against run). Errors are expected (a container is not running, already
// connected, an image is gone); a request that does not answer within
// stressHang means the daemon is wedged. WHARF_STRESS=2m runs them longer.
// WHARF_HANG raises the bound: a daemon built with -race on a loaded
// machine answers several times slower, without being wedged.

var stressHang = func() time.Duration {
	if d, err := time.ParseDuration(os.Getenv("WHARF_HANG")); err == nil && d > 10*time.Second {
		return d
	}
	return 30 * time.Second
}()

func stressDuration() time.Duration {
	if d, err := time.ParseDuration(os.Getenv("WHARF_STRESS")); err == nil {
		return d
	}
	return 10 * time.Second
}

// stresser runs loops against the daemon until its time is up and
// records the first request that hung.
type stresser struct {
	t      *testing.T
	e      *env
	client *http.Client
	until  time.Time
	wg     sync.WaitGroup

	mu             sync.Mutex
	hung           error
	calls          int
	status         map[int]int   // answers by status code
	slowest        time.Duration // the longest a request took to answer
	slowestRequest string
	failed         []string // the first answers of 500 and above
	stacks         string   // the daemon's goroutines when a request hung
}

func newStresser(t *testing.T) *stresser {
	return newStresserOn(t, testEnv, stressDuration())
}

// newStresserOn is a stresser against e for d.
func newStresserOn(t *testing.T, e *env, d time.Duration) *stresser {
	c := e.http()
	c.Timeout = stressHang
	return &stresser{t: t, e: e, client: c, until: time.Now().Add(d), status: map[int]int{}}
}

// call makes one request and returns its status and body; a transport
// error (the timeout above) is recorded as a hang.
func (s *stresser) call(method, path, body string) (int, string) {
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, _ := http.NewRequest(method, "http://wharf"+path, r)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	// A request still pending shortly before its timeout: take the
	// daemon's goroutines while whatever blocks it is still blocked.
	dump := time.AfterFunc(stressHang-5*time.Second, s.dumpGoroutines)
	start := time.Now()
	resp, err := s.client.Do(req)
	took := time.Since(start)
	dump.Stop()
	s.mu.Lock()
	s.calls++
	if took > s.slowest {
		s.slowest, s.slowestRequest = took, method+" "+path
	}
	if err != nil && s.hung == nil {
		s.hung = fmt.Errorf("%s %s: %w", method, path, err)
	}
	s.mu.Unlock()
	if err != nil {
		return 0, ""
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	s.mu.Lock()
	s.status[resp.StatusCode]++
	if resp.StatusCode >= 500 && len(s.failed) < 20 {
		s.failed = append(s.failed, fmt.Sprintf("%s %s: %d %s", method, path, resp.StatusCode, strings.TrimSpace(string(data))))
	}
	s.mu.Unlock()
	return resp.StatusCode, string(data)
}

// dumpGoroutines keeps the daemon's goroutine dump, once.
func (s *stresser) dumpGoroutines() {
	s.mu.Lock()
	taken := s.stacks != ""
	s.stacks = "(taking)"
	s.mu.Unlock()
	if taken {
		return
	}
	stacks := "(no goroutine dump)"
	c := &http.Client{Transport: s.e.http().Transport, Timeout: 60 * time.Second}
	if resp, err := c.Get("http://wharf/debug/pprof/goroutine?debug=2"); err == nil {
		data, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		stacks = string(data)
	}
	// WHARF_IT_DUMP=path keeps the whole dump for a post-mortem.
	if p := os.Getenv("WHARF_IT_DUMP"); p != "" {
		os.WriteFile(p, []byte(stacks), 0o644)
	}
	s.mu.Lock()
	s.stacks = stacks
	s.mu.Unlock()
}

// loop runs op over and over in its own goroutine until time is up or a
// request hangs.
func (s *stresser) loop(op func()) {
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for time.Now().Before(s.until) {
			s.mu.Lock()
			hung := s.hung != nil
			s.mu.Unlock()
			if hung {
				return
			}
			op()
		}
	}()
}

// checkFailed fails the test with the first calls that failed for the
// daemon's reasons, which failure names.
func (s *stresser) checkFailed(failure string) {
	s.mu.Lock()
	failed := s.failed
	s.mu.Unlock()
	if len(failed) > 0 {
		s.t.Errorf("%s (the first %d):\n%s", failure, len(failed), strings.Join(failed, "\n"))
	}
}

// wait waits for the loops and fails the test, with the daemon's
// goroutines, if any request hung.
func (s *stresser) wait() {
	s.wg.Wait()
	if s.hung == nil {
		s.t.Logf("%d requests, none hung (bound %s); the slowest took %s (%s)", s.calls, stressHang, s.slowest.Round(time.Millisecond), s.slowestRequest)
		return
	}
	// The daemon's own goroutines, not the runtime's or net/http's idle
	// ones; the dump may still be on its way.
	s.mu.Lock()
	dump := s.stacks
	s.mu.Unlock()
	for end := time.Now().Add(70 * time.Second); (dump == "" || dump == "(taking)") && time.Now().Before(end); {
		if dump == "" {
			s.dumpGoroutines()
		}
		time.Sleep(100 * time.Millisecond)
		s.mu.Lock()
		dump = s.stacks
		s.mu.Unlock()
	}
	var stacks []string
	for _, g := range strings.Split(dump, "\n\n") {
		if strings.Contains(g, "wharf/internal") {
			stacks = append(stacks, g)
		}
	}
	s.t.Fatalf("the daemon stopped answering: %v\n%s", s.hung, strings.Join(stacks, "\n\n"))
}

// mustAnswer fails unless GET path answers 200 quickly: the daemon is not wedged.
func mustAnswer(t *testing.T, path string) string {
	t.Helper()
	c := testEnv.http()
	c.Timeout = 10 * time.Second
	resp, err := c.Get("http://wharf" + path)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d %s", path, resp.StatusCode, data)
	}
	return string(data)
}

func TestStressNetworkConnectAndLifecycle(t *testing.T) {
	net := uniqueName(t, "net")
	cli(t, "wharf", "network", "create", net)
	t.Cleanup(func() { testEnv.run("wharf", "network", "rm", net) })
	var names []string
	for i := range 3 {
		n := uniqueName(t, fmt.Sprint(i))
		names = append(names, n)
		cleanupContainers(t, n)
		cli(t, "wharf", "run", "-d", "--name", n, "busybox", "sleep", "3600")
	}
	s := newStresser(t)
	connect := `{"Container":%q}`
	for _, n := range names {
		s.loop(func() { s.call("POST", "/networks/"+net+"/connect", fmt.Sprintf(connect, n)) })
		s.loop(func() { s.call("POST", "/networks/"+net+"/disconnect", fmt.Sprintf(connect, n)) })
		s.loop(func() { s.call("POST", "/containers/"+n+"/restart?t=0", "") })
		s.loop(func() {
			s.call("POST", "/containers/"+n+"/stop?t=0", "")
			s.call("POST", "/containers/"+n+"/start", "")
		})
		s.loop(func() { s.call("GET", "/containers/"+n+"/json", "") })
	}
	s.loop(func() { s.call("GET", "/containers/json", "") })
	s.loop(func() { s.call("GET", "/networks/"+net, "") })
	// A container removed and made again under the same name.
	victim := names[0]
	s.loop(func() {
		s.call("DELETE", "/containers/"+victim+"?force=1", "")
		s.call("POST", "/containers/create?name="+victim, `{"Image":"busybox","Cmd":["sleep","3600"]}`)
		s.call("POST", "/containers/"+victim+"/start", "")
		time.Sleep(50 * time.Millisecond)
	})
	s.wait()

	// What is left is consistent: every running container is on the
	// network exactly when inspect says so, and after removing them all
	// the network has no endpoints left and can be removed.
	for _, n := range names {
		var c struct {
			State           struct{ Running bool }
			NetworkSettings struct{ Networks map[string]json.RawMessage }
		}
		if err := json.Unmarshal([]byte(mustAnswer(t, "/containers/"+n+"/json")), &c); err != nil {
			continue // the victim may be gone
		}
		var nw struct{ Containers map[string]json.RawMessage }
		json.Unmarshal([]byte(mustAnswer(t, "/networks/"+net)), &nw)
		_, onNet := c.NetworkSettings.Networks[net]
		inNet := false
		for _, raw := range nw.Containers {
			inNet = inNet || strings.Contains(string(raw), `"Name":"`+n+`"`)
		}
		if c.State.Running && onNet != inNet {
			t.Errorf("%s: inspect says on %s: %v; the network lists it: %v", n, net, onNet, inNet)
		}
	}
	cli(t, "wharf", append([]string{"rm", "-f"}, names...)...)
	cli(t, "wharf", "network", "rm", net)
}

func TestStressImageRemoveAndRun(t *testing.T) {
	img := uniqueName(t, "img")
	importImage(t, img, "LABEL "+img+"=1")
	saved := filepath.Join(t.TempDir(), "img.tar")
	cli(t, "wharf", "save", "-o", saved, img)
	tarball, err := os.ReadFile(saved)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ids := strings.Fields(testEnv.run("wharf", "ps", "-aq", "--filter", "label="+img).stdout)
		testEnv.run("wharf", append([]string{"rm", "-f"}, ids...)...)
	})
	s := newStresser(t)
	runOnce := func() {
		code, body := s.call("POST", "/containers/create", fmt.Sprintf(`{"Image":%q,"Cmd":["true"]}`, img))
		if code != 201 {
			return
		}
		var created struct{ ID string }
		json.Unmarshal([]byte(body), &created)
		s.call("POST", "/containers/"+created.ID+"/start", "")
		s.call("POST", "/containers/"+created.ID+"/wait", "")
		s.call("DELETE", "/containers/"+created.ID+"?force=1", "")
	}
	for range 3 {
		s.loop(runOnce)
	}
	s.loop(func() { s.call("DELETE", "/images/"+img, "") })
	s.loop(func() { s.call("DELETE", "/images/"+img+"?force=1", "") })
	s.loop(func() { s.call("POST", "/images/load?quiet=1", string(tarball)) })
	s.loop(func() { s.call("POST", `/images/prune?filters={"dangling":["false"],"label":["`+img+`"]}`, "") })
	s.loop(func() { s.call("GET", "/images/json", "") })
	s.wait()

	// A container that exists can be inspected, and the image list answers.
	mustAnswer(t, "/images/json")
	for _, id := range strings.Fields(cli(t, "wharf", "ps", "-aq", "--filter", "label="+img)) {
		mustAnswer(t, "/containers/"+id+"/json")
	}
}
