//go:build integration

package integration

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vishvananda/netlink"
)

// crictlPath is crictl from $CRICTL, or else built (once, then cached) by
// hack/tools/crictl/build.sh. CI runs that script before the suite, so
// its cold build (minutes) stays out of the test's time.
func crictlPath(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("CRICTL"); p != "" {
		return p
	}
	out, err := exec.Command("../../hack/tools/crictl/build.sh").Output()
	if err != nil {
		t.Fatalf("building crictl (hack/tools/crictl/build.sh): %v", err)
	}
	return strings.TrimSpace(string(out))
}

// criEnv is a private wharfd whose CRI uses a CNI bridge of the test's own.
type criEnv struct {
	*env
	bin, config, bridge, subnet string
	confDir, conf               string // the CNI conf dir and its conflist's text
}

func newCRIEnv(t *testing.T) *criEnv {
	t.Helper()
	crictl := crictlPath(t)
	dir := t.TempDir()
	n := os.Getpid() % 200
	ce := &criEnv{bin: crictl, bridge: fmt.Sprintf("wcri%d", n), subnet: fmt.Sprintf("10.231.%d", n)}
	confDir := filepath.Join(dir, "net.d")
	os.MkdirAll(confDir, 0o755)
	conf := fmt.Sprintf(`{"cniVersion":"1.0.0","name":"wharf-it-cri","plugins":[
		{"type":"bridge","bridge":%q,"isGateway":true,"ipMasq":false,
		 "ipam":{"type":"host-local","ranges":[[{"subnet":"%s.0/24"}]],"dataDir":%q}},
		{"type":"loopback"}]}`, ce.bridge, ce.subnet, filepath.Join(dir, "ipam"))
	criFile(t, confDir, "10-it.conflist", conf)
	ce.confDir, ce.conf = confDir, conf
	t.Cleanup(func() {
		if l, err := netlink.LinkByName(ce.bridge); err == nil {
			netlink.LinkDel(l)
		}
	})
	ce.env = privateDaemon(t, fmt.Sprintf(`{"cri":{"cni-conf-dir":%q}}`, confDir))
	sock := "unix://" + filepath.Join(ce.execRoot, "cri.sock")
	ce.config = criFile(t, dir, "crictl.yaml",
		fmt.Sprintf("runtime-endpoint: %s\nimage-endpoint: %s\ntimeout: 60\n", sock, sock))
	// Registered after privateDaemon's: runs before the daemon stops, and
	// removes what a failed test left.
	t.Cleanup(func() {
		ce.crictlRun("rmp", "-af")
	})
	return ce
}

// crictlRun runs crictl against the daemon's CRI socket.
func (ce *criEnv) crictlRun(args ...string) result {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	return collect(exec.CommandContext(ctx, ce.bin, append([]string{"--config", ce.config}, args...)...))
}

