//go:build integration

package integration

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"
	"github.com/opencontainers/image-spec/identity"
)

// What the crash, fault and soak campaigns ask of a private daemon: raw
// API calls, whether what it shows is whole (consistent), and a count of
// everything it can leave behind (leaks), to compare with a baseline.

// apiDo makes one request to e's socket and reads the whole answer. A
// streamed answer (pull, push, load, build) that ends in an error message
// is an error too, with the daemon's words.
func (e *env) apiDo(ctx context.Context, method, path string, body io.Reader, header map[string]string) (int, string, error) {
	req, err := http.NewRequestWithContext(ctx, method, "http://wharf"+path, body)
	if err != nil {
		return 0, "", err
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	// Each call has its own transport: no idle connection is left behind
	// to count as the daemon's.
	req.Close = true
	resp, err := e.http().Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp.StatusCode, string(data), err
	}
	if resp.StatusCode >= 300 && resp.StatusCode != http.StatusNotModified {
		return resp.StatusCode, string(data), fmt.Errorf("%s %s: %d %s", method, path, resp.StatusCode, strings.TrimSpace(string(data)))
	}
	if i := strings.Index(string(data), `"errorDetail"`); i >= 0 {
		return resp.StatusCode, string(data), fmt.Errorf("%s %s: %s", method, path, strings.TrimSpace(string(data[i:])))
	}
	return resp.StatusCode, string(data), nil
}

// api is apiDo with a JSON body (or none) and a bound of two minutes.
func (e *env) api(method, path, jsonBody string) (int, string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var body io.Reader
	header := map[string]string{}
	if jsonBody != "" {
		body = strings.NewReader(jsonBody)
		header["Content-Type"] = "application/json"
	}
	return e.apiDo(ctx, method, path, body, header)
}

// apiJSON GETs path into v; it returns false if the answer is not 200.
func (e *env) apiJSON(path string, v any) bool {
	code, body, err := e.api("GET", path, "")
	if err != nil || code != 200 {
		return false
	}
	return json.Unmarshal([]byte(body), v) == nil
}

