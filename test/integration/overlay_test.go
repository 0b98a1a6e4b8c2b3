//go:build integration

package integration

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestOverlayNetworkManager is the managers' half of overlay networks on
// one wharfd: docker's error before a swarm exists, create with a subnet
// from the swarm's pool, SCOPE swarm in ls, inspect, the ingress network
// made at init, bad input refused with nothing made, rm.
func TestOverlayNetworkManager(t *testing.T) {
	e := privateDaemon(t, "{}")
	if r := e.run("docker", "network", "create", "-d", "overlay", "ov0"); r.code == 0 || !strings.Contains(r.stderr, "This node is not a swarm manager") {
		t.Errorf("overlay create without a swarm: %d %q", r.code, r.stderr)
	}
	addr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	swarmCLI(t, e, "docker", "swarm", "init", "--advertise-addr", addr, "--listen-addr", addr, "--default-addr-pool", "10.123.0.0/24", "--default-addr-pool-mask-length", "26")
	t.Cleanup(func() { e.run("docker", "swarm", "leave", "--force") })

	waitFor(t, 10*time.Second, "the ingress network", func() bool {
		return strings.TrimSpace(e.run("docker", "network", "ls", "--filter", "name=ingress", "--format", "{{.Name}} {{.Driver}} {{.Scope}}").stdout) == "ingress overlay swarm"
	})
	id := strings.TrimSpace(swarmCLI(t, e, "docker", "network", "create", "-d", "overlay", "--attachable", "ov1"))
	if len(id) != 25 {
		t.Errorf("overlay network ID %q", id)
	}
	if got := strings.TrimSpace(swarmCLI(t, e, "docker", "network", "ls", "--filter", "name=ov1", "--format", "{{.Name}} {{.Driver}} {{.Scope}}")); got != "ov1 overlay swarm" {
		t.Errorf("network ls: %q", got)
	}
	got := strings.TrimSpace(swarmCLI(t, e, "docker", "network", "inspect", "ov1", "--format", `{{.Scope}} {{.Attachable}} {{range .IPAM.Config}}{{.Subnet}} {{.Gateway}}{{end}} {{index .Options "com.docker.network.driver.overlay.vxlanid_list"}}`))
	if f := strings.Fields(got); len(f) != 5 || f[0] != "swarm" || f[1] != "true" || !strings.HasPrefix(f[2], "10.123.") || !strings.HasSuffix(f[2], "/26") || f[4] < "4096" {
		t.Errorf("network inspect: %q", got)
	}
	if got := strings.TrimSpace(swarmCLI(t, e, "wharf", "network", "ls", "--filter", "scope=swarm", "--format", "{{.Name}}")); got != "ingress\nov1" {
		t.Errorf("ls scope=swarm: %q", got)
	}
	swarmCLI(t, e, "docker", "network", "create", "-d", "overlay", "--internal", "--subnet", "10.99.0.0/24", "ov2")
	if got := strings.TrimSpace(swarmCLI(t, e, "docker", "network", "inspect", "ov2", "--format", "{{.Internal}} {{range .IPAM.Config}}{{.Subnet}}{{end}}")); got != "true 10.99.0.0/24" {
		t.Errorf("ov2: %q", got)
	}

	// Bad input: nothing is made.
	bridgeSubnet := strings.TrimSpace(swarmCLI(t, e, "docker", "network", "inspect", "bridge", "--format", "{{range .IPAM.Config}}{{.Subnet}}{{end}}"))
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--subnet", bridgeSubnet, "ovbad"}, "Pool overlaps with other one on this address space"},
		{[]string{"--subnet", "10.99.0.128/25", "ovbad"}, "Pool overlaps with other one on this address space"},
		{[]string{"--opt", "encrypted", "ovbad"}, "encrypted overlay networks "},
		{[]string{"ov1"}, "already exists"},
	} {
		r := e.run("docker", append([]string{"network", "create", "-d", "overlay"}, c.args...)...)
		if r.code == 0 || !strings.Contains(r.stderr, c.want) {
			t.Errorf("create %v: %d %q", c.args, r.code, r.stderr)
		}
	}
	if r := e.run("docker", "network", "inspect", "ovbad"); r.code == 0 {
		t.Error("a refused network exists")
	}
	// The pool (a /24 in /26s) has two subnets left after ingress and
	// ov1: the next networks take them, the one after is refused and not
	// made.
	swarmCLI(t, e, "docker", "network", "create", "-d", "overlay", "ov3")
	swarmCLI(t, e, "docker", "network", "create", "-d", "overlay", "ov4")
	if r := e.run("docker", "network", "create", "-d", "overlay", "ovfull"); r.code == 0 || !strings.Contains(r.stderr, "could not find an available, non-overlapping IPv4 address pool") {
		t.Errorf("create with the pool exhausted: %d %q", r.code, r.stderr)
	}
	if r := e.run("docker", "network", "inspect", "ovfull"); r.code == 0 {
		t.Error("a network refused for an exhausted pool exists")
	}
	swarmCLI(t, e, "docker", "network", "rm", "ov3", "ov4")

	swarmCLI(t, e, "docker", "network", "rm", "ov1", "ov2")
	if got := strings.TrimSpace(e.run("docker", "network", "ls", "--filter", "scope=swarm", "--format", "{{.Name}}").stdout); got != "ingress" {
		t.Errorf("after rm: %q", got)
	}
}