func (ce *criEnv) crictl(t *testing.T, args ...string) string {
	t.Helper()
	r := ce.crictlRun(args...)
	if r.code != 0 {
		t.Fatalf("crictl %s: exit %d\n%s%s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
	}
	return strings.TrimSpace(r.stdout)
}

// TestCRIPodWithCrictl drives the CRI as a user does with crictl: a pod
// on a CNI bridge, two containers sharing its namespaces, logs in the
// kubelet's format, exec (sync and streamed), port-forward, and nothing
// left after stopp and rmp.
func TestCRIPodWithCrictl(t *testing.T) {
	ce := newCRIEnv(t)
	dir := t.TempDir()

	var info struct {
		Status struct {
			Conditions []struct {
				Type   string
				Status bool
			}
		}
	}
	if err := json.Unmarshal([]byte(ce.crictl(t, "info")), &info); err != nil {
		t.Fatal(err)
	}
	for _, c := range info.Status.Conditions {
		if !c.Status {
			t.Errorf("crictl info: %s is false", c.Type)
		}
	}
	if v := ce.crictl(t, "version"); !strings.Contains(v, "RuntimeName:  wharf") {
		t.Errorf("crictl version: %s", v)
	}
	if imgs := ce.crictl(t, "images"); !strings.Contains(imgs, "busybox") {
		t.Errorf("crictl images does not show the image wharf has:\n%s", imgs)
	}

	logDir := filepath.Join(dir, "logs")
	pod := criFile(t, dir, "pod.json", fmt.Sprintf(`{
		"metadata":{"name":"it-pod","namespace":"default","uid":"it-pod-uid","attempt":0},
		"hostname":"it-pod-host","log_directory":%q,
		"dns_config":{"servers":["10.0.0.10"],"searches":["default.svc"]},
		"labels":{"app":"it"},"linux":{}}`, logDir))
	web := criFile(t, dir, "web.json", `{
		"metadata":{"name":"web"},"image":{"image":"busybox"},"log_path":"web/0.log",
		"command":["sh","-c","echo hello-from-pod; echo oops >&2; exec httpd -f -p 8080 -h /etc"]}`)
	side := criFile(t, dir, "side.json", `{
		"metadata":{"name":"side"},"image":{"image":"busybox"},"log_path":"side/0.log",
		"command":["sleep","1000"]}`)

	podID := ce.crictl(t, "runp", pod)
	webID := ce.crictl(t, "create", podID, web, pod)
	ce.crictl(t, "start", webID)
	sideID := ce.crictl(t, "create", podID, side, pod)
	ce.crictl(t, "start", sideID)

	if out := ce.crictl(t, "pods", "--label", "app=it", "-q"); out != podID {
		t.Errorf("crictl pods --label app=it: %q, want %s", out, podID)
	}
	if out := ce.crictl(t, "ps", "-q", "--pod", podID); len(strings.Fields(out)) != 2 {
		t.Errorf("crictl ps --pod: %q", out)
	}
	ip := ce.crictl(t, "inspectp", "-o", "go-template", "--template", "{{.status.network.ip}}", podID)
	if !strings.HasPrefix(ip, ce.subnet+".") {
		t.Errorf("pod ip %q is not in %s.0/24", ip, ce.subnet)
	}

	// The pod's containers share its network, IPC and UTS namespaces, and
	// its PID namespace (crictl's default PID mode is POD), where wharf's
	// pause program is PID 1.
	for _, ns := range []string{"net", "ipc", "uts", "pid"} {
		a := ce.crictl(t, "exec", "-s", webID, "readlink", "/proc/self/ns/"+ns)
		b := ce.crictl(t, "exec", "-s", sideID, "readlink", "/proc/self/ns/"+ns)
		if a != b {
			t.Errorf("%s namespace: web %s, side %s", ns, a, b)
		}
	}
	// ... and one /dev/shm: POSIX shared memory one container makes, the
	// other sees (as with containerd); the pod's is gone after rmp (below).
	ce.crictl(t, "exec", "-s", webID, "sh", "-c", "echo shared > /dev/shm/it-seg")
	if got := ce.crictl(t, "exec", "-s", sideID, "cat", "/dev/shm/it-seg"); got != "shared" {
		t.Errorf("/dev/shm/it-seg in the other container: %q", got)
	}
	if m := ce.crictl(t, "exec", "-s", sideID, "grep", " /dev/shm ", "/proc/self/mounts"); !strings.Contains(m, "tmpfs") || !strings.Contains(m, "nosuid,nodev,noexec") {
		t.Errorf("/dev/shm mount: %s", m)
	}
	if init := ce.crictl(t, "exec", "-s", sideID, "cat", "/proc/1/comm"); init != "wharf-exec-init" {
		t.Errorf("PID 1 of the pod is %q, want wharf's pause program", init)
	}
	if ps := ce.crictl(t, "exec", "-s", sideID, "ps", "-o", "comm"); !strings.Contains(ps, "httpd") {
		t.Errorf("the side container does not see the web container's httpd:\n%s", ps)
	}
	if h := ce.crictl(t, "exec", "-s", sideID, "hostname"); h != "it-pod-host" {
		t.Errorf("hostname %q", h)
	}
	if r := ce.crictl(t, "exec", "-s", sideID, "cat", "/etc/resolv.conf"); !strings.Contains(r, "nameserver 10.0.0.10") || !strings.Contains(r, "search default.svc") {
		t.Errorf("resolv.conf:\n%s", r)
	}
	if a := ce.crictl(t, "exec", "-s", sideID, "ip", "-4", "-o", "addr", "show", "eth0"); !strings.Contains(a, ip+"/24") {
		t.Errorf("eth0 of the side container: %s", a)
	}

	// Logs: crictl reads them, and the file is in the kubelet's format.
	waitFor(t, 10*time.Second, "the web container's log", func() bool {
		return strings.Contains(ce.crictlRun("logs", webID).stdout, "hello-from-pod")
	})
	raw, err := os.ReadFile(filepath.Join(logDir, "web", "0.log"))
	if err != nil {
		t.Fatal(err)
	}
	var sawOut, sawErr bool
	for _, l := range lines(string(raw)) {
		f := strings.SplitN(l, " ", 4)
		if len(f) != 4 {
			t.Fatalf("log line %q is not in the CRI format", l)
		}
		if _, err := time.Parse(time.RFC3339Nano, f[0]); err != nil || f[2] != "F" {
			t.Errorf("log line %q: %v", l, err)
		}
		sawOut = sawOut || (f[1] == "stdout" && f[3] == "hello-from-pod")
		sawErr = sawErr || (f[1] == "stderr" && f[3] == "oops")
	}
	if !sawOut || !sawErr {
		t.Errorf("log file:\n%s", raw)
	}

	// Stats, and a log rotated away and reopened as the kubelet does it.
	if st := ce.crictl(t, "stats", "-o", "json", "--id", sideID); !strings.Contains(st, "workingSetBytes") {
		t.Errorf("crictl stats:\n%s", st)
	}
	logFile := filepath.Join(logDir, "side", "0.log")
	if err := os.Rename(logFile, logFile+".1"); err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	ce.crictlRun("logs", "--reopen", sideID)
	ce.crictl(t, "exec", "-s", sideID, "sh", "-c", "echo after-reopen > /proc/$(pidof sleep)/fd/1")
	waitFor(t, 10*time.Second, "the reopened log", func() bool {
		data, _ := os.ReadFile(logFile)
		return strings.Contains(string(data), "after-reopen")
	})

	// Streamed exec: output, stdin, and the exit code.
	r := ce.crictlRun("exec", sideID, "sh", "-c", "echo streamed; exit 3")
	if r.code == 0 || !strings.Contains(r.stdout, "streamed") || !strings.Contains(r.stderr, "exit code 3") {
		t.Errorf("streamed exec: %+v", r)
	}

	// Port-forward reaches the pod's port 8080 from the host's loopback.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	pf := exec.Command(ce.bin, "--config", ce.config, "port-forward", podID, fmt.Sprintf("%d:8080", port))
	if err := pf.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pf.Process.Kill(); pf.Wait() })
	var body string
	waitFor(t, 10*time.Second, "the port forward", func() bool {
		c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), time.Second)
		if err != nil {
			return false
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(5 * time.Second))
		fmt.Fprintf(c, "GET /hostname HTTP/1.0\r\n\r\n")
		data, _ := io.ReadAll(c)
		body = string(data)
		return strings.Contains(body, "200")
	})
	if !strings.Contains(body, "it-pod-host") {
		t.Errorf("port-forwarded GET /hostname:\n%s", body)
	}

	// docker's view: the pod's containers are not in `ps`, only with the filter.
	if ps := ce.run("wharf", "ps", "-aq", "--no-trunc").stdout; strings.Contains(ps, webID) {
		t.Errorf("wharf ps shows the CRI's container:\n%s", ps)
	}
	if ps := ce.run("wharf", "ps", "-q", "--no-trunc", "--filter", "namespace=k8s.io").stdout; !strings.Contains(ps, webID) {
		t.Errorf("wharf ps --filter namespace=k8s.io:\n%s", ps)
	}

	ce.crictl(t, "stopp", podID)
	if st := ce.crictl(t, "inspect", "-o", "go-template", "--template", "{{.status.state}}", sideID); st != "CONTAINER_EXITED" {
		t.Errorf("after stopp the container is %s", st)
	}
	// Nothing a docker user does removes them by accident.
	if out := ce.run("wharf", "container", "prune", "-f"); out.code != 0 {
		t.Errorf("prune: %s", out.stderr)
	}
	if ps := ce.run("wharf", "ps", "-aq", "--no-trunc", "--filter", "namespace=k8s.io").stdout; !strings.Contains(ps, webID) {
		t.Errorf("wharf container prune removed the CRI's stopped containers:\n%s", ps)
	}
	ce.crictl(t, "rmp", podID)
	if out := ce.crictl(t, "pods", "-q"); out != "" {
		t.Errorf("pods after rmp: %q", out)
	}
	if out := ce.crictl(t, "ps", "-aq"); out != "" {
		t.Errorf("containers after rmp: %q", out)
	}
	if ents, _ := os.ReadDir(filepath.Join(ce.execRoot, "cri", "ns")); len(ents) != 0 {
		t.Errorf("namespaces left: %v", ents)
	}
	if ents, _ := os.ReadDir(filepath.Join(dir, "ipam", "wharf-it-cri")); len(ents) > 2 {
		t.Errorf("addresses left allocated: %v", ents)
	}
}