// consistent returns what the daemon shows that is not whole: a listed
// container, image, volume or network that cannot be inspected, an image
// with a layer neither extracted nor stored, a running container without its
// process, a stopped one with its monitor, a container and a network that
// disagree on whether it is connected, a conmon nobody listed.
func (e *env) consistent() []string {
	var bad []string
	var list []struct{ ID string }
	if !e.apiJSON("/containers/json?all=1", &list) {
		return []string{"the container list does not answer"}
	}
	connected := map[string]bool{} // network ID + container ID, as the containers say
	running := 0
	for _, c := range list {
		var ins struct {
			Name  string
			State struct {
				Running, Paused bool
				Pid             int
				Status          string
			}
			NetworkSettings struct {
				Networks map[string]struct{ NetworkID string }
			}
		}
		if !e.apiJSON("/containers/"+c.ID+"/json", &ins) {
			bad = append(bad, "container "+c.ID+" is listed but not inspectable")
			continue
		}
		if ins.State.Running {
			running++
			if _, err := os.Stat(fmt.Sprintf("/proc/%d", ins.State.Pid)); ins.State.Pid == 0 || err != nil {
				bad = append(bad, fmt.Sprintf("container %s is running with pid %d, which does not exist", ins.Name, ins.State.Pid))
			}
			for _, n := range ins.NetworkSettings.Networks {
				connected[n.NetworkID+c.ID] = true
			}
		}
	}
	if n := len(e.conmons()); n != running {
		bad = append(bad, fmt.Sprintf("%d conmon monitors for %d running containers", n, running))
	}

	var nets []struct {
		ID, Name string
	}
	e.apiJSON("/networks", &nets)
	for _, n := range nets {
		var ins struct {
			Containers map[string]json.RawMessage
		}
		if !e.apiJSON("/networks/"+n.ID, &ins) {
			bad = append(bad, "network "+n.Name+" is listed but not inspectable")
			continue
		}
		for id := range ins.Containers {
			// dockerd's ingress-sbox entry is the routing mesh's
			// sandbox, not a container.
			if !connected[n.ID+id] && id != "ingress-sbox" {
				bad = append(bad, fmt.Sprintf("network %s lists container %.12s, which does not say it is connected (or does not run)", n.Name, id))
			}
			delete(connected, n.ID+id)
		}
	}
	for k := range connected {
		if !strings.HasPrefix(k, "host") && !strings.HasPrefix(k, "none") {
			bad = append(bad, fmt.Sprintf("a running container says it is on network %.12s, which does not list it", k))
		}
	}

	var images []struct{ ID string }
	if !e.apiJSON("/images/json?all=1", &images) {
		bad = append(bad, "the image list does not answer")
	}
	for _, im := range images {
		var ins struct {
			RootFS struct{ Layers []digest.Digest }
		}
		if !e.apiJSON("/images/"+im.ID+"/json", &ins) {
			bad = append(bad, "image "+im.ID+" is listed but not inspectable")
			continue
		}
		// A layer is there extracted, or as the tar it is extracted
		// from at its first use (a crash may come between the two).
		for i, chain := range identity.ChainIDs(slices.Clone(ins.RootFS.Layers)) {
			_, extracted := os.Stat(filepath.Join(e.root, "image/layers", chain.Encoded(), "committed"))
			_, stored := os.Stat(filepath.Join(e.root, "image/blobs/sha256", ins.RootFS.Layers[i].Encoded()))
			if extracted != nil && stored != nil {
				bad = append(bad, fmt.Sprintf("image %.19s lacks its layer %.19s", im.ID, chain))
			}
		}
	}

	var vols struct {
		Volumes []struct{ Name, Mountpoint string }
	}
	e.apiJSON("/volumes", &vols)
	for _, v := range vols.Volumes {
		if _, err := os.Stat(v.Mountpoint); err != nil {
			bad = append(bad, "volume "+v.Name+" has no directory")
		}
	}
	return bad
}

// conmons lists the conmon monitors of e's containers.
func (e *env) conmons() []string {
	var out []string
	procs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, p := range procs {
		data, err := os.ReadFile(p)
		argv0, _, _ := strings.Cut(string(data), "\x00")
		if err == nil && filepath.Base(argv0) == "conmon" && strings.Contains(string(data), e.execRoot+"/") {
			out = append(out, p)
		}
	}
	return out
}