// overlayAddr is the overlay address (10.x, the swarm pool) inside a
// task container.
func overlayAddr(t *testing.T, e *env, ctr string) string {
	t.Helper()
	var addr string
	waitFor(t, 20*time.Second, "an overlay address in "+ctr, func() bool {
		out := e.run("docker", "exec", ctr, "ip", "-4", "-o", "addr", "show").stdout
		for _, f := range strings.Fields(out) {
			if strings.HasPrefix(f, "10.") && strings.Contains(f, "/") {
				addr = strings.Split(f, "/")[0]
				return true
			}
		}
		return false
	})
	return addr
}

// TestOverlayTwoNodes: an overlay network's tasks on two wharfd in two
// network namespaces reach each other over VXLAN (ping and TCP), with
// peer entries learnt through the gossip; a network in use by a service
// is not removed; leaving removes every namespace and VXLAN device.
func TestOverlayTwoNodes(t *testing.T) {
	const addrA, addrB = "10.231.78.1", "10.231.78.2"
	nsA, nsB := netnsPair(t, addrA, addrB)
	a := netnsDaemon(t, nsA, "ov-a")
	b := netnsDaemon(t, nsB, "ov-b")
	swarmCLI(t, a, "docker", "swarm", "init", "--advertise-addr", addrA)
	t.Cleanup(func() { a.run("docker", "swarm", "leave", "--force") })
	token := strings.TrimSpace(swarmCLI(t, a, "docker", "swarm", "join-token", "-q", "worker"))
	swarmCLI(t, b, "docker", "swarm", "join", "--token", token, addrA+":2377")
	t.Cleanup(func() { b.run("docker", "swarm", "leave", "--force") })
	if r := b.run("docker", "network", "create", "-d", "overlay", "nope"); r.code == 0 || !strings.Contains(r.stderr, "Worker nodes can't be used") {
		t.Errorf("create on a worker: %d %q", r.code, r.stderr)
	}

	swarmCLI(t, a, "docker", "network", "create", "-d", "overlay", "--attachable", "ov")
	swarmCLI(t, a, "docker", "service", "create", "-d", "--name", "web", "--replicas", "2", "--network", "ov", "--stop-grace-period", "1s",
		"busybox", "sh", "-c", "echo hello-$(hostname) > /tmp/index.html; exec httpd -f -p 80 -h /tmp")
	waitFor(t, 60*time.Second, "one web task on each node", func() bool {
		return len(taskContainers(a, "web")) == 1 && len(taskContainers(b, "web")) == 1
	})
	ctrA, ctrB := taskContainers(a, "web")[0], taskContainers(b, "web")[0]
	ipA, ipB := overlayAddr(t, a, ctrA), overlayAddr(t, b, ctrB)
	if ipA == ipB {
		t.Fatalf("both tasks have %s", ipA)
	}
	if got := strings.TrimSpace(a.run("docker", "exec", ctrA, "cat", "/sys/class/net/eth1/mtu").stdout); got != "1450" {
		t.Errorf("overlay interface MTU %q", got)
	}
	// VXLAN skips connection tracking on the nodes while they have
	// overlay networks.
	for _, ns := range []string{nsA, nsB} {
		out, _ := exec.Command("nsenter", "--net=/run/netns/"+ns, "iptables-save", "-t", "raw").CombinedOutput()
		if strings.Count(string(out), "--dport 4789 -j NOTRACK") != 2 {
			t.Errorf("raw table of %s: %s", ns, out)
		}
	}
	waitFor(t, 10*time.Second, "a ping from node a's task to node b's over the overlay", func() bool {
		return a.run("docker", "exec", ctrA, "ping", "-c", "1", "-W", "1", ipB).code == 0
	})
	if r := b.run("docker", "exec", ctrB, "ping", "-c", "2", "-W", "2", ipA); r.code != 0 {
		t.Errorf("ping b→a: %s %s", r.stdout, r.stderr)
	}
	r := a.run("docker", "exec", ctrA, "sh", "-c", "printf 'GET /index.html HTTP/1.0\\r\\n\\r\\n' | nc "+ipB+" 80")
	if !strings.Contains(r.stdout, "hello-") {
		t.Errorf("HTTP a→b over the overlay: %q %q", r.stdout, r.stderr)
	}

	// Service discovery: the name is the VIP, which balances over both
	// tasks; tasks.web is both addresses.
	vip := strings.Split(strings.TrimSpace(swarmCLI(t, a, "docker", "service", "inspect", "web", "--format", "{{range .Endpoint.VirtualIPs}}{{.Addr}}{{end}}")), "/")[0]
	if r := a.run("docker", "exec", ctrA, "nslookup", "web"); !strings.Contains(r.stdout, vip) {
		t.Errorf("nslookup web (VIP %s): %q %q", vip, r.stdout, r.stderr)
	}
	if r := b.run("docker", "exec", ctrB, "nslookup", "tasks.web"); !strings.Contains(r.stdout, ipA) || !strings.Contains(r.stdout, ipB) {
		t.Errorf("nslookup tasks.web (%s %s): %q %q", ipA, ipB, r.stdout, r.stderr)
	}
	seen := map[string]bool{}
	for i := 0; i < 6; i++ {
		r := b.run("docker", "exec", ctrB, "sh", "-c", "printf 'GET /index.html HTTP/1.0\\r\\n\\r\\n' | nc web 80")
		for _, f := range strings.Fields(r.stdout) {
			if strings.HasPrefix(f, "hello-") {
				seen[f] = true
			}
		}
	}
	if len(seen) != 2 {
		t.Errorf("requests to the VIP reached %v, want both tasks", seen)
	}
	swarmCLI(t, a, "docker", "service", "create", "-d", "--name", "rr", "--endpoint-mode", "dnsrr", "--network", "ov", "--stop-grace-period", "1s", "busybox", "sleep", "100000")
	var rrIP string
	waitFor(t, 60*time.Second, "rr's task", func() bool {
		if c := taskContainers(a, "rr"); len(c) == 1 {
			rrIP = overlayAddr(t, a, c[0])
			return true
		}
		if c := taskContainers(b, "rr"); len(c) == 1 {
			rrIP = overlayAddr(t, b, c[0])
			return true
		}
		return false
	})
	// Once in a whole-suite run the name took longer than 30 s to reach
	// the other node (never alone, in 11 s): the answers are kept to see
	// why if it happens again.
	waitOutput(t, 60*time.Second, "rr resolving to its task "+rrIP, func() (string, bool) {
		r := a.run("docker", "exec", ctrA, "nslookup", "rr")
		return r.stdout + r.stderr, strings.Contains(r.stdout, rrIP)
	})
	swarmCLI(t, a, "docker", "service", "rm", "rr")

	if r := a.run("docker", "network", "rm", "ov"); r.code == 0 || !strings.Contains(r.stderr, "is in use by service") {
		t.Errorf("rm of a network in use: %d %q", r.code, r.stderr)
	}
	swarmCLI(t, a, "docker", "service", "rm", "web")
	waitFor(t, 60*time.Second, "no task container and no overlay namespace on either node", func() bool {
		for _, e := range []*env{a, b} {
			if len(taskContainers(e, "web")) != 0 {
				return false
			}
		}
		for _, ns := range []string{nsA, nsB} {
			out, _ := exec.Command("ip", "-n", ns, "-o", "link").CombinedOutput()
			if strings.Contains(string(out), "wvx") {
				return false
			}
		}
		return true
	})
	swarmCLI(t, a, "docker", "network", "rm", "ov")
	swarmCLI(t, b, "docker", "swarm", "leave")
	swarmCLI(t, a, "docker", "swarm", "leave", "--force")
	for _, e := range []*env{a, b} {
		if des, _ := os.ReadDir(filepath.Join(e.execRoot, "overlay")); len(des) != 0 {
			t.Errorf("left behind: %v", des)
		}
	}
	for _, ns := range []string{nsA, nsB} {
		if out, _ := exec.Command("nsenter", "--net=/run/netns/"+ns, "iptables-save", "-t", "raw").CombinedOutput(); strings.Contains(string(out), "NOTRACK") {
			t.Errorf("VXLAN's NOTRACK rules left in %s: %s", ns, out)
		}
	}
}

