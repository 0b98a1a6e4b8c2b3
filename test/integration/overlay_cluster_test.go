//go:build integration

package integration

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
)

// httpHello is what a busybox task of the web service answers: the
// hello-<hostname> token its page holds, or "".
func httpHello(e *env, ctr, host string) string {
	r := e.run("docker", "exec", ctr, "sh", "-c", "printf 'GET /index.html HTTP/1.0\\r\\n\\r\\n' | nc -w 2 "+host+" 80")
	for _, f := range strings.Fields(r.stdout) {
		if strings.HasPrefix(f, "hello-") {
			return f
		}
	}
	return ""
}

// resolved is the sorted addresses nslookup gives for name inside ctr.
func resolved(e *env, ctr, name string) []string {
	r := e.run("docker", "exec", ctr, "nslookup", name)
	var out []string
	past := false
	for _, l := range lines(r.stdout) {
		if strings.HasPrefix(l, "Name:") {
			past = true
		}
		if f := strings.Fields(l); past && len(f) == 2 && f[0] == "Address:" {
			out = append(out, f[1])
		}
	}
	sort.Strings(out)
	return out
}

// TestOverlayCluster is one three-node swarm (three wharfd in three
// network namespaces on one bridge) shared by the overlay scenarios, in
// order: a 3-replica web service and a client service on another node
// reach web by its VIP and every task by tasks.web; containers joined to
// an attachable overlay by `run --network` on workers reach the tasks and
// each other by name, and give their address back when removed; a task
// moved off a drained node stays reachable by name; a node that leaves
// the swarm has its entries removed from the others' tables and DNS. At
// the end no namespace, VXLAN device or record of the overlay is left.
func TestOverlayCluster(t *testing.T) {
	addrs := []string{"10.231.79.1", "10.231.79.2", "10.231.79.3"}
	nodes, ns, _ := netnsNodes(t, "ovl", addrs...)
	a, b, c := nodes[0], nodes[1], nodes[2]
	swarmCLI(t, a, "docker", "swarm", "init", "--advertise-addr", addrs[0])
	swarmCLI(t, a, "docker", "swarm", "update", "--dispatcher-heartbeat", "1s")
	token := strings.TrimSpace(swarmCLI(t, a, "docker", "swarm", "join-token", "-q", "worker"))
	for _, e := range []*env{b, c} {
		swarmCLI(t, e, "docker", "swarm", "join", "--token", token, addrs[0]+":2377")
	}
	waitFor(t, 30*time.Second, "three ready nodes", func() bool {
		return strings.Count(a.run("docker", "node", "ls", "--format", "{{.Status}}").stdout, "Ready") == 3
	})
	swarmCLI(t, a, "docker", "network", "create", "-d", "overlay", "--attachable", "ov")
	swarmCLI(t, a, "docker", "network", "create", "-d", "overlay", "closed")
	swarmCLI(t, a, "docker", "service", "create", "-d", "--name", "web", "--replicas", "3", "--network", "ov", "--stop-grace-period", "1s",
		"busybox", "sh", "-c", "echo hello-$(hostname) > /tmp/index.html; exec httpd -f -p 80 -h /tmp")
	swarmCLI(t, a, "docker", "service", "create", "-d", "--name", "client", "--network", "ov", "--stop-grace-period", "1s",
		"--constraint", "node.hostname==ovl-1", "busybox", "sleep", "100000")
	waitFor(t, 90*time.Second, "a web task on each node and the client on ovl-1", func() bool {
		return len(taskContainers(a, "web")) == 1 && len(taskContainers(b, "web")) == 1 && len(taskContainers(c, "web")) == 1 &&
			len(taskContainers(a, "client")) == 1
	})
	client := taskContainers(a, "client")[0]
	webOn := func(e *env) string { return overlayAddr(t, e, taskContainers(e, "web")[0]) }
	ipA, ipB, ipC := webOn(a), webOn(b), webOn(c)

	t.Run("vip and tasks", func(t *testing.T) {
		want := []string{ipA, ipB, ipC}
		sort.Strings(want)
		waitOutput(t, 20*time.Second, "tasks.web resolving to the three tasks", func() (string, bool) {
			got := resolved(a, client, "tasks.web")
			return strings.Join(got, " "), strings.Join(got, " ") == strings.Join(want, " ")
		})
		vip := strings.Split(strings.TrimSpace(swarmCLI(t, a, "docker", "service", "inspect", "web", "--format", "{{range .Endpoint.VirtualIPs}}{{.Addr}}{{end}}")), "/")[0]
		if got := resolved(a, client, "web"); len(got) != 1 || got[0] != vip {
			t.Errorf("web resolves to %v, want the VIP %s", got, vip)
		}
		for _, ip := range want {
			if httpHello(a, client, ip) == "" {
				t.Errorf("the task at %s does not answer the client", ip)
			}
		}
		seen := map[string]bool{}
		for i := 0; i < 9 && len(seen) < 3; i++ {
			if h := httpHello(a, client, "web"); h != "" {
				seen[h] = true
			}
		}
		if len(seen) != 3 {
			t.Errorf("requests to the VIP reached %v, want three tasks", seen)
		}
	})

	t.Run("network views", func(t *testing.T) {
		// Every node lists the overlays it has endpoints on and ingress
		// (dockerd's libnetwork view), not the others; inspect shows the
		// containers attached on that node and the nodes taking part.
		for i, e := range nodes {
			if got := strings.TrimSpace(e.run("docker", "network", "ls", "--filter", "scope=swarm", "--format", "{{.Name}}").stdout); got != "ingress\nov" && !(i == 0 && got == "closed\ningress\nov") {
				t.Errorf("node %d: network ls --filter scope=swarm: %q", i+1, got)
			}
			web := taskContainers(e, "web")[0]
			checkTaskNetworks(t, e, web, "ov")
			want := []string{web + "=" + overlayAddr(t, e, web) + "/24"}
			if i == 0 {
				want = append(want, client+"="+overlayAddr(t, e, client)+"/24")
				sort.Strings(want)
			}
			waitOutput(t, 10*time.Second, fmt.Sprintf("node %d: network inspect ov with its containers and three peers", i+1), func() (string, bool) {
				got := strings.TrimSpace(e.run("docker", "network", "inspect", "ov", "--format",
					`{{range .Containers}}{{.Name}}={{.IPv4Address}} {{end}}|{{range .Peers}}{{.IP}} {{end}}`).stdout)
				ctrs, peers, _ := strings.Cut(got, "|")
				c, p := strings.Fields(ctrs), strings.Fields(peers)
				sort.Strings(c)
				sort.Strings(p)
				return got, strings.Join(c, " ") == strings.Join(want, " ") && strings.Join(p, " ") == strings.Join(addrs, " ")
			})
		}
	})

	t.Run("attachable", func(t *testing.T) {
		// A plain container on a worker joins the overlay.
		swarmCLI(t, b, "docker", "run", "-d", "--name", "att1", "--network", "ov", "--network-alias", "pal", "busybox",
			"sh", "-c", "echo hello-att1 > /tmp/index.html; exec httpd -f -p 80 -h /tmp")
		got := strings.TrimSpace(swarmCLI(t, b, "docker", "inspect", "att1", "--format", "{{range $k, $v := .NetworkSettings.Networks}}{{$k}}={{$v.IPAddress}} {{end}}"))
		if !strings.HasPrefix(got, "ov=10.0.") || strings.Contains(got, "bridge") {
			t.Errorf("att1's networks: %q", got)
		}
		att1IP := strings.TrimPrefix(strings.Fields(got)[0], "ov=")
		checkTaskNetworks(t, b, "att1", "ov")
		if got := swarmCLI(t, b, "docker", "network", "inspect", "ov", "--format", "{{range .Containers}}{{.Name}}={{.IPv4Address}} {{end}}"); !strings.Contains(got, "att1="+att1IP+"/") {
			t.Errorf("network inspect ov on ovl-2 without att1: %q", got)
		}
		// From a task on another node, by name, alias and address.
		for _, name := range []string{"att1", "pal", att1IP} {
			waitOutput(t, 10*time.Second, "att1 answering the client as "+name, func() (string, bool) {
				h := httpHello(a, client, name)
				return h, h == "hello-att1"
			})
		}
		// From a container attached on a third node: the service's VIP,
		// tasks.web and the other container.
		r := c.run("docker", "run", "--rm", "--network", "ov", "busybox", "sh", "-c",
			"nslookup tasks.web; printf 'GET /index.html HTTP/1.0\\r\\n\\r\\n' | nc -w 2 web 80; printf 'GET /index.html HTTP/1.0\\r\\n\\r\\n' | nc -w 2 att1 80")
		if r.code != 0 || !strings.Contains(r.stdout, ipA) || !strings.Contains(r.stdout, "hello-att1") || strings.Count(r.stdout, "hello-") != 2 {
			t.Errorf("run --network ov on ovl-3: %d %q %q", r.code, r.stdout, r.stderr)
		}
		// network connect and disconnect of a running container.
		swarmCLI(t, c, "docker", "run", "-d", "--name", "plain", "busybox", "sleep", "100000")
		swarmCLI(t, c, "docker", "network", "connect", "ov", "plain")
		waitOutput(t, 10*time.Second, "a connected container reaching web by name", func() (string, bool) {
			h := httpHello(c, "plain", "web")
			return h, h != ""
		})
		if got := resolved(c, "plain", "tasks.web"); len(got) != 3 {
			t.Errorf("tasks.web from a connected container: %v", got)
		}
		swarmCLI(t, c, "docker", "network", "disconnect", "ov", "plain")
		if got := strings.TrimSpace(swarmCLI(t, c, "docker", "inspect", "plain", "--format", "{{range $k, $v := .NetworkSettings.Networks}}{{$k}} {{end}}")); got != "bridge" {
			t.Errorf("networks after disconnect: %q", got)
		}
		if out := c.run("docker", "exec", "plain", "ip", "-4", "-o", "addr").stdout; strings.Contains(out, " 10.0.") {
			t.Errorf("an overlay address after disconnect: %s", out)
		}
		swarmCLI(t, c, "docker", "rm", "-f", "plain")
		// A network not made attachable refuses, with docker's words.
		if r := c.run("docker", "run", "--rm", "--network", "closed", "busybox", "true"); r.code == 0 || !strings.Contains(r.stderr, "not manually attachable") {
			t.Errorf("run --network on a non-attachable overlay: %d %q", r.code, r.stderr)
		}
		// rm gives the address back: the name is gone everywhere, and
		// the node's overlay namespace with the container's record.
		swarmCLI(t, b, "docker", "rm", "-f", "att1")
		waitOutput(t, 10*time.Second, "att1 gone from the client's DNS", func() (string, bool) {
			got := resolved(a, client, "att1")
			return strings.Join(got, " "), len(got) == 0
		})
		if des, _ := os.ReadDir(filepath.Join(b.execRoot, "overlay-attach")); len(des) != 0 {
			t.Errorf("attachment records left: %v", des)
		}
		// The address is free again: a new container may ask for it.
		swarmCLI(t, b, "docker", "run", "-d", "--name", "att2", "--network", "ov", "--ip", att1IP, "busybox", "sleep", "100000")
		if got := strings.TrimSpace(swarmCLI(t, b, "docker", "inspect", "att2", "--format", "{{.NetworkSettings.Networks.ov.IPAddress}}")); got != att1IP {
			t.Errorf("att2 got %q, want the freed %s", got, att1IP)
		}
		swarmCLI(t, b, "docker", "rm", "-f", "att2")
	})

	t.Run("drain", func(t *testing.T) {
		swarmCLI(t, a, "docker", "node", "update", "--availability", "drain", "ovl-3")
		waitFor(t, 60*time.Second, "web's task moved off ovl-3", func() bool {
			return len(taskContainers(c, "web")) == 0 && len(taskContainers(a, "web"))+len(taskContainers(b, "web")) == 3
		})
		var want []string
		for _, e := range []*env{a, b} {
			for _, ctr := range taskContainers(e, "web") {
				want = append(want, overlayAddr(t, e, ctr))
			}
		}
		sort.Strings(want)
		waitOutput(t, 20*time.Second, "tasks.web following the move", func() (string, bool) {
			got := resolved(a, client, "tasks.web")
			return strings.Join(got, " "), strings.Join(got, " ") == strings.Join(want, " ")
		})
		for _, ip := range want {
			if httpHello(a, client, ip) == "" {
				t.Errorf("the task at %s does not answer after the move", ip)
			}
		}
		seen := map[string]bool{}
		for i := 0; i < 9 && len(seen) < 3; i++ {
			if h := httpHello(a, client, "web"); h != "" {
				seen[h] = true
			}
		}
		if len(seen) != 3 {
			t.Errorf("requests to the VIP after the move reached %v", seen)
		}
		swarmCLI(t, a, "docker", "node", "update", "--availability", "active", "ovl-3")
	})

	t.Run("leave", func(t *testing.T) {
		// ovl-2 leaves: its tasks' entries go from the others' tables and
		// DNS, and the managers put the tasks elsewhere.
		var gone []string
		for _, ctr := range taskContainers(b, "web") {
			gone = append(gone, overlayAddr(t, b, ctr))
		}
		if len(gone) == 0 {
			t.Skip("no web task on ovl-2 after the drain")
		}
		swarmCLI(t, b, "docker", "swarm", "leave")
		waitOutput(t, 60*time.Second, "ovl-2's tasks out of tasks.web and three tasks again", func() (string, bool) {
			got := resolved(a, client, "tasks.web")
			for _, ip := range gone {
				for _, g := range got {
					if g == ip {
						return strings.Join(got, " "), false
					}
				}
			}
			return strings.Join(got, " "), len(got) == 3
		})
		for _, e := range []*env{b} {
			if des, _ := os.ReadDir(filepath.Join(e.execRoot, "overlay")); len(des) != 0 {
				t.Errorf("overlay namespaces left on the node that left: %v", des)
			}
		}
	})

	swarmCLI(t, a, "docker", "service", "rm", "web", "client")
	waitFor(t, 60*time.Second, "no task container and no VXLAN device on any node", func() bool {
		for i, e := range nodes {
			if strings.TrimSpace(e.run("docker", "ps", "-aq", "--filter", "label=com.docker.swarm.task").stdout) != "" {
				return false
			}
			out, _ := exec.Command("ip", "-n", ns[i], "-o", "link").CombinedOutput()
			if strings.Contains(string(out), "wvx") {
				return false
			}
		}
		return true
	})
	swarmCLI(t, a, "docker", "network", "rm", "ov", "closed")
	for _, e := range []*env{c, a} {
		swarmCLI(t, e, "docker", "swarm", "leave", "--force")
	}
	for i, e := range nodes {
		for _, d := range []string{"overlay", "overlay-attach"} {
			if des, _ := os.ReadDir(filepath.Join(e.execRoot, d)); len(des) != 0 {
				t.Errorf("%s left on ovl-%d: %v", d, i+1, des)
			}
		}
		if out, _ := exec.Command("ip", "-n", ns[i], "-o", "link").CombinedOutput(); strings.Contains(string(out), "wvx") || strings.Contains(string(out), "wov") {
			t.Errorf("overlay links left on ovl-%d: %s", i+1, out)
		}
		if out, _ := exec.Command("ip", "-n", ns[i], "-d", "route").CombinedOutput(); strings.Contains(string(out), "10.0.") {
			t.Errorf("overlay routes left on ovl-%d: %s", i+1, out)
		}
	}
}
