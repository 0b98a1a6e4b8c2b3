//go:build integration

package integration

import (
	"fmt"
	"os"
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

// TestSDKNetworkIPv6Firewall: an IPv6 network in a wharfd of its own
// network namespace (forwarding and ip6tables are the namespace's, never
// the host's): ip6tables rules as dockerd's with ip6tables on (forwarding
// inside the bridge, isolation from other bridges, masquerade out, an
// internal network closed), IPv6 forwarding turned on with FORWARD DROP,
// AAAA answers and v6 lines in /etc/hosts (also after a connect), ping6
// between two containers by name; the rules go with the network. The
// default bridge gets IPv6 from daemon.json's ipv6 and fixed-cidr-v6.
func TestSDKNetworkIPv6Firewall(t *testing.T) {
	ns := fmt.Sprintf("wharf-v6-%d", os.Getpid()%100000)
	t.Cleanup(func() { exec.Command("ip", "netns", "del", ns).Run() })
	for _, cmd := range [][]string{{"ip", "netns", "add", ns}, {"ip", "-n", ns, "link", "set", "lo", "up"}} {
		if out, err := exec.Command(cmd[0], cmd[1:]...).CombinedOutput(); err != nil {
			t.Fatalf("%v: %v\n%s", cmd, err, out)
		}
	}
	// The default bridge gets IPv6 too, from daemon.json.
	e := privateDaemon(t, `{"ipv6": true, "fixed-cidr-v6": "fd00:5dc:76::/64"}`, "nsenter", "--net=/run/netns/"+ns)
	in := func(args ...string) string {
		out, err := exec.Command("nsenter", append([]string{"--net=/run/netns/" + ns}, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("%v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	must := func(args ...string) string {
		t.Helper()
		r := e.run("docker", args...)
		if r.code != 0 {
			t.Fatalf("docker %v: %s", args, r.stderr)
		}
		return strings.TrimSpace(r.stdout)
	}
	must("network", "create", "--ipv6", "--subnet", "fd00:5dc:77::/64", "v6")
	must("network", "create", "--internal", "--ipv6", "--subnet", "fd00:5dc:78::/64", "v6int")
	br := "wharf-" + must("network", "inspect", "-f", "{{.ID}}", "v6")[:9]
	brInt := "wharf-" + must("network", "inspect", "-f", "{{.ID}}", "v6int")[:9]
	t.Cleanup(func() { e.run("docker", "rm", "-f", "v6a", "v6b"); e.run("docker", "network", "rm", "v6", "v6int") })
	must("run", "-d", "--name", "v6a", "--network", "v6", "busybox", "sleep", "300")
	must("run", "-d", "--name", "v6b", "--network", "v6", "busybox", "sleep", "300")

	if got := strings.TrimSpace(in("cat", "/proc/sys/net/ipv6/conf/all/forwarding")); got != "1" {
		t.Errorf("IPv6 forwarding %q", got)
	}
	filter, nat := in("ip6tables", "-S"), in("ip6tables", "-t", "nat", "-S")
	for _, want := range []string{
		"-P FORWARD DROP",
		"-A FORWARD -j WHARF-USER",
		"-A WHARF-FORWARD -i " + br + " -o " + br + " -j ACCEPT",
		"-A WHARF-FORWARD -i " + br + " -o wharf+ -j DROP",
		"-A WHARF-FORWARD -o " + br + " -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT",
		"-A WHARF-FORWARD -i " + brInt + " ! -o " + brInt + " -j DROP",
	} {
		if !strings.Contains(filter, want+"\n") {
			t.Errorf("ip6tables lacks %q:\n%s", want, filter)
		}
	}
	if !strings.Contains(nat, "-A WHARF-POSTROUTING -s fd00:5dc:77::/64 ! -o "+br+" -j MASQUERADE\n") || strings.Contains(nat, "fd00:5dc:78::") {
		t.Errorf("ip6tables nat: masquerade of v6 only, none for the internal network:\n%s", nat)
	}
	if out := must("exec", "v6b", "nslookup", "-type=AAAA", "v6a"); !strings.Contains(out, "Address: fd00:5dc:77::2") {
		t.Errorf("AAAA of v6a: %s", out)
	}
	if r := e.run("docker", "exec", "v6b", "ping", "-6", "-c1", "-W2", "v6a"); r.code != 0 {
		t.Errorf("ping -6 v6a: %s%s", r.stdout, r.stderr)
	}
	id := must("inspect", "-f", "{{.Config.Hostname}}", "v6b")
	if hosts := must("exec", "v6b", "cat", "/etc/hosts"); !strings.HasSuffix(hosts, "fd00:5dc:77::3\t"+id) {
		t.Errorf("b's /etc/hosts lacks its IPv6 address:\n%s", hosts)
	}
	must("network", "connect", "--ip6", "fd00:5dc:78::9", "v6int", "v6b")
	if hosts := must("exec", "v6b", "cat", "/etc/hosts"); !strings.HasSuffix(hosts, "fd00:5dc:78::9\t"+id) {
		t.Errorf("connect did not add b's new address to /etc/hosts:\n%s", hosts)
	}
	must("network", "disconnect", "v6int", "v6b")
	if hosts := must("exec", "v6b", "cat", "/etc/hosts"); strings.Contains(hosts, "fd00:5dc:78::") {
		t.Errorf("disconnect left the address in /etc/hosts:\n%s", hosts)
	}
	// The default bridge, with daemon.json's ipv6 and fixed-cidr-v6.
	t.Cleanup(func() { e.run("docker", "rm", "-f", "dfa", "dfb") })
	must("run", "-d", "--name", "dfa", "busybox", "sleep", "300")
	must("run", "-d", "--name", "dfb", "busybox", "sleep", "300")
	if got := must("network", "inspect", "-f", "{{.EnableIPv6}} {{range .IPAM.Config}}{{.Subnet}} {{end}}", "bridge"); !strings.HasPrefix(got, "true ") || !strings.Contains(got, "fd00:5dc:76::/64") {
		t.Errorf("default bridge: %q", got)
	}
	if got := must("inspect", "-f", "{{.NetworkSettings.Networks.bridge.GlobalIPv6Address}} {{.NetworkSettings.Networks.bridge.IPv6Gateway}}", "dfa"); got != "fd00:5dc:76::2 fd00:5dc:76::1" {
		t.Errorf("dfa on the default bridge: %q", got)
	}
	if r := e.run("docker", "exec", "dfb", "ping", "-6", "-c1", "-W2", "fd00:5dc:76::2"); r.code != 0 {
		t.Errorf("ping -6 on the default bridge: %s%s", r.stdout, r.stderr)
	}
	must("rm", "-f", "v6a", "v6b", "dfa", "dfb")
	must("network", "rm", "v6", "v6int")
	if filter, nat := in("ip6tables", "-S"), in("ip6tables", "-t", "nat", "-S"); strings.Contains(filter+nat, br) || strings.Contains(filter+nat, brInt) {
		t.Errorf("rules left after network rm:\n%s%s", filter, nat)
	}
}