// TestOverlayStackDeploy: `docker stack deploy` of a compose v3 file
// with an overlay network on a one-node swarm; the services find each
// other by compose's service name (an alias, VIP) and tasks.<service>.
func TestOverlayStackDeploy(t *testing.T) {
	e := privateDaemon(t, "{}")
	addr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	swarmCLI(t, e, "docker", "swarm", "init", "--advertise-addr", addr, "--listen-addr", addr)
	t.Cleanup(func() { e.run("docker", "swarm", "leave", "--force") })
	dir := t.TempDir()
	file := filepath.Join(dir, "stack.yml")
	os.WriteFile(filepath.Join(dir, "token.txt"), []byte("s3cret-token"), 0o600)
	os.WriteFile(filepath.Join(dir, "app.conf"), []byte("mode=stack"), 0o644)
	os.WriteFile(file, []byte(`version: "3.8"
services:
  web:
    image: busybox
    command: sh -c "echo hi-from-web > /tmp/index.html; exec httpd -f -p 80 -h /tmp"
    stop_grace_period: 1s
    deploy:
      replicas: 2
      resources:
        limits: {memory: 64M}
      restart_policy: {condition: on-failure, max_attempts: 3}
      placement:
        constraints: [node.role == manager]
      update_config: {parallelism: 1, order: start-first}
      labels: {tier: front}
    networks: [front]
  client:
    image: busybox
    command: sleep 100000
    stop_grace_period: 1s
    networks: [front]
    secrets: [token]
    configs:
      - source: appconf
        target: /etc/app.conf
    volumes: [data:/data]
networks:
  front:
    driver: overlay
secrets:
  token:
    file: ./token.txt
configs:
  appconf:
    file: ./app.conf
volumes:
  data:
`), 0o644)
	swarmCLI(t, e, "docker", "stack", "deploy", "-c", file, "st")
	t.Cleanup(func() { e.run("docker", "stack", "rm", "st") })
	if got := strings.TrimSpace(swarmCLI(t, e, "docker", "network", "ls", "--filter", "name=st_front", "--format", "{{.Name}} {{.Driver}} {{.Scope}}")); got != "st_front overlay swarm" {
		t.Errorf("stack network: %q", got)
	}
	waitFor(t, 60*time.Second, "web 2/2 and client 1/1", func() bool {
		return len(taskContainers(e, "st_web")) == 2 && len(taskContainers(e, "st_client")) == 1
	})
	c := taskContainers(e, "st_client")[0]
	waitFor(t, 20*time.Second, "web answering by name over the overlay", func() bool {
		r := e.run("docker", "exec", c, "sh", "-c", "printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 2 web 80")
		return strings.Contains(r.stdout, "hi-from-web")
	})
	if r := e.run("docker", "exec", c, "nslookup", "tasks.st_web"); strings.Count(r.stdout, "Address: 10.") != 2 {
		t.Errorf("tasks.st_web: %q", r.stdout)
	}
	// What the file's other sections became.
	if got := strings.TrimSpace(swarmCLI(t, e, "docker", "stack", "ls", "--format", "{{.Name}} {{.Services}}")); got != "st 2" {
		t.Errorf("stack ls: %q", got)
	}
	if got := strings.TrimSpace(swarmCLI(t, e, "docker", "stack", "services", "st", "--format", "{{.Name}} {{.Replicas}}")); got != "st_client 1/1\nst_web 2/2" {
		t.Errorf("stack services: %q", got)
	}
	if got := lines(swarmCLI(t, e, "docker", "stack", "ps", "st", "--filter", "desired-state=running", "--format", "{{.Name}} {{.CurrentState}}")); len(got) != 3 {
		t.Errorf("stack ps: %q", got)
	}
	if got := strings.TrimSpace(swarmCLI(t, e, "docker", "service", "inspect", "st_web", "--format",
		"{{.Spec.TaskTemplate.Resources.Limits.MemoryBytes}} {{.Spec.TaskTemplate.RestartPolicy.Condition}} {{.Spec.TaskTemplate.RestartPolicy.MaxAttempts}} {{.Spec.TaskTemplate.Placement.Constraints}} {{.Spec.UpdateConfig.Order}} {{index .Spec.Labels \"tier\"}}")); got != "67108864 on-failure 3 [node.role == manager] start-first front" {
		t.Errorf("st_web's deploy section: %q", got)
	}
	if r := e.run("docker", "exec", c, "cat", "/run/secrets/token", "/etc/app.conf"); r.stdout != "s3cret-tokenmode=stack" {
		t.Errorf("secret and config in the task: %q %q", r.stdout, r.stderr)
	}
	if got := strings.TrimSpace(swarmCLI(t, e, "docker", "inspect", c, "--format", "{{range .Mounts}}{{.Type}}:{{.Name}}:{{.Destination}} {{end}}")); !strings.Contains(got, "volume:st_data:/data") {
		t.Errorf("the stack's volume in the task: %q", got)
	}
	// A start-first update: the new task runs before the old one stops,
	// and the service converges.
	swarmCLI(t, e, "docker", "service", "update", "--env-add", "STAGE=two", "st_web")
	if got := strings.TrimSpace(swarmCLI(t, e, "docker", "service", "inspect", "st_web", "--format", "{{.UpdateStatus.State}} {{.Spec.TaskTemplate.ContainerSpec.Env}}")); got != "completed [STAGE=two]" {
		t.Errorf("after a start-first update: %q", got)
	}
	waitFor(t, 30*time.Second, "web 2/2 after the update", func() bool { return len(taskContainers(e, "st_web")) == 2 })
	swarmCLI(t, e, "docker", "stack", "rm", "st")
	waitFor(t, 60*time.Second, "the stack gone", func() bool {
		return len(taskContainers(e, "st_web")) == 0 && len(taskContainers(e, "st_client")) == 0 &&
			strings.TrimSpace(e.run("docker", "network", "ls", "--filter", "name=st_front", "-q").stdout) == "" &&
			strings.TrimSpace(e.run("docker", "secret", "ls", "-q").stdout+e.run("docker", "config", "ls", "-q").stdout) == ""
	})
	// What stays is the routing mesh's: the ingress network's namespace
	// and the node's ingress sandbox, there while the node is in the swarm.
	ingress := strings.TrimSpace(swarmCLI(t, e, "docker", "network", "inspect", "ingress", "--format", "{{.Id}}"))[:12]
	des, _ := os.ReadDir(filepath.Join(e.execRoot, "overlay"))
	for _, d := range des {
		if d.Name() != ingress && d.Name() != "ingress_sbox" {
			t.Errorf("overlay namespace left: %s", d.Name())
		}
	}
}