// TestCRIErrors: clear gRPC errors, and nothing made, for bad requests.
func TestCRIErrors(t *testing.T) {
	ce := newCRIEnv(t)
	dir := t.TempDir()
	pod := criFile(t, dir, "pod.json", `{"metadata":{"name":"bad","namespace":"default","uid":"bad-uid"},"linux":{}}`)
	ctr := criFile(t, dir, "ctr.json", `{"metadata":{"name":"c"},"image":{"image":"busybox"}}`)
	if r := ce.crictlRun("create", "nosuchpod", ctr, pod); r.code == 0 || !strings.Contains(r.stderr, "NotFound") {
		t.Errorf("create in a missing pod: %+v", r)
	}
	podID := ce.crictl(t, "runp", pod)
	noImage := criFile(t, dir, "noimg.json", `{"metadata":{"name":"c"},"image":{"image":"nosuch-image:1"}}`)
	if r := ce.crictlRun("create", "--no-pull", podID, noImage, pod); r.code == 0 || !strings.Contains(r.stderr, "NotFound") {
		t.Errorf("create from a missing image: %+v", r)
	}
	if out := ce.crictl(t, "ps", "-aq"); out != "" {
		t.Errorf("a failed create left %q", out)
	}
	ce.crictl(t, "rmp", "-f", podID)
}

