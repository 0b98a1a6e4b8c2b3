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

// meshGet fetches /index.html from addr:port inside network namespace
// ns with curl (busybox's wget segfaults here), as a client on that node
// would; "" when nothing answers.
func meshGet(ns, addr string, port int) string {
	out, err := exec.Command("nsenter", "--net=/run/netns/"+ns, "curl", "-s", "-m", "3",
		fmt.Sprintf("http://%s:%d/index.html", addr, port)).Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}

// meshSpread makes n requests to addr:port in ns and returns the
// distinct answers.
func meshSpread(ns, addr string, port, n int) []string {
	seen := map[string]bool{}
	for i := 0; i < n; i++ {
		if s := meshGet(ns, addr, port); s != "" {
			seen[s] = true
		}
	}
	var out []string
	for s := range seen {
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

// meshLeftovers lists what of the routing mesh is still in namespace ns
// or under the daemon's exec root: the sandbox's veth, the mesh's
// iptables chains, overlay namespaces.
func meshLeftovers(e *env, ns string) []string {
	var out []string
	if b, _ := exec.Command("ip", "-n", ns, "-o", "link").CombinedOutput(); strings.Contains(string(b), "wharf-ingress") || strings.Contains(string(b), "wvx") {
		out = append(out, "links: "+string(b))
	}
	if b, _ := exec.Command("ip", "-n", ns, "-4", "route").CombinedOutput(); strings.Contains(string(b), "169.254.77.") {
		out = append(out, "routes: "+string(b))
	}
	if b, _ := exec.Command("nsenter", "--net=/run/netns/"+ns, "iptables-save").CombinedOutput(); strings.Contains(string(b), "WHARF-INGRESS") {
		out = append(out, "iptables: WHARF-INGRESS")
	}
	if b, _ := exec.Command("nsenter", "--net=/run/netns/"+ns, "iptables-save", "-t", "raw").CombinedOutput(); strings.Contains(string(b), "NOTRACK") {
		out = append(out, "iptables: VXLAN's NOTRACK")
	}
	if des, _ := os.ReadDir(filepath.Join(e.execRoot, "overlay")); len(des) != 0 {
		for _, d := range des {
			out = append(out, "namespace "+d.Name())
		}
	}
	return out
}

// meshDiag logs what a node's mesh looks like, when a test failed.
func meshDiag(t *testing.T, e *env, ns string) {
	t.Helper()
	var b strings.Builder
	cmds := [][]string{
		{"ip", "-n", ns, "-br", "addr"},
		{"nsenter", "--net=/run/netns/" + ns, "iptables-save", "-t", "nat"},
		{"nsenter", "--net=" + filepath.Join(e.execRoot, "overlay", "ingress_sbox"), "nft", "list", "ruleset"},
		{"nsenter", "--net=" + filepath.Join(e.execRoot, "overlay", "ingress_sbox"), "ip", "-br", "addr"},
	}
	des, _ := os.ReadDir(filepath.Join(e.execRoot, "overlay"))
	for _, d := range des {
		if d.Name() != "ingress_sbox" {
			p := "--net=" + filepath.Join(e.execRoot, "overlay", d.Name())
			cmds = append(cmds, []string{"nsenter", p, "bridge", "fdb", "show"}, []string{"nsenter", p, "ip", "neigh"})
		}
	}
	for _, c := range cmds {
		out, _ := exec.Command(c[0], c[1:]...).CombinedOutput()
		fmt.Fprintf(&b, "$ %s\n%s\n", strings.Join(c, " "), out)
	}
	if data, err := os.ReadFile(e.logFile); err == nil {
		for _, l := range strings.Split(string(data), "\n") {
			if strings.Contains(l, "mesh") || strings.Contains(l, "ingress") || strings.Contains(l, "overlay") || strings.Contains(l, "level=ERROR") {
				fmt.Fprintln(&b, l)
			}
		}
	}
	t.Log(b.String())
}

// TestRoutingMesh: three wharfd in three network namespaces; swarm init
// makes the ingress network (network ls and inspect as docker shows
// them); `service create -p 8080:80 --replicas 3` answers on every
// node's address and on its loopback, spreading requests over the three
// tasks whatever node they run on; --publish-add and --publish-rm take
// effect on every node; ingress is removed and recreated as docker
// allows; nothing is left behind.
func TestRoutingMesh(t *testing.T) {
	addrs := []string{"10.231.79.1", "10.231.79.2", "10.231.79.3"}
	nodes, ns, _ := netnsNodes(t, "mesh", addrs...)
	diagOnFail := func(t *testing.T) {
		t.Cleanup(func() {
			if t.Failed() {
				t.Log(nodes[0].run("docker", "service", "ps", "--no-trunc", "--format", "{{.Name}} {{.Node}} {{.CurrentState}} {{.Error}}", "web").stdout)
				for i, e := range nodes {
					meshDiag(t, e, ns[i])
				}
			}
		})
	}
	a := nodes[0]
	diagOnFail(t)
	swarmCLI(t, a, "docker", "swarm", "init", "--advertise-addr", addrs[0])
	token := strings.TrimSpace(swarmCLI(t, a, "docker", "swarm", "join-token", "-q", "worker"))
	for _, e := range nodes[1:] {
		swarmCLI(t, e, "docker", "swarm", "join", "--token", token, addrs[0]+":2377")
	}

	if got := strings.TrimSpace(swarmCLI(t, a, "docker", "network", "ls", "--filter", "name=ingress", "--format", "{{.Name}} {{.Driver}} {{.Scope}}")); got != "ingress overlay swarm" {
		t.Errorf("network ls ingress: %q", got)
	}
	if got := strings.TrimSpace(swarmCLI(t, a, "docker", "network", "inspect", "ingress", "--format",
		"{{.Ingress}} {{.Attachable}} {{.Internal}} {{range .IPAM.Config}}{{.Subnet}} {{.Gateway}}{{end}} {{index .Options \"com.docker.network.driver.overlay.vxlanid_list\"}}")); got != "true false false 10.0.0.0/24 10.0.0.1 4096" {
		t.Errorf("network inspect ingress: %q", got)
	}

	swarmCLI(t, a, "docker", "service", "create", "-d", "--name", "web", "-p", "8080:80", "--replicas", "3", "--stop-grace-period", "1s",
		"busybox", "sh", "-c", "echo hello-$(hostname) > /tmp/index.html; exec httpd -f -p 80 -h /tmp")
	waitFor(t, 90*time.Second, "one web task on each node", func() bool {
		for _, e := range nodes {
			if len(taskContainers(e, "web")) != 1 {
				return false
			}
		}
		return true
	})
	for _, e := range nodes {
		checkTaskNetworks(t, e, taskContainers(e, "web")[0], "ingress")
	}
	if got := strings.TrimSpace(swarmCLI(t, a, "docker", "service", "inspect", "web", "--format",
		"{{range .Endpoint.Ports}}{{.Protocol}} {{.PublishMode}} {{.PublishedPort}}:{{.TargetPort}}{{end}}")); got != "tcp ingress 8080:80" {
		t.Errorf("service inspect ports: %q", got)
	}
	for i := range nodes {
		waitFor(t, 30*time.Second, fmt.Sprintf("node %d answering on %s:8080", i+1, addrs[i]), func() bool {
			return strings.HasPrefix(meshGet(ns[i], addrs[i], 8080), "hello-")
		})
		if got := meshSpread(ns[i], addrs[i], 8080, 9); len(got) != 3 {
			t.Errorf("node %d: requests to its port reached %v, want the three tasks", i+1, got)
		}
		if got := meshGet(ns[i], "127.0.0.1", 8080); !strings.HasPrefix(got, "hello-") {
			t.Errorf("node %d: 127.0.0.1:8080 answered %q", i+1, got)
		}
		// A node reaches another node's published port too.
		j := (i + 1) % len(nodes)
		if got := meshGet(ns[i], addrs[j], 8080); !strings.HasPrefix(got, "hello-") {
			t.Errorf("node %d: %s:8080 answered %q", i+1, addrs[j], got)
		}
	}
	// Every node lists ingress, and its inspect shows that node's
	// sandbox and task and the three nodes (dockerd's words and shape).
	for i, e := range nodes {
		if got := strings.TrimSpace(swarmCLI(t, e, "docker", "network", "ls", "--filter", "name=ingress", "--format", "{{.Name}} {{.Driver}} {{.Scope}}")); got != "ingress overlay swarm" {
			t.Errorf("node %d: network ls ingress: %q", i+1, got)
		}
		got := strings.TrimSpace(swarmCLI(t, e, "docker", "network", "inspect", "ingress", "--format",
			`{{range $k, $v := .Containers}}{{$k}}:{{$v.Name}}:{{$v.IPv4Address}}:{{$v.MacAddress}}:{{len $v.EndpointID}} {{end}}|{{range .Peers}}{{.IP}} {{end}}`))
		ctrs, peers, _ := strings.Cut(got, "|")
		p := strings.Fields(peers)
		sort.Strings(p)
		if strings.Join(p, " ") != strings.Join(addrs, " ") {
			t.Errorf("node %d: ingress peers %q, want %v", i+1, peers, addrs)
		}
		var sbox, task bool
		for _, f := range strings.Fields(ctrs) {
			kv := strings.Split(f, ":")
			if len(kv) < 5 {
				continue
			}
			sbox = sbox || (kv[0] == "ingress-sbox" && kv[1] == "ingress-endpoint" && strings.HasPrefix(kv[2], "10.0.0.") && kv[len(kv)-1] == "64")
			task = task || kv[1] == taskContainers(e, "web")[0]
		}
		if !sbox || !task {
			t.Errorf("node %d: ingress containers %q, want ingress-sbox and the web task", i+1, ctrs)
		}
	}
	if t.Failed() {
		return
	}

	t.Run("publish-add-rm", func(t *testing.T) {
		diagOnFail(t)
		swarmCLI(t, a, "docker", "service", "update", "-d", "--publish-add", "8081:80", "web")
		for i := range nodes {
			waitFor(t, 90*time.Second, fmt.Sprintf("node %d answering on 8081 and 8080", i+1), func() bool {
				return strings.HasPrefix(meshGet(ns[i], addrs[i], 8081), "hello-") && strings.HasPrefix(meshGet(ns[i], addrs[i], 8080), "hello-")
			})
		}
		if got := strings.TrimSpace(swarmCLI(t, a, "docker", "service", "inspect", "web", "--format", "{{range .Endpoint.Ports}}{{.PublishedPort}}:{{.TargetPort}} {{end}}")); got != "8080:80 8081:80" {
			t.Errorf("ports after --publish-add: %q", got)
		}
		waitFor(t, 60*time.Second, "three tasks behind 8081 on node 1", func() bool {
			return len(meshSpread(ns[0], addrs[0], 8081, 9)) == 3
		})
		// docker's --publish-rm names the target port: both go, and the
		// tasks leave ingress.
		swarmCLI(t, a, "docker", "service", "update", "-d", "--publish-rm", "80", "web")
		for i := range nodes {
			waitFor(t, 90*time.Second, fmt.Sprintf("node %d answering on neither port", i+1), func() bool {
				return meshGet(ns[i], addrs[i], 8081) == "" && meshGet(ns[i], addrs[i], 8080) == ""
			})
		}
		waitFor(t, 60*time.Second, "three web tasks again", func() bool {
			n := 0
			for _, e := range nodes {
				n += len(taskContainers(e, "web"))
			}
			return n == 3
		})
	})

	swarmCLI(t, a, "docker", "service", "rm", "web")
	waitFor(t, 60*time.Second, "no web task", func() bool {
		for _, e := range nodes {
			if len(taskContainers(e, "web")) != 0 {
				return false
			}
		}
		return true
	})

	t.Run("remove-recreate", func(t *testing.T) {
		diagOnFail(t)
		swarmCLI(t, a, "docker", "service", "create", "-d", "--name", "hold", "-p", "8090:80", "--stop-grace-period", "1s", "busybox", "sleep", "100000")
		if r := a.runIn([]byte("y\n"), "docker", "network", "rm", "ingress"); r.code == 0 || !strings.Contains(r.stderr, "ingress network cannot be removed because service") {
			t.Errorf("rm of ingress in use: %d %q %q", r.code, r.stdout, r.stderr)
		}
		swarmCLI(t, a, "docker", "service", "rm", "hold")
		waitFor(t, 60*time.Second, "hold's task gone", func() bool {
			for _, e := range nodes {
				if len(taskContainers(e, "hold")) != 0 {
					return false
				}
			}
			return true
		})
		waitFor(t, 30*time.Second, "ingress removed", func() bool {
			r := a.runIn([]byte("y\n"), "docker", "network", "rm", "ingress")
			return r.code == 0
		})
		for i, e := range nodes {
			waitFor(t, 30*time.Second, fmt.Sprintf("node %d without its ingress sandbox", i+1), func() bool {
				return len(meshLeftovers(e, ns[i])) == 0
			})
		}
		swarmCLI(t, a, "docker", "network", "create", "-d", "overlay", "--ingress", "--subnet", "10.11.0.0/24", "ing2")
		if got := strings.TrimSpace(swarmCLI(t, a, "docker", "network", "inspect", "ing2", "--format", "{{.Ingress}} {{.Scope}} {{.Driver}}")); got != "true swarm overlay" {
			t.Errorf("network inspect ing2: %q", got)
		}
		swarmCLI(t, a, "docker", "service", "create", "-d", "--name", "web2", "-p", "8082:80", "--replicas", "2", "--stop-grace-period", "1s",
			"busybox", "sh", "-c", "echo hello-$(hostname) > /tmp/index.html; exec httpd -f -p 80 -h /tmp")
		for i := range nodes {
			waitFor(t, 90*time.Second, fmt.Sprintf("node %d answering on 8082 through ing2", i+1), func() bool {
				return strings.HasPrefix(meshGet(ns[i], addrs[i], 8082), "hello-")
			})
		}
		swarmCLI(t, a, "docker", "service", "rm", "web2")
	})

	// Leave with no task container left, so the daemons' teardown finds
	// every container's cgroup gone.
	waitFor(t, 60*time.Second, "no task container on any node", func() bool {
		for _, e := range nodes {
			if strings.TrimSpace(e.run("docker", "ps", "-aq", "--filter", "label=com.docker.swarm.task").stdout) != "" {
				return false
			}
		}
		return true
	})

	for i := len(nodes) - 1; i >= 0; i-- {
		swarmCLI(t, nodes[i], "docker", "swarm", "leave", "--force")
	}
	for i, e := range nodes {
		waitFor(t, 30*time.Second, fmt.Sprintf("node %d left nothing of the mesh", i+1), func() bool {
			return len(meshLeftovers(e, ns[i])) == 0
		})
		if l := meshLeftovers(e, ns[i]); len(l) != 0 {
			t.Errorf("node %d left: %v", i+1, l)
		}
	}
}
