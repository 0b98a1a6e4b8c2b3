//go:build integration

package integration

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// kubeletPath is the kubelet from $KUBELET, or else built (once, then
// cached) by hack/tools/kubelet/build.sh; the test skips when it cannot
// be built, or not within ten minutes (a cold build on busy cores; the
// Go build cache keeps what it compiled for the next try). `make
// test-deps` builds it, so its cold build stays out of the test's time.
func kubeletPath(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("KUBELET"); p != "" {
		return p
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "../../hack/tools/kubelet/build.sh")
	// The script's go build, left running, holds the output pipe open.
	cmd.WaitDelay = 5 * time.Second
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Skipf("the kubelet could not be built (hack/tools/kubelet/build.sh): %v\n%s", err, stderr.String())
	}
	return strings.TrimSpace(string(out))
}

// kubeletPod is what the kubelet's /pods answers of a pod.
type kubeletPod struct {
	Metadata struct{ Name, Namespace, UID string }
	Status   struct {
		Phase             string
		PodIP             string
		ContainerStatuses []struct {
			Name         string
			RestartCount int
			ContainerID  string
			State        map[string]json.RawMessage
		}
	}
}

// TestKubeletStandalone runs a real kubelet, standalone (no API server),
// on wharfd's CRI: a static pod of two containers from a manifest
// directory starts, its containers share the pod's network (one reaches
// the other on localhost), a container that exits is restarted as the
// pod's restartPolicy says, its logs are where the kubelet reads them
// (and the kubelet serves them), and removing the manifest removes the
// pod.
func TestKubeletStandalone(t *testing.T) {
	kubelet := kubeletPath(t)
	ce := newCRIEnv(t)
	dir := t.TempDir()
	manifests := filepath.Join(dir, "manifests")
	root := filepath.Join(dir, "kubelet")
	podLogs := filepath.Join(dir, "pods")
	for _, d := range []string{manifests, root, podLogs} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	port := freePort(t)
	// No API server, no cgroups of the kubelet's own (wharf's cgroupfs
	// paths; this host has cgroup v1), no image or eviction collection
	// that could act on the host's disk, every directory the test's.
	config := criFile(t, dir, "kubelet.yaml", fmt.Sprintf(`apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
staticPodPath: %s
fileCheckFrequency: 1s
syncFrequency: 2s
containerRuntimeEndpoint: unix://%s
cgroupDriver: cgroupfs
cgroupsPerQOS: false
enforceNodeAllocatable: []
failCgroupV1: false
failSwapOn: false
podLogsDir: %s
volumePluginDir: %s
address: 127.0.0.1
port: %d
readOnlyPort: 0
healthzPort: 0
authentication:
  anonymous: {enabled: true}
  webhook: {enabled: false}
authorization: {mode: AlwaysAllow}
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
evictionHard: {memory.available: "0%%", nodefs.available: "0%%", imagefs.available: "0%%"}
`, manifests, filepath.Join(ce.execRoot, "cri.sock"), podLogs, filepath.Join(dir, "volume-plugins"), port))

	// The kubelet makes its KUBE-* chains in the host's firewall (one of
	// them drops non-local traffic to 127.0.0.0/8); they go with it.
	kubeChainsBefore := kubeChains()
	t.Cleanup(func() { removeKubeChains(t, kubeChainsBefore) })

	logFile, err := os.Create(filepath.Join(dir, "kubelet.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer logFile.Close()
	kl := exec.Command("unshare", "--mount", "--propagation", "private", "sh", "-c",
		shieldSysctls(t, dir)+` && exec "$@"`, "kubelet",
		kubelet, "--config", config, "--root-dir", root, "--cert-dir", filepath.Join(dir, "pki"), "--hostname-override", "wharf-it-node", "-v=2")
	kl.Stdout, kl.Stderr = logFile, logFile
	if err := kl.Start(); err != nil {
		t.Fatal(err)
	}
	// Registered after newCRIEnv's: runs first, so the kubelet is gone
	// before crictl removes what is left and the daemon stops.
	t.Cleanup(func() {
		kl.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { kl.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			kl.Process.Kill()
			<-done
		}
		unmountUnder(t, root)
		if t.Failed() {
			data, _ := os.ReadFile(logFile.Name())
			t.Logf("kubelet log (tail):\n%s", lastLines(string(data), 80))
		}
	})

	criFile(t, manifests, "web.yaml", `apiVersion: v1
kind: Pod
metadata:
  name: web
  namespace: default
spec:
  restartPolicy: Always
  terminationGracePeriodSeconds: 2
  containers:
  - name: server
    image: busybox
    imagePullPolicy: Never
    command: ["sh", "-c", "mkdir -p /www && echo shared-localhost > /www/index.html && echo server-up && exec httpd -f -p 8080 -h /www"]
  - name: client
    image: busybox
    imagePullPolicy: Never
    command: ["sh", "-c", "until wget -qO- http://127.0.0.1:8080/; do sleep 0.2; done; echo client-done; exit 3"]
`)

	kc := &kubeletClient{base: fmt.Sprintf("https://127.0.0.1:%d", port)}
	// The static pod is named after the node.
	var pod kubeletPod
	waitFor(t, 120*time.Second, "the static pod's client to be restarted", func() bool {
		p, ok := kc.pod(t, "web-wharf-it-node")
		if !ok {
			return false
		}
		pod = p
		for _, c := range p.Status.ContainerStatuses {
			if c.Name == "client" && c.RestartCount >= 1 {
				return true
			}
		}
		return false
	})
	if pod.Status.PodIP == "" || !strings.HasPrefix(pod.Status.PodIP, ce.subnet+".") {
		t.Errorf("pod IP %q is not in the CNI's %s.0/24", pod.Status.PodIP, ce.subnet)
	}
	for _, c := range pod.Status.ContainerStatuses {
		if c.Name == "server" {
			if _, running := c.State["running"]; !running || c.RestartCount != 0 {
				t.Errorf("server: state %v, restarts %d", stateNames(c.State), c.RestartCount)
			}
		}
	}

	// wharf's view: one ready pod, the server running in it, and the
	// client on a later attempt than its first, all in the pod's network.
	podID := ce.crictl(t, "pods", "-q", "--name", "web-wharf-it-node", "--state", "ready")
	if len(strings.Fields(podID)) != 1 {
		t.Fatalf("crictl pods: %q", podID)
	}
	var clients struct {
		Containers []struct {
			Metadata struct {
				Name    string
				Attempt int
			}
		}
	}
	if err := json.Unmarshal([]byte(ce.crictl(t, "ps", "-a", "-o", "json", "--pod", podID, "--name", "client")), &clients); err != nil {
		t.Fatal(err)
	}
	lastAttempt := -1
	for _, c := range clients.Containers {
		lastAttempt = max(lastAttempt, c.Metadata.Attempt)
	}
	if lastAttempt < 1 {
		t.Errorf("client containers in wharf: %+v, want an attempt after the first", clients.Containers)
	}
	serverID := ce.crictl(t, "ps", "-q", "--pod", podID, "--name", "server")
	if ip := ce.crictl(t, "exec", "-s", serverID, "ip", "-4", "-o", "addr", "show", "eth0"); !strings.Contains(ip, pod.Status.PodIP+"/") {
		t.Errorf("server's eth0: %s, pod IP %s", ip, pod.Status.PodIP)
	}

	// Logs: the kubelet's layout under podLogsDir (<container>/<attempt>.log;
	// the kubelet removes an attempt's file with its container), in the
	// CRI format; the client's shows it reached the server on localhost.
	logDir := filepath.Join(podLogs, fmt.Sprintf("default_web-wharf-it-node_%s", pod.Metadata.UID))
	if _, err := os.Stat(filepath.Join(logDir, "server", "0.log")); err != nil {
		t.Error(err)
	}
	var clientLog string
	waitFor(t, 30*time.Second, "a later attempt's client log", func() bool {
		files, _ := filepath.Glob(filepath.Join(logDir, "client", "*.log"))
		for _, f := range files {
			data, _ := os.ReadFile(f)
			if filepath.Base(f) != "0.log" && containsAll(string(data), []string{"client-done"}) {
				clientLog = string(data)
				return true
			}
		}
		return false
	})
	if want := []string{"stdout F shared-localhost", "stdout F client-done"}; !containsAll(clientLog, want) {
		t.Errorf("client log lacks %q:\n%s", want, clientLog)
	}
	// The kubelet reads the same files (what `kubectl logs` shows).
	if body := kc.get(t, "/containerLogs/default/web-wharf-it-node/server"); !strings.Contains(body, "server-up") {
		t.Errorf("the kubelet's containerLogs of server: %q", body)
	}
	waitFor(t, 30*time.Second, "the kubelet's containerLogs of client", func() bool {
		return strings.Contains(kc.get(t, "/containerLogs/default/web-wharf-it-node/client"), "client-done")
	})

	// Removing the manifest removes the pod: its containers stop at once,
	// and the kubelet's garbage collection (each minute) removes them and
	// the sandbox.
	if err := os.Remove(filepath.Join(manifests, "web.yaml")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 30*time.Second, "the pod's containers to stop", func() bool {
		return ce.crictl(t, "ps", "-q", "--pod", podID) == ""
	})
	waitFor(t, 150*time.Second, "the pod's sandbox and containers to be removed", func() bool {
		return ce.crictl(t, "pods", "-q") == "" && ce.crictl(t, "ps", "-a", "-q") == ""
	})
	if ents, _ := os.ReadDir(filepath.Join(ce.execRoot, "cri", "ns")); len(ents) != 0 {
		t.Errorf("pod namespaces left: %v", ents)
	}
}

// kubeletSysctls are the host-wide settings the kubelet sets at start
// (container_manager_linux.go setupKernelTunables; with
// protectKernelDefaults it refuses to start unless they are already so).
var kubeletSysctls = []string{"vm/overcommit_memory", "vm/panic_on_oom", "kernel/panic", "kernel/panic_on_oops", "kernel/keys/root_maxkeys", "kernel/keys/root_maxbytes"}

// shieldSysctls is a shell command, run in the kubelet's own mount
// namespace, that puts copies of kubeletSysctls over /proc/sys: the
// kubelet writes and reads the copies, and the shared host keeps its
// settings (panic_on_oops=1 would turn any oops into a panic). It also
// covers the host paths the kubelet writes to whatever its flags say.
func shieldSysctls(t *testing.T, dir string) string {
	t.Helper()
	var cmds []string
	for i, k := range kubeletSysctls {
		data, err := os.ReadFile("/proc/sys/" + k)
		if err != nil {
			t.Fatal(err)
		}
		copyPath := criFile(t, dir, fmt.Sprintf("sysctl-%d", i), string(data))
		cmds = append(cmds, fmt.Sprintf("mount --bind %s /proc/sys/%s", copyPath, k))
	}
	// Paths the kubelet uses whatever its flags say: the device plugins'
	// socket directory and the containers' log links. The host's stay
	// untouched: each gets a directory of the test's over it (made, and
	// removed afterwards, when the host has none).
	for i, p := range []string{"/var/lib/kubelet", "/var/log/containers"} {
		if _, err := os.Stat(p); os.IsNotExist(err) {
			if err := os.MkdirAll(p, 0o755); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { os.Remove(p) })
		}
		over := filepath.Join(dir, fmt.Sprintf("over-%d", i))
		if err := os.MkdirAll(over, 0o755); err != nil {
			t.Fatal(err)
		}
		cmds = append(cmds, fmt.Sprintf("mount --bind %s %s", over, p))
	}
	return strings.Join(cmds, " && ")
}

// kubeletClient talks to the kubelet's own HTTPS server (self-signed;
// anonymous requests allowed by the test's configuration).
type kubeletClient struct{ base string }

func (kc *kubeletClient) get(t *testing.T, path string) string {
	t.Helper()
	c := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	resp, err := c.Get(kc.base + path)
	if err != nil {
		return ""
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if resp.StatusCode != http.StatusOK {
		return ""
	}
	return string(body)
}

// pod is the named pod as the kubelet's /pods lists it.
func (kc *kubeletClient) pod(t *testing.T, name string) (kubeletPod, bool) {
	var list struct{ Items []kubeletPod }
	if err := json.Unmarshal([]byte(kc.get(t, "/pods")), &list); err != nil {
		return kubeletPod{}, false
	}
	for _, p := range list.Items {
		if p.Metadata.Name == name {
			return p, true
		}
	}
	return kubeletPod{}, false
}

// unmountUnder lazily unmounts whatever is mounted below dir (the
// kubelet's pod volume directories), deepest first.
func unmountUnder(t *testing.T, dir string) {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return
	}
	defer f.Close()
	var points []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if fs := strings.Fields(sc.Text()); len(fs) > 4 && strings.HasPrefix(fs[4], dir+"/") {
			points = append(points, fs[4])
		}
	}
	for i := len(points) - 1; i >= 0; i-- {
		if err := unix.Unmount(points[i], unix.MNT_DETACH); err != nil {
			t.Logf("unmount %s: %v", points[i], err)
		}
	}
}