// criFile writes name in dir and returns its path.
func criFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestCRISurvivesKill9: a wharfd killed with a pod running comes back
// with the pod ready and its container running and reachable, and the
// pod is then removed without leftovers.
func TestCRISurvivesKill9(t *testing.T) {
	ce := newCRIEnv(t)
	dir := t.TempDir()
	pod := criFile(t, dir, "pod.json", `{"metadata":{"name":"k9","namespace":"default","uid":"k9-uid"},"hostname":"k9","linux":{}}`)
	ctr := criFile(t, dir, "ctr.json", `{"metadata":{"name":"c"},"image":{"image":"busybox"},"command":["sleep","1000"]}`)
	podID := ce.crictl(t, "runp", pod)
	ctrID := ce.crictl(t, "create", podID, ctr, pod)
	ce.crictl(t, "start", ctrID)
	ip := ce.crictl(t, "inspectp", "-o", "go-template", "--template", "{{.status.network.ip}}", podID)

	ce.stopDaemon(syscall.SIGKILL)
	if err := ce.startDaemon(); err != nil {
		t.Fatal(err)
	}
	if st := ce.crictl(t, "inspectp", "-o", "go-template", "--template", "{{.status.state}} {{.status.network.ip}}", podID); st != "SANDBOX_READY "+ip {
		t.Errorf("pod after kill -9: %q", st)
	}
	if st := ce.crictl(t, "inspect", "-o", "go-template", "--template", "{{.status.state}}", ctrID); st != "CONTAINER_RUNNING" {
		t.Errorf("container after kill -9: %q", st)
	}
	if h := ce.crictl(t, "exec", "-s", ctrID, "hostname"); h != "k9" {
		t.Errorf("exec after kill -9: %q", h)
	}
	ce.crictl(t, "rmp", "-f", podID)
	if out := ce.crictl(t, "ps", "-aq"); out != "" {
		t.Errorf("containers after rmp: %q", out)
	}
	if ents, _ := os.ReadDir(filepath.Join(ce.execRoot, "cri", "ns")); len(ents) != 0 {
		t.Errorf("namespaces left: %v", ents)
	}
}

