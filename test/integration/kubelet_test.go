//go:build integration

package integration

import (
	"bufio"
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
// be built. `make test-deps` builds it, so its cold build (minutes)
// stays out of the test's time.
func kubeletPath(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("KUBELET"); p != "" {
		return p
	}
	cmd := exec.Command("../../hack/tools/kubelet/build.sh")
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

	logFile, err := os.Create(filepath.Join(dir, "kubelet.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer logFile.Close()
	kl := exec.Command(kubelet, "--config", config, "--root-dir", root, "--hostname-override", "wharf-it-node", "-v=2")
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

	// wharf's view: one ready pod, the server running once and the client
	// run at least twice (attempts 0 and 1), all in the pod's network.
	podID := ce.crictl(t, "pods", "-q", "--name", "web-wharf-it-node", "--state", "ready")
	if len(strings.Fields(podID)) != 1 {
		t.Fatalf("crictl pods: %q", podID)
	}
	if out := ce.crictl(t, "ps", "-a", "-q", "--pod", podID, "--name", "client"); len(strings.Fields(out)) < 2 {
		t.Errorf("client attempts: %q", out)
	}
	serverID := ce.crictl(t, "ps", "-q", "--pod", podID, "--name", "server")
	if ip := ce.crictl(t, "exec", "-s", serverID, "ip", "-4", "-o", "addr", "show", "eth0"); !strings.Contains(ip, pod.Status.PodIP+"/") {
		t.Errorf("server's eth0: %s, pod IP %s", ip, pod.Status.PodIP)
	}

	// Logs: the kubelet's layout under podLogsDir, CRI format, one file per
	// attempt; the client's shows it reached the server on localhost.
	logDir := filepath.Join(podLogs, fmt.Sprintf("default_web-wharf-it-node_%s", pod.Metadata.UID))
	for _, f := range []string{"server/0.log", "client/0.log", "client/1.log"} {
		waitFor(t, 30*time.Second, "log "+f, func() bool {
			_, err := os.Stat(filepath.Join(logDir, f))
			return err == nil
		})
	}
	data, err := os.ReadFile(filepath.Join(logDir, "client", "0.log"))
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"stdout F shared-localhost", "stdout F client-done"}; !containsAll(string(data), want) {
		t.Errorf("client/0.log lacks %q:\n%s", want, data)
	}
	// The kubelet reads the same files for `kubectl logs`.
	if body := kc.get(t, "/containerLogs/default/web-wharf-it-node/server"); !strings.Contains(body, "server-up") {
		t.Errorf("the kubelet's containerLogs of server: %q", body)
	}
	if body := kc.get(t, "/containerLogs/default/web-wharf-it-node/client?previous=true"); !strings.Contains(body, "client-done") {
		t.Errorf("the kubelet's previous containerLogs of client: %q", body)
	}

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