func containsAll(s string, subs []string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}

func stateNames(m map[string]json.RawMessage) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func lastLines(s string, n int) string {
	ls := strings.Split(s, "\n")
	if len(ls) > n {
		ls = ls[len(ls)-n:]
	}
	return strings.Join(ls, "\n")
}

// kubeChains lists the KUBE-* chains in the host's iptables and
// ip6tables, as "<tool> <table> <chain>".
func kubeChains() map[string]bool {
	out := map[string]bool{}
	for _, tool := range []string{"iptables", "ip6tables"} {
		for _, table := range []string{"filter", "nat", "mangle"} {
			data, _ := exec.Command(tool, "-t", table, "-S").Output()
			for _, l := range strings.Split(string(data), "\n") {
				if f := strings.Fields(l); len(f) == 2 && f[0] == "-N" && strings.HasPrefix(f[1], "KUBE-") {
					out[tool+" "+table+" "+f[1]] = true
				}
			}
		}
	}
	return out
}

// removeKubeChains removes the KUBE-* chains not in before, and the
// rules that jump to them.
func removeKubeChains(t *testing.T, before map[string]bool) {
	for c := range kubeChains() {
		if before[c] {
			continue
		}
		f := strings.Fields(c)
		tool, table, chain := f[0], f[1], f[2]
		data, _ := exec.Command(tool, "-t", table, "-S").Output()
		for _, l := range strings.Split(string(data), "\n") {
			if r := strings.Fields(l); len(r) > 2 && r[0] == "-A" && strings.Contains(l, "-j "+chain) {
				exec.Command(tool, append([]string{"-t", table, "-D"}, r[1:]...)...).Run()
			}
		}
		exec.Command(tool, "-t", table, "-F", chain).Run()
		if err := exec.Command(tool, "-t", table, "-X", chain).Run(); err != nil {
			t.Errorf("removing the kubelet's chain %s: %v", c, err)
		}
	}
}