// TestCRINetworkNotReady: without a CNI configuration, or with one whose
// plugins fail, NetworkReady is false with the reason and a pod is
// refused with nothing left of it; a fixed configuration is picked up
// without a restart.
func TestCRINetworkNotReady(t *testing.T) {
	ce := newCRIEnv(t)
	dir := t.TempDir()
	good := filepath.Join(ce.confDir, "10-it.conflist")
	if err := os.Remove(good); err != nil {
		t.Fatal(err)
	}
	netReady := func() (bool, string) {
		var info struct {
			Status struct {
				Conditions []struct {
					Type, Reason, Message string
					Status                bool
				}
			}
		}
		if err := json.Unmarshal([]byte(ce.crictl(t, "info")), &info); err != nil {
			t.Fatal(err)
		}
		for _, c := range info.Status.Conditions {
			if c.Type == "NetworkReady" {
				return c.Status, c.Reason + ": " + c.Message
			}
		}
		t.Fatal("crictl info has no NetworkReady condition")
		return false, ""
	}
	if ok, why := netReady(); ok || !strings.Contains(why, "NetworkPluginNotReady") || !strings.Contains(why, "no network configuration") {
		t.Errorf("NetworkReady without a configuration: %v %q", ok, why)
	}
	pod := criFile(t, dir, "pod.json", `{"metadata":{"name":"nonet","namespace":"default","uid":"nonet-uid"},"linux":{}}`)
	if r := ce.crictlRun("runp", pod); r.code == 0 || !strings.Contains(r.stderr, "FailedPrecondition") || !strings.Contains(r.stderr, "no network configuration") {
		t.Errorf("runp without a network configuration: %+v", r)
	}

	// A list that loads but whose bridge plugin fails at ADD.
	criFile(t, ce.confDir, "10-broken.conflist", `{"cniVersion":"1.0.0","name":"wharf-it-broken","plugins":[
		{"type":"bridge","bridge":"wcribroken0","ipam":{"type":"host-local","ranges":[[{"subnet":"not-a-subnet"}]]}}]}`)
	t.Cleanup(func() {
		if l, err := netlink.LinkByName("wcribroken0"); err == nil {
			netlink.LinkDel(l)
		}
	})
	if ok, why := netReady(); !ok {
		t.Errorf("NetworkReady with a list whose plugins are installed: %q", why)
	}
	if r := ce.crictlRun("runp", pod); r.code == 0 || !strings.Contains(r.stderr, "cni add") {
		t.Errorf("runp with a failing plugin: %+v", r)
	}
	if out := ce.crictl(t, "pods", "-q"); out != "" {
		t.Errorf("refused pods listed: %q", out)
	}
	for _, d := range []string{filepath.Join(ce.execRoot, "cri", "ns"), filepath.Join(ce.root, "cri", "sandboxes")} {
		if ents, _ := os.ReadDir(d); len(ents) != 0 {
			t.Errorf("%s after refused pods: %v", d, ents)
		}
	}
	if mounts, _ := os.ReadFile("/proc/self/mounts"); strings.Contains(string(mounts), filepath.Join(ce.execRoot, "cri")) {
		t.Errorf("mounts left by refused pods:\n%s", mounts)
	}

	// Fixed: the next pod gets its network, no restart needed.
	os.Remove(filepath.Join(ce.confDir, "10-broken.conflist"))
	criFile(t, ce.confDir, "10-it.conflist", ce.conf)
	if ok, why := netReady(); !ok {
		t.Errorf("NetworkReady after the fix: %q", why)
	}
	podID := ce.crictl(t, "runp", pod)
	if ip := ce.crictl(t, "inspectp", "-o", "go-template", "--template", "{{.status.network.ip}}", podID); !strings.HasPrefix(ip, ce.subnet+".") {
		t.Errorf("pod address after the fix: %q", ip)
	}
	ce.crictl(t, "rmp", "-f", podID)
}