// leaks counts everything a daemon makes that can outlive a crash: the
// objects it lists, what is stored and mounted for them, and what it
// makes on the host (cgroups, monitors, veths, firewall rules, network
// namespaces). Two equal answers mean nothing was left behind.
func (e *env) leaks() string {
	count := func(dir string) int {
		des, _ := os.ReadDir(dir)
		return len(des)
	}
	// runc's states are directories; wharf-runc keeps its compiled
	// seccomp filters (a cache, one per profile) as files beside them.
	countDirs := func(dir string) int {
		des, _ := os.ReadDir(dir)
		n := 0
		for _, d := range des {
			if d.IsDir() {
				n++
			}
		}
		return n
	}
	listed := func(path string) int {
		var v []json.RawMessage
		e.apiJSON(path, &v)
		return len(v)
	}
	var vols struct{ Volumes []json.RawMessage }
	e.apiJSON("/volumes", &vols)
	mounts := 0
	data, _ := os.ReadFile("/proc/self/mounts")
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) > 1 && (strings.HasPrefix(f[1], e.root+"/") || strings.HasPrefix(f[1], e.execRoot+"/")) {
			mounts++
		}
	}
	// Only the bridges of wharf's user-defined networks and the veths on
	// them: other engines on the host, and other wharfd on the shared
	// default bridge wharf0, make and remove their own meanwhile.
	links := func(kind, mark string) int {
		out, _ := exec.Command("ip", "-o", "link", "show", "type", kind).Output()
		n := 0
		for _, l := range lines(string(out)) {
			if strings.Contains(l, mark) {
				n++
			}
		}
		return n
	}
	rules := 0
	for _, table := range []string{"filter", "nat"} {
		out, _ := exec.Command("iptables", "-w", "-S", "-t", table).Output()
		for _, l := range strings.Split(string(out), "\n") {
			if strings.Contains(strings.ToLower(l), "wharf") {
				rules++
			}
		}
	}
	return fmt.Sprintf("containers %d, images %d, volumes %d, networks %d; "+
		"container dirs %d, run dirs %d, runc states %d, layers %d, blobs %d, tmp %d, build tmp %d, volume dirs %d, netns %d, sandboxes %d; "+
		"mounts %d, cgroups %d, conmons %d, veths %d, bridges %d, firewall rules %d",
		listed("/containers/json?all=1"), listed("/images/json?all=1"), len(vols.Volumes), listed("/networks"),
		count(filepath.Join(e.root, "containers")), countIDs(filepath.Join(e.execRoot, "containers")),
		countDirs(filepath.Join(e.execRoot, "runtime", itRuntime())),
		count(filepath.Join(e.root, "image/layers")), count(filepath.Join(e.root, "image/blobs/sha256")),
		count(filepath.Join(e.root, "image/tmp")), count(filepath.Join(e.root, "build/tmp")),
		count(filepath.Join(e.root, "volumes")), count(filepath.Join(e.execRoot, "netns")),
		count(filepath.Join(e.root, "network/sandboxes")),
		mounts, len(e.cgroupDirs()), len(e.conmons()), links("veth", "master wharf-"), links("bridge", ": wharf-"), rules)
}

// leftNames lists what the leaks() counts of stored and running things
// are made of, for a failure message.
func (e *env) leftNames() string {
	var b strings.Builder
	for _, dir := range []string{filepath.Join(e.root, "containers"), filepath.Join(e.execRoot, "containers"), filepath.Join(e.root, "volumes"), filepath.Join(e.root, "image/layers")} {
		des, _ := os.ReadDir(dir)
		var names []string
		for _, d := range des {
			names = append(names, d.Name())
		}
		fmt.Fprintf(&b, "%s: %s\n", dir, strings.Join(names, " "))
	}
	var cs []struct {
		ID, State string
		Names     []string
	}
	e.apiJSON("/containers/json?all=1", &cs)
	for _, c := range cs {
		fmt.Fprintf(&b, "container %.12s %v %s\n", c.ID, c.Names, c.State)
	}
	return b.String()
}

// countIDs counts the entries of dir named by a container ID (the exec
// root's bundles, not its exits/ and exec/ directories).
func countIDs(dir string) int {
	des, _ := os.ReadDir(dir)
	n := 0
	for _, d := range des {
		if len(d.Name()) == 64 && strings.Trim(d.Name(), "0123456789abcdef") == "" {
			n++
		}
	}
	return n
}

// checkWhole fails t unless what the daemon shows is consistent and,
// once what winds down after the answers has (an exiting conmon, a
// cgroup going; up to 15 s), nothing is left beyond baseline (leaks):
// "after <what> and <removed>".
func (e *env) checkWhole(t *testing.T, baseline, what, removed string) {
	t.Helper()
	if bad := e.consistent(); len(bad) > 0 {
		t.Errorf("after %s, what the daemon shows is not whole:\n%s", what, strings.Join(bad, "\n"))
	}
	got := e.leaks()
	for end := time.Now().Add(15 * time.Second); got != baseline && time.Now().Before(end); got = e.leaks() {
		time.Sleep(500 * time.Millisecond)
	}
	if got != baseline {
		t.Errorf("after %s and %s:\n got %s\nwant %s\n%s", what, removed, got, baseline, e.leftNames())
	}
}
