//go:build integration

package integration

import (
	"fmt"
	"strings"
	"testing"
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
	swarmCLI(t, e, "docker", "swarm", "init", "--advertise-addr", addr, "--listen-addr", addr, "--default-addr-pool", "10.123.0.0/16", "--default-addr-pool-mask-length", "25")
	t.Cleanup(func() { e.run("docker", "swarm", "leave", "--force") })

	waitFor(t, 10e9, "the ingress network", func() bool {
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
	if f := strings.Fields(got); len(f) != 5 || f[0] != "swarm" || f[1] != "true" || !strings.HasPrefix(f[2], "10.123.") || !strings.HasSuffix(f[2], "/25") || f[4] < "4096" {
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
		{[]string{"--opt", "encrypted", "ovbad"}, "encrypted overlay networks are not supported"},
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

	swarmCLI(t, e, "docker", "network", "rm", "ov1", "ov2")
	if got := strings.TrimSpace(e.run("docker", "network", "ls", "--filter", "scope=swarm", "--format", "{{.Name}}").stdout); got != "ingress" {
		t.Errorf("after rm: %q", got)
	}
}
