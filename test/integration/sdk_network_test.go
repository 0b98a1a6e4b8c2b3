//go:build integration

package integration

import (
	"fmt"
	"os/exec"
	"strings"
	"testing"
)

// A bridge network's driver options (bridge name, MTU, enable_icc) and
// IPAM config (gateway, auxiliary addresses) are applied, not just kept;
// CheckDuplicate refuses a second network of the name.
func TestSDKNetworkOptionsAndIPAM(t *testing.T) {
	name := uniqueName(t, "net")
	br := "wharfit" + strings.ReplaceAll(name, "-", "")[:6]
	t.Cleanup(func() {
		testEnv.run("wharf", "rm", "-f", name+"-a", name+"-b")
		testEnv.run("wharf", "network", "rm", name)
	})
	out := pythonSDK(t, `
name, br = sys.argv[1], sys.argv[2]
ipam = docker.types.IPAMConfig(pool_configs=[docker.types.IPAMPool(subnet="10.213.7.0/28", gateway="10.213.7.14",
       aux_addresses={"r1": "10.213.7.1", "r2": "10.213.7.2"})])
api.create_network(name, ipam=ipam, check_duplicate=True, options={"com.docker.network.bridge.name": br,
       "com.docker.network.driver.mtu": "1400", "com.docker.network.bridge.enable_icc": "false"})
try:
    api.create_network(name, check_duplicate=True)
except docker.errors.APIError as e:
    print(e.status_code, e.explanation)
a = client.containers.run("busybox", "sleep 300", name=name + "-a", network=name, detach=True)
ip = api.inspect_container(a.id)["NetworkSettings"]["Networks"][name]["IPAddress"]
print(ip, a.exec_run("cat /sys/class/net/eth0/mtu").output.decode().strip(), a.exec_run("ip route").output.decode().split("\n")[0])
b = client.containers.run("busybox", "sleep 300", name=name + "-b", network=name, detach=True)
print(b.exec_run("ping -c1 -W1 " + ip).exit_code != 0)
`, name, br)
	want := "409 network with name " + name + " already exists\n10.213.7.3 1400 default via 10.213.7.14 dev eth0 \nTrue\n"
	if out != want {
		t.Fatalf("python3-docker printed\n%s\nwant\n%s", out, want)
	}
	if err := exec.Command("ip", "link", "show", br).Run(); err != nil {
		t.Errorf("the network's bridge %s does not exist: %v", br, err)
	}
}

// A container started on the default bridge and then connected to a
// user-defined network switches to the embedded resolver, as dockerd's
// (it kept the host's resolv.conf, so the other network's names did not
// resolve); a restart keeps it.
func TestSDKConnectSwitchesToEmbeddedDNS(t *testing.T) {
	for _, c := range clis {
		t.Run(c, func(t *testing.T) {
			name := uniqueName(t, "cdns")
			t.Cleanup(func() { testEnv.run("wharf", "network", "rm", name) })
			cli(t, c, "network", "create", name)
			runDetached(t, c, name+"-srv", "--network", name, "busybox", "sleep", "300")
			runDetached(t, c, name+"-cli", "busybox", "sleep", "300")
			if got := cli(t, c, "exec", name+"-cli", "cat", "/etc/resolv.conf"); strings.Contains(got, "ndots:0") {
				t.Fatalf("on the default bridge alone the resolv.conf is the host's, got\n%s", got)
			}
			cli(t, c, "network", "connect", name, name+"-cli")
			gw := strings.TrimSpace(cli(t, c, "network", "inspect", "-f", "{{(index .IPAM.Config 0).Gateway}}", name))
			want := strings.TrimSpace(cli(t, c, "inspect", "-f", "{{(index .NetworkSettings.Networks \""+name+"\").IPAddress}}", name+"-srv"))
			resolv := cli(t, c, "exec", name+"-cli", "cat", "/etc/resolv.conf")
			if !strings.Contains(resolv, "nameserver "+gw+"\n") || !strings.Contains(resolv, "ndots:0") || strings.Count(resolv, "nameserver") != 1 {
				t.Fatalf("after connect, resolv.conf:\n%s\nwant the embedded resolver %s only", resolv, gw)
			}
			for _, step := range []string{"connect", "restart"} {
				if step == "restart" {
					cli(t, c, "restart", "-t", "0", name+"-cli")
				}
				got := cli(t, c, "exec", name+"-cli", "nslookup", name+"-srv")
				if !strings.Contains(got, want) {
					t.Fatalf("after %s, nslookup %s-srv:\n%s\nwant %s", step, name, got, want)
				}
				if r := testEnv.run(c, "exec", name+"-cli", "ping", "-c1", "-W2", name+"-srv"); r.code != 0 {
					t.Fatalf("after %s, ping by name: %s%s", step, r.stdout, r.stderr)
				}
			}
		})
	}
}

// IPv6 on a user bridge: --ipv6 --subnet gives containers v6 addresses
// (--ip6 a chosen one) that reach each other and the gateway; inspect
// shows EnableIPv6 and the addresses as dockerd 20.10 does; --ipv6
// without a subnet is refused in its words (it has no default v6 pool).
func TestSDKNetworkIPv6(t *testing.T) {
	for i, c := range clis {
		t.Run(c, func(t *testing.T) {
			name := uniqueName(t, "v6")
			subnet := fmt.Sprintf("fd00:5dc:%d::/64", i+1)
			prefix := strings.TrimSuffix(subnet, "/64")
			t.Cleanup(func() { testEnv.run("wharf", "network", "rm", name) })
			cli(t, c, "network", "create", "--ipv6", "--subnet", subnet, name)
			if got := strings.TrimSpace(cli(t, c, "network", "inspect", "-f", "{{.EnableIPv6}} {{json .IPAM.Config}}", name)); !strings.HasPrefix(got, "true ") || !strings.Contains(got, `{"Subnet":"`+subnet+`"}`) {
				t.Fatalf("network inspect: %s", got)
			}
			runDetached(t, c, name+"-a", "--network", name, "--ip6", prefix+"100", "busybox", "sleep", "300")
			runDetached(t, c, name+"-b", "--network", name, "busybox", "sleep", "300")
			got := strings.TrimSpace(cli(t, c, "inspect", "-f", `{{with index .NetworkSettings.Networks "`+name+`"}}{{.GlobalIPv6Address}} {{.GlobalIPv6PrefixLen}} {{.IPv6Gateway}}{{end}}`, name+"-a"))
			if got != prefix+"100 64 "+prefix+"1" {
				t.Fatalf("inspect of -a: %q", got)
			}
			b := strings.TrimSpace(cli(t, c, "inspect", "-f", `{{(index .NetworkSettings.Networks "`+name+`").GlobalIPv6Address}}`, name+"-b"))
			if b != prefix+"2" {
				t.Fatalf("-b's address %q, want the first free one %s2", b, prefix)
			}
			for _, target := range []string{prefix + "100", prefix + "1"} {
				if r := testEnv.run(c, "exec", name+"-b", "ping", "-6", "-c1", "-W2", target); r.code != 0 {
					t.Errorf("ping -6 %s: %s%s", target, r.stdout, r.stderr)
				}
			}
			r := testEnv.run(c, "network", "create", "--ipv6", name+"-nosubnet")
			if r.code == 0 || !strings.Contains(r.stderr, "could not find an available, non-overlapping IPv6 address pool") {
				testEnv.run("wharf", "network", "rm", name+"-nosubnet")
				t.Errorf("--ipv6 without a subnet: exit %d %s", r.code, r.stderr)
			}
		})
	}
}
