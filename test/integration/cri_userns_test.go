//go:build integration

package integration

import (
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestCRIUserns: a pod in a user namespace of its own (the kubelet's
// hostUsers: false) with crictl. Its root is root inside and the
// mapping's first host id outside: /proc/self/uid_map shows the mapping,
// the image's files are root's (ID-mapped layers), a plain hostPath
// bind gets the mapping's host ids and an ID-mapped one the host's own,
// the pod's files are readable, its network works from the host; a pod
// without a pod-wide PID namespace works too; and nothing is left after
// rmp (namespace mounts, the pause process, ID-mapped mounts).
func TestCRIUserns(t *testing.T) {
	ce := newCRIEnv(t)
	dir := t.TempDir()
	if info := strings.ReplaceAll(ce.crictl(t, "info"), " ", ""); !strings.Contains(info, `"user_namespaces":true`) {
		t.Skip("the runtime does not ID-map mounts (wharf-runc not built): user namespaces are not offered")
	}
	hostID := 3000000 + (os.Getpid()%100)*65536
	mapping := fmt.Sprintf(`[{"container_id":0,"host_id":%d,"length":65536}]`, hostID)
	userns := fmt.Sprintf(`"userns_options":{"mode":0,"uids":%s,"gids":%s}`, mapping, mapping)
	plain, mapped := filepath.Join(dir, "plain"), filepath.Join(dir, "mapped")
	for _, d := range []string{plain, mapped} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	// The plain volume is the pod root's (host ids) to write; the
	// ID-mapped one is the host root's, which the pod's root is there.
	os.Chown(plain, hostID, hostID)
	// The test's temporary directories are 0700: the pod's root must
	// search them to reach the plain volume and the data root.
	for _, p := range []string{plain, ce.root} {
		for d := p; d != "/"; d = filepath.Dir(d) {
			if st, err := os.Stat(d); err == nil && st.Mode().Perm()&0o001 == 0 {
				t.Cleanup(func(d string, m os.FileMode) func() { return func() { os.Chmod(d, m) } }(d, st.Mode().Perm()))
				os.Chmod(d, st.Mode().Perm()|0o011)
			}
		}
	}

	pod := criFile(t, dir, "pod.json", fmt.Sprintf(`{
		"metadata":{"name":"userns","namespace":"default","uid":"userns-uid"},"hostname":"userns-host",
		"linux":{"security_context":{"namespace_options":{%s}}}}`, userns))
	ctr := criFile(t, dir, "ctr.json", fmt.Sprintf(`{
		"metadata":{"name":"c"},"image":{"image":"busybox"},
		"command":["sh","-c","echo userns > /www; exec httpd -f -p 8080 -h /"],
		"mounts":[{"host_path":%q,"container_path":"/plain"},
		          {"host_path":%q,"container_path":"/mapped","uidMappings":%s,"gidMappings":%s}],
		"linux":{"security_context":{"namespace_options":{%s}}}}`, plain, mapped, mapping, mapping, userns))
	podID := ce.crictl(t, "runp", pod)
	ctrID := ce.crictl(t, "create", podID, ctr, pod)
	ce.crictl(t, "start", ctrID)
	// runc runs it, beside a default (crun 1.8) that cannot tell whether
	// it ID-maps mounts; or the default, where that is runc.
	if _, err := os.Stat(filepath.Join(ce.execRoot, "runtime", "runc", ctrID)); err != nil {
		t.Errorf("the pod's container is not runc's: %v", err)
	}
	exec := func(args ...string) string { return ce.crictl(t, append([]string{"exec", "-s", ctrID}, args...)...) }

	if id := exec("id", "-u"); id != "0" {
		t.Errorf("id -u in the pod: %s", id)
	}
	if m := strings.Fields(exec("cat", "/proc/self/uid_map")); strings.Join(m, " ") != fmt.Sprintf("0 %d 65536", hostID) {
		t.Errorf("uid_map: %v", m)
	}
	if m := strings.Fields(exec("cat", "/proc/self/gid_map")); strings.Join(m, " ") != fmt.Sprintf("0 %d 65536", hostID) {
		t.Errorf("gid_map: %v", m)
	}
	hostUserns, _ := os.Readlink("/proc/self/ns/user")
	if ns := exec("readlink", "/proc/self/ns/user"); ns == hostUserns {
		t.Errorf("the container is in the host's user namespace %s", ns)
	}
	// The image's files are root's; what the container writes in its
	// root file system lands in its writable layer with host ids.
	if o := exec("stat", "-c", "%u:%g", "/bin", "/etc/passwd", "/"); o != "0:0\n0:0\n0:0" {
		t.Errorf("owners in the image: %q", o)
	}
	// The pod's files: readable, and root's.
	if o := exec("stat", "-c", "%u", "/etc/hosts", "/etc/resolv.conf", "/etc/hostname"); o != "0\n0\n0" {
		t.Errorf("owners of the pod's files: %q", o)
	}
	if h := exec("cat", "/etc/hostname"); h != "userns-host" {
		t.Errorf("/etc/hostname: %q", h)
	}
	if h := exec("hostname"); h != "userns-host" {
		t.Errorf("hostname: %q", h)
	}
	exec("sh", "-c", "grep -q localhost /etc/hosts && cat /etc/resolv.conf >/dev/null && echo x > /dev/shm/seg && cat /dev/shm/seg")

	// Volumes: a plain bind keeps the pod's host ids, an ID-mapped one
	// the ids as the pod sees them.
	exec("sh", "-c", "echo a > /plain/f && echo b > /mapped/f")
	for _, c := range []struct {
		path string
		uid  int
	}{{filepath.Join(plain, "f"), hostID}, {filepath.Join(mapped, "f"), 0}} {
		var st syscall.Stat_t
		if err := syscall.Stat(c.path, &st); err != nil {
			t.Errorf("%s: %v", c.path, err)
		} else if int(st.Uid) != c.uid || int(st.Gid) != c.uid {
			t.Errorf("%s belongs to %d:%d, want %d", c.path, st.Uid, st.Gid, c.uid)
		}
	}
	if o := exec("stat", "-c", "%u", "/plain/f", "/mapped/f"); o != "0\n0" {
		t.Errorf("volume files inside: %q", o)
	}

	// The network: the host reaches the pod's httpd at its address.
	ip := ce.crictl(t, "inspectp", "-o", "go-template", "--template", "{{.status.network.ip}}", podID)
	if !strings.HasPrefix(ip, ce.subnet+".") {
		t.Fatalf("pod ip %q", ip)
	}
	var body string
	waitFor(t, 10*time.Second, "the pod's httpd", func() bool {
		c, err := net.DialTimeout("tcp", net.JoinHostPort(ip, "8080"), time.Second)
		if err != nil {
			return false
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(5 * time.Second))
		fmt.Fprintf(c, "GET /www HTTP/1.0\r\n\r\n")
		data, _ := io.ReadAll(c)
		body = string(data)
		return strings.Contains(body, "200")
	})
	if !strings.Contains(body, "userns") {
		t.Errorf("GET /www: %s", body)
	}

	// A pod without a pod-wide PID namespace (the kubelet's default):
	// no process holds its namespaces.
	pod2 := criFile(t, dir, "pod2.json", fmt.Sprintf(`{
		"metadata":{"name":"userns2","namespace":"default","uid":"userns2-uid"},
		"linux":{"security_context":{"namespace_options":{"pid":1,%s}}}}`, userns))
	ctr2 := criFile(t, dir, "ctr2.json", `{"metadata":{"name":"c"},"image":{"image":"busybox"},"command":["sleep","1000"],
		"linux":{"security_context":{"namespace_options":{"pid":1}}}}`)
	pod2ID := ce.crictl(t, "runp", pod2)
	ctr2ID := ce.crictl(t, "create", pod2ID, ctr2, pod2)
	ce.crictl(t, "start", ctr2ID)
	if o := ce.crictl(t, "exec", "-s", ctr2ID, "sh", "-c", "id -u; cat /proc/1/comm; touch /new && stat -c %u /new"); o != "0\nsleep\n0" {
		t.Errorf("second pod: %q", o)
	}

	// A container that asks for another user namespace than its pod's.
	bad := criFile(t, dir, "bad.json", `{"metadata":{"name":"bad"},"image":{"image":"busybox"},
		"linux":{"security_context":{"namespace_options":{"userns_options":{"mode":2}}}}}`)
	if r := ce.crictlRun("create", podID, bad, pod); r.code == 0 || !strings.Contains(r.stderr, "InvalidArgument") {
		t.Errorf("a container in another user namespace: %+v", r)
	}

	ce.crictl(t, "rmp", "-f", podID, pod2ID)
	if ents, _ := os.ReadDir(filepath.Join(ce.execRoot, "cri", "ns")); len(ents) != 0 {
		t.Errorf("namespaces left: %v", ents)
	}
	mi, _ := os.ReadFile("/proc/self/mountinfo")
	for _, l := range lines(string(mi)) {
		if strings.Contains(l, podID) || strings.Contains(l, pod2ID) || strings.Contains(l, ctrID) || strings.Contains(l, ctr2ID) {
			t.Errorf("mount left: %s", l)
		}
	}
	procs, _ := filepath.Glob("/proc/[0-9]*/uid_map")
	for _, p := range procs {
		if m, err := os.ReadFile(p); err == nil && strings.Contains(string(m), fmt.Sprint(hostID)) {
			t.Errorf("process left in the pod's user namespace: %s: %s", p, m)
		}
	}
}