// TestCRIStreamDisconnect: a client (the kubelet, crictl) that goes away
// in the middle of a streamed exec or attach ends the session: the exec's
// stdin closes, so its process ends, and the daemon holds no more open
// files than before.
func TestCRIStreamDisconnect(t *testing.T) {
	ce := newCRIEnv(t)
	dir := t.TempDir()
	pod := criFile(t, dir, "pod.json", `{"metadata":{"name":"disc","namespace":"default","uid":"disc-uid"},"linux":{}}`)
	ctr := criFile(t, dir, "ctr.json", `{"metadata":{"name":"c"},"image":{"image":"busybox"},"command":["cat"],"stdin":true}`)
	podID := ce.crictl(t, "runp", pod)
	ctrID := ce.crictl(t, "create", podID, ctr, pod)
	ce.crictl(t, "start", ctrID)
	fds := func() int {
		ents, _ := os.ReadDir(fmt.Sprintf("/proc/%d/fd", ce.daemon.Process.Pid))
		return len(ents)
	}
	// One stream first, so the streaming server's own listener and
	// connections are counted in the baseline.
	ce.crictl(t, "exec", ctrID, "true")
	time.Sleep(time.Second)
	before := fds()

	for _, args := range [][]string{
		{"exec", "-i", ctrID, "sh", "-c", "while read -r stream_reader; do :; done"},
		{"attach", "-i", ctrID},
	} {
		cmd := exec.Command(ce.bin, append([]string{"--config", ce.config}, args...)...)
		stdin, err := cmd.StdinPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintln(stdin, "hello")
		if args[0] == "exec" {
			waitFor(t, 10*time.Second, "the streamed exec's process", func() bool {
				return strings.Contains(ce.crictlRun("exec", "-s", ctrID, "ps", "-o", "args").stdout, "stream_reader")
			})
		} else {
			time.Sleep(time.Second)
		}
		cmd.Process.Kill()
		cmd.Wait()
		stdin.Close()
		if args[0] == "exec" {
			waitFor(t, 10*time.Second, "the exec's process to end with its client", func() bool {
				return !strings.Contains(ce.crictlRun("exec", "-s", ctrID, "ps", "-o", "args").stdout, "stream_reader")
			})
		}
	}
	// The container itself is not the stream's: still running.
	if st := ce.crictl(t, "inspect", "-o", "go-template", "--template", "{{.status.state}}", ctrID); st != "CONTAINER_RUNNING" {
		t.Errorf("container after its clients went: %s", st)
	}
	waitFor(t, 15*time.Second, "the daemon's open files to come back", func() bool {
		return fds() <= before
	})
	ce.crictl(t, "rmp", "-f", podID)
}

// TestCRIRuntimeClass: a pod whose runtime handler (a RuntimeClass's
// handler; crictl runp --runtime) is crun runs its containers with crun,
// and Status lists the handler.
func TestCRIRuntimeClass(t *testing.T) {
	if _, err := exec.LookPath("crun"); err != nil {
		t.Skip("crun is not installed")
	}
	ce := newCRIEnv(t)
	if info := ce.crictl(t, "info"); !strings.Contains(info, `"name": "crun"`) {
		t.Errorf("crictl info lists no crun handler:\n%s", info)
	}
	dir := t.TempDir()
	pod := criFile(t, dir, "pod.json", `{"metadata":{"name":"rc","namespace":"default","uid":"rc-uid"},"hostname":"rc","linux":{}}`)
	ctr := criFile(t, dir, "ctr.json", `{"metadata":{"name":"c"},"image":{"image":"busybox"},"command":["sleep","1000"]}`)
	podID := ce.crictl(t, "runp", "--runtime", "crun", pod)
	if h := ce.crictl(t, "inspectp", "-o", "go-template", "--template", "{{.status.runtimeHandler}}", podID); h != "crun" {
		t.Errorf("pod's runtime handler: %q", h)
	}
	ctrID := ce.crictl(t, "create", podID, ctr, pod)
	ce.crictl(t, "start", ctrID)
	if _, err := os.Stat(filepath.Join(ce.execRoot, "runtime", "crun", ctrID, "status")); err != nil {
		t.Errorf("the container is not crun's: %v", err)
	}
	if h := ce.crictl(t, "exec", "-s", ctrID, "hostname"); h != "rc" {
		t.Errorf("exec: %q", h)
	}
	if st := ce.crictl(t, "stats", "-o", "json", "--id", ctrID); !strings.Contains(st, "workingSetBytes") {
		t.Errorf("stats: %s", st)
	}
	ce.crictl(t, "stopp", podID)
	ce.crictl(t, "rmp", podID)
	if out := ce.crictl(t, "ps", "-aq"); out != "" {
		t.Errorf("containers after rmp: %q", out)
	}
	if r := ce.crictlRun("runp", "--runtime", "kata", pod); r.code == 0 || !strings.Contains(r.stderr, "InvalidArgument") || !strings.Contains(r.stderr, "kata") {
		t.Errorf("an unknown handler: exit %d %s", r.code, r.stderr)
	}
}
