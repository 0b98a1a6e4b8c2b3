//go:build integration

package integration

import (
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// httpServer is a busybox shell loop answering every connection on port
// 80 with a tiny HTTP response naming the container.
const httpServer = `while true; do printf 'HTTP/1.0 200 OK\r\n\r\nhello from %s\n' "$(hostname)" | nc -l -p 80; done`

// httpGet fetches / from addr (only 127.0.0.1 or a container's address),
// retrying while the server loop starts.
func httpGet(t *testing.T, addr string) string {
	t.Helper()
	var last error
	for i := 0; i < 50; i++ {
		conn, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			conn.SetDeadline(time.Now().Add(3 * time.Second))
			fmt.Fprintf(conn, "GET / HTTP/1.0\r\n\r\n")
			data, err := io.ReadAll(conn)
			conn.Close()
			if err == nil && strings.Contains(string(data), "200 OK") {
				return string(data)
			}
			last = fmt.Errorf("read %q: %v", data, err)
		} else {
			last = err
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("GET http://%s/: %v", addr, last)
	return ""
}

// freePort returns a TCP port free on 127.0.0.1 at the time of the call.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func hostLinks(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("ip", "-o", "link").CombinedOutput()
	if err != nil {
		t.Fatalf("ip link: %v %s", err, out)
	}
	return string(out)
}

func natRules(t *testing.T) string {
	t.Helper()
	out, _ := exec.Command("iptables", "-t", "nat", "-S").CombinedOutput()
	return string(out)
}

func TestNetworkBridgeAddress(t *testing.T) {
	name := uniqueName(t, "web")
	id := runDetached(t, "wharf", name, "busybox", "sh", "-c", httpServer)
	ip := inspectField(t, name, "{{.NetworkSettings.Networks.bridge.IPAddress}}")
	gw := inspectField(t, name, "{{.NetworkSettings.Networks.bridge.Gateway}}")
	if !strings.HasPrefix(ip, strings.TrimSuffix(gw, "1")) || ip == gw || ip == "" || ip == "invalid IP" {
		t.Fatalf("ip %q gateway %q", ip, gw)
	}
	// The docker CLI (API 1.50) also gets the legacy top-level fields.
	if got := strings.TrimSpace(cli(t, "docker", "inspect", "-f", "{{.NetworkSettings.IPAddress}} {{.NetworkSettings.Gateway}}", name)); got != ip+" "+gw {
		t.Fatalf("docker inspect: %q", got)
	}
	if mac := inspectField(t, name, "{{.NetworkSettings.Networks.bridge.MacAddress}}"); !strings.HasPrefix(mac, "02:42:") {
		t.Fatalf("mac %q", mac)
	}
	if got := httpGet(t, ip+":80"); !strings.Contains(got, "hello from "+id[:12]) {
		t.Fatalf("direct: %q", got)
	}
	hosts := cli(t, "wharf", "exec", name, "cat", "/etc/hosts")
	if !strings.Contains(hosts, ip+"\t"+id[:12]+"\n") || !strings.HasPrefix(hosts, "127.0.0.1\tlocalhost\n") {
		t.Fatalf("/etc/hosts:\n%s", hosts)
	}
	route := cli(t, "wharf", "exec", name, "ip", "route")
	if !strings.Contains(route, "default via "+gw) {
		t.Fatalf("routes:\n%s", route)
	}
	resolv := cli(t, "wharf", "exec", name, "cat", "/etc/resolv.conf")
	if strings.Contains(resolv, "nameserver 127.") {
		t.Fatalf("loopback resolver in the container:\n%s", resolv)
	}
}

func TestNetworkPublishedPorts(t *testing.T) {
	name := uniqueName(t, "pub")
	port := freePort(t)
	runDetached(t, "wharf", name, "-p", fmt.Sprintf("%d:80", port), "-p", "127.0.0.1::80", "--expose", "90", "busybox", "sh", "-c", httpServer)
	if got := httpGet(t, fmt.Sprintf("127.0.0.1:%d", port)); !strings.Contains(got, "hello from") {
		t.Fatalf("published: %q", got)
	}
	out := cli(t, "wharf", "port", name)
	var ephemeral string
	for _, l := range lines(out) {
		if strings.HasPrefix(l, "80/tcp -> 127.0.0.1:") {
			ephemeral = strings.TrimPrefix(l, "80/tcp -> ")
		}
	}
	if !strings.Contains(out, fmt.Sprintf("80/tcp -> 0.0.0.0:%d", port)) || ephemeral == "" {
		t.Fatalf("port:\n%s", out)
	}
	if got := httpGet(t, ephemeral); !strings.Contains(got, "hello from") {
		t.Fatalf("ephemeral: %q", got)
	}
	ps := cli(t, "wharf", "ps", "--filter", "name="+name, "--format", "{{.Ports}}")
	if !strings.Contains(ps, fmt.Sprintf("0.0.0.0:%d->80/tcp", port)) || !strings.Contains(ps, "90/tcp") {
		t.Fatalf("ps ports: %q", ps)
	}
	if got := inspectField(t, name, `{{json .NetworkSettings.Ports}}`); !strings.Contains(got, fmt.Sprintf(`{"HostIp":"0.0.0.0","HostPort":"%d"}`, port)) || !strings.Contains(got, `"90/tcp":null`) {
		t.Fatalf("inspect ports: %s", got)
	}
	// A port in use gives docker's error and the container does not start.
	other := uniqueName(t, "clash")
	cleanupContainers(t, other)
	r := testEnv.run("wharf", "run", "-d", "--name", other, "-p", fmt.Sprintf("%d:80", port), "busybox", "sleep", "30")
	if r.code != 125 || !strings.Contains(r.stderr, fmt.Sprintf("Bind for 0.0.0.0:%d failed: port is already allocated", port)) {
		t.Fatalf("conflict: %+v", r)
	}
	if st := inspectField(t, other, "{{.State.Status}}"); st != "created" {
		t.Fatalf("clashing container is %s", st)
	}
}

func TestNetworkPublishAll(t *testing.T) {
	importImage(t, "netexpose:1", "EXPOSE 80", `CMD ["sh"]`)
	name := uniqueName(t, "all")
	runDetached(t, "wharf", name, "-P", "netexpose:1", "sh", "-c", httpServer)
	out := strings.TrimSpace(cli(t, "wharf", "port", name, "80"))
	hostPort := out[strings.LastIndex(out, ":")+1:]
	if hostPort == "" || hostPort == "0" {
		t.Fatalf("port 80: %q", out)
	}
	if got := httpGet(t, "127.0.0.1:"+hostPort); !strings.Contains(got, "hello from") {
		t.Fatalf("-P: %q", got)
	}
}

func TestNetworkUserDefinedDNS(t *testing.T) {
	net1 := uniqueName(t, "net")
	// The subnet is chosen automatically first, as other daemons on this
	// host may be running this test too and the choice avoids their
	// bridges' routes; --ip needs a subnet given at create, so the network
	// is made again with the one chosen.
	cli(t, "wharf", "network", "create", "--label", "wharf.test=1", net1)
	t.Cleanup(func() { testEnv.run("wharf", "network", "rm", net1) })
	subnet := strings.TrimSpace(cli(t, "wharf", "network", "inspect", "-f", "{{(index .IPAM.Config 0).Subnet}}", net1))
	gateway := strings.TrimSpace(cli(t, "wharf", "network", "inspect", "-f", "{{(index .IPAM.Config 0).Gateway}}", net1))
	fixedIP := strings.TrimSuffix(gateway, ".1") + ".50"
	probe := uniqueName(t, "probe")
	cleanupContainers(t, probe)
	if r := testEnv.run("wharf", "run", "--name", probe, "--network", net1, "--ip", fixedIP, "busybox", "true"); r.code != 125 || !strings.Contains(r.stderr, "user specified IP address is supported only when connecting to networks with user configured subnets") {
		t.Fatalf("--ip on an automatic subnet: %+v", r)
	}
	cli(t, "wharf", "rm", probe)
	cli(t, "wharf", "network", "rm", net1)
	cli(t, "wharf", "network", "create", "--subnet", subnet, "--label", "wharf.test=1", net1)
	bridgeName := "wharf-" + strings.TrimSpace(cli(t, "wharf", "network", "inspect", "-f", "{{.ID}}", net1))[:9]
	if !strings.Contains(hostLinks(t), bridgeName+":") {
		t.Fatalf("bridge %s missing", bridgeName)
	}
	a, b := uniqueName(t, "alpha"), uniqueName(t, "beta")
	idA := runDetached(t, "wharf", a, "--network", net1, "--network-alias", "svc", "busybox", "sleep", "300")
	runDetached(t, "wharf", b, "--network", net1, "--ip", fixedIP, "busybox", "sleep", "300")
	ipA := inspectField(t, a, "{{(index .NetworkSettings.Networks \""+net1+"\").IPAddress}}")
	if ipB := inspectField(t, b, "{{(index .NetworkSettings.Networks \""+net1+"\").IPAddress}}"); ipB != fixedIP {
		t.Fatalf("--ip gave %q", ipB)
	}
	for _, q := range []string{a, "svc", idA[:12]} {
		out := cli(t, "wharf", "exec", b, "nslookup", q)
		if !strings.Contains(out, "Address: "+ipA) {
			t.Fatalf("nslookup %s:\n%s", q, out)
		}
	}
	// Two containers with one alias: both answer.
	c2 := uniqueName(t, "gamma")
	runDetached(t, "wharf", c2, "--network", net1, "--network-alias", "svc", "busybox", "sleep", "300")
	ipC := inspectField(t, c2, "{{(index .NetworkSettings.Networks \""+net1+"\").IPAddress}}")
	if out := cli(t, "wharf", "exec", b, "nslookup", "svc"); !strings.Contains(out, "Address: "+ipA) || !strings.Contains(out, "Address: "+ipC) {
		t.Fatalf("nslookup svc (two containers):\n%s", out)
	}
	cli(t, "wharf", "rm", "-f", c2)
	// After a rename the new name resolves at once, the old one no more.
	renamed := uniqueName(t, "renamed")
	cli(t, "wharf", "rename", a, renamed)
	if out := cli(t, "wharf", "exec", b, "nslookup", renamed); !strings.Contains(out, "Address: "+ipA) {
		t.Fatalf("nslookup %s after rename:\n%s", renamed, out)
	}
	// The old name is asked from a container whose upstream is loopback,
	// so that the question, unanswered here, leaves no host.
	asker := uniqueName(t, "asker")
	cleanupContainers(t, asker)
	if r := testEnv.run("wharf", "run", "--rm", "--name", asker, "--network", net1, "--dns", "127.0.0.1", "busybox", "nslookup", a); r.code == 0 {
		t.Fatalf("the old name %s still resolves:\n%s", a, r.stdout)
	}
	cli(t, "wharf", "rename", renamed, a)
	resolv := cli(t, "wharf", "exec", b, "cat", "/etc/resolv.conf")
	if !strings.Contains(resolv, "nameserver "+gateway+"\n") {
		t.Fatalf("resolv.conf:\n%s", resolv)
	}
	cli(t, "wharf", "exec", b, "ping", "-c", "1", "-W", "2", a)
	// Inspect lists both; removing the network while in use fails.
	if n := strings.TrimSpace(cli(t, "wharf", "network", "inspect", "-f", "{{len .Containers}}", net1)); n != "2" {
		t.Fatalf("containers on %s: %s", net1, n)
	}
	r := testEnv.run("wharf", "network", "rm", net1)
	if r.code == 0 || !strings.Contains(r.stderr, "has active endpoints") {
		t.Fatalf("rm in use: %+v", r)
	}
	if r := testEnv.run("wharf", "network", "create", "--subnet", subnet, uniqueName(t, "overlap")); r.code == 0 || !strings.Contains(r.stderr, "Pool overlaps with other one on this address space") {
		t.Fatalf("overlap: %+v", r)
	}
	// Names on the default bridge do not resolve.
	c := uniqueName(t, "plain")
	runDetached(t, "wharf", c, "busybox", "sleep", "300")
	cli(t, "wharf", "rm", "-f", a, b, c)
	cli(t, "wharf", "network", "rm", net1)
	if strings.Contains(hostLinks(t), bridgeName+":") {
		t.Fatalf("bridge %s left after network rm", bridgeName)
	}
}

func TestNetworkConnectDisconnect(t *testing.T) {
	net1 := uniqueName(t, "net")
	cli(t, "wharf", "network", "create", net1)
	t.Cleanup(func() { testEnv.run("wharf", "network", "rm", net1) })
	name := uniqueName(t, "c")
	runDetached(t, "wharf", name, "busybox", "sleep", "300")
	cli(t, "wharf", "network", "connect", net1, name)
	if out := cli(t, "wharf", "exec", name, "ip", "addr"); !strings.Contains(out, "eth1") {
		t.Fatalf("after connect:\n%s", out)
	}
	cli(t, "wharf", "network", "disconnect", net1, name)
	if out := cli(t, "wharf", "exec", name, "ip", "addr"); strings.Contains(out, "eth1") {
		t.Fatalf("after disconnect:\n%s", out)
	}
	cli(t, "wharf", "rm", "-f", name)
	cli(t, "wharf", "network", "rm", net1)
}

func TestNetworkErrors(t *testing.T) {
	name := uniqueName(t, "nonet")
	cleanupContainers(t, name)
	r := testEnv.run("wharf", "run", "--name", name, "--network", "no-such-net", "busybox", "true")
	if r.code != 125 || !strings.Contains(r.stderr, "network no-such-net not found") || strings.Contains(r.stderr, "Unable to find image") {
		t.Fatalf("unknown network: %+v", r)
	}
	if r := testEnv.run("wharf", "network", "rm", "bridge"); r.code == 0 || !strings.Contains(r.stderr, "bridge is a pre-defined network and cannot be removed") {
		t.Fatalf("rm bridge: %+v", r)
	}
	if r := testEnv.run("wharf", "network", "inspect", "no-such-net"); r.code == 0 || !strings.Contains(r.stderr, "network no-such-net not found") {
		t.Fatalf("inspect: %+v", r)
	}
	if r := testEnv.run("wharf", "run", "--rm", "--ip", "172.30.1.1", "busybox", "true"); r.code != 125 || !strings.Contains(r.stderr, "user specified IP address is supported on user defined networks only") {
		t.Fatalf("--ip on bridge: %+v", r)
	}
	out := cli(t, "wharf", "network", "ls", "--format", "{{.Name}} {{.Driver}}")
	for _, want := range []string{"bridge bridge", "host host", "none null"} {
		if !strings.Contains(out, want+"\n") {
			t.Fatalf("network ls lacks %q:\n%s", want, out)
		}
	}
}

func TestNetworkContainerModeAndLinks(t *testing.T) {
	web := uniqueName(t, "web")
	runDetached(t, "wharf", web, "--expose", "80", "-e", "SECRET=s3", "busybox", "sh", "-c", httpServer)
	ip := inspectField(t, web, "{{.NetworkSettings.Networks.bridge.IPAddress}}")
	// container:<name> shares the namespace: the same address, and the
	// server answers on its loopback.
	out := cli(t, "wharf", "run", "--rm", "--network", "container:"+web, "busybox", "sh", "-c", "ip addr; hostname")
	if !strings.Contains(out, "inet "+ip+"/") || !strings.HasSuffix(out, inspectField(t, web, "{{.Config.Hostname}}")+"\n") {
		t.Fatalf("container mode:\n%s", out)
	}
	out = cli(t, "wharf", "run", "--rm", "--link", web+":db", "busybox", "sh", "-c", "cat /etc/hosts; env")
	if !strings.Contains(out, ip+"\tdb "+web) || !strings.Contains(out, "DB_PORT_80_TCP_ADDR="+ip) || !strings.Contains(out, "DB_PORT=tcp://"+ip+":80") ||
		!strings.Contains(out, "DB_ENV_SECRET=s3") {
		t.Fatalf("link:\n%s", out)
	}
}

func TestNetworkCleanup(t *testing.T) {
	name := uniqueName(t, "gone")
	port := freePort(t)
	id := runDetached(t, "wharf", name, "-p", fmt.Sprintf("%d:80", port), "busybox", "sleep", "300")
	ip := inspectField(t, name, "{{.NetworkSettings.Networks.bridge.IPAddress}}")
	veth := "wv" + id[:9] + "0"
	nsPath := testEnv.execRoot + "/netns/" + id
	if !strings.Contains(hostLinks(t), veth+"@") {
		t.Fatalf("veth %s missing:\n%s", veth, hostLinks(t))
	}
	if _, err := os.Stat(nsPath); err != nil {
		t.Fatalf("netns: %v", err)
	}
	if !strings.Contains(natRules(t), "--to-destination "+ip+":80") {
		t.Fatal("no DNAT rule")
	}
	cli(t, "wharf", "rm", "-f", name)
	// The kernel deletes the veth with the namespace, in the background.
	waitFor(t, 5*time.Second, "veth "+veth+" to go", func() bool { return !strings.Contains(hostLinks(t), veth+"@") })
	if _, err := os.Stat(nsPath); err == nil {
		t.Fatalf("netns %s left", nsPath)
	}
	if rules := natRules(t); strings.Contains(rules, "--to-destination "+ip+":80") || strings.Contains(rules, fmt.Sprintf("--dport %d ", port)) {
		t.Fatalf("rules left:\n%s", rules)
	}
	// The port is free again.
	ln, err := net.Listen("tcp4", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		t.Fatalf("port still held: %v", err)
	}
	ln.Close()
	// A container that exits by itself is cleaned up too.
	r := testEnv.run("wharf", "run", "--name", name+"x", "busybox", "true")
	cleanupContainers(t, name+"x")
	if r.code != 0 {
		t.Fatalf("run: %+v", r)
	}
	id2 := strings.TrimSpace(cli(t, "wharf", "inspect", "-f", "{{.Id}}", name+"x"))
	waitFor(t, 5*time.Second, "namespace removal", func() bool {
		_, err := os.Stat(testEnv.execRoot + "/netns/" + id2)
		return err != nil
	})
}

func TestNetworkHairpinAndIsolation(t *testing.T) {
	name := uniqueName(t, "srv")
	port := freePort(t)
	runDetached(t, "wharf", name, "-p", fmt.Sprintf("%d:80", port), "busybox", "sh", "-c", httpServer)
	gw := inspectField(t, name, "{{.NetworkSettings.Networks.bridge.Gateway}}")
	httpGet(t, fmt.Sprintf("127.0.0.1:%d", port))
	// Another container, and the server itself, reach the published port
	// through the bridge's (host) address.
	req := fmt.Sprintf(`printf 'GET / HTTP/1.0\r\n\r\n' | nc %s %d`, gw, port)
	if out := cli(t, "wharf", "run", "--rm", "busybox", "sh", "-c", req); !strings.Contains(out, "hello from") {
		t.Fatalf("from another container: %q", out)
	}
	if out := cli(t, "wharf", "exec", name, "sh", "-c", req); !strings.Contains(out, "hello from") {
		t.Fatalf("hairpin: %q", out)
	}
	// An internal network has no default route out.
	inet := uniqueName(t, "int")
	cli(t, "wharf", "network", "create", "--internal", inet)
	t.Cleanup(func() { testEnv.run("wharf", "network", "rm", inet) })
	if out := cli(t, "wharf", "run", "--rm", "--network", inet, "busybox", "ip", "route"); strings.Contains(out, "default") {
		t.Fatalf("internal network routes:\n%s", out)
	}
}

func TestNetworkSurvivesDaemonRestart(t *testing.T) {
	name := uniqueName(t, "keep")
	port := freePort(t)
	id := runDetached(t, "wharf", name, "-p", fmt.Sprintf("%d:80", port), "busybox", "sh", "-c", httpServer)
	httpGet(t, fmt.Sprintf("127.0.0.1:%d", port))
	t.Cleanup(func() {
		if testEnv.daemon == nil {
			if err := testEnv.startDaemon(); err != nil {
				t.Errorf("restarting wharfd: %v", err)
			}
		}
	})
	testEnv.stopDaemon(syscall.SIGKILL)
	if err := testEnv.startDaemon(); err != nil {
		t.Fatalf("restarting wharfd: %v", err)
	}
	if got := httpGet(t, fmt.Sprintf("127.0.0.1:%d", port)); !strings.Contains(got, "hello from") {
		t.Fatalf("after restart: %q", got)
	}
	if out := cli(t, "wharf", "port", name); !strings.Contains(out, fmt.Sprintf("0.0.0.0:%d", port)) {
		t.Fatalf("port after restart: %q", out)
	}
	// The port stays reserved after the restart.
	if ln, err := net.Listen("tcp4", fmt.Sprintf("0.0.0.0:%d", port)); err == nil {
		ln.Close()
		t.Fatal("published port not reserved after restart")
	}
	cli(t, "wharf", "rm", "-f", name)
	waitFor(t, 5*time.Second, "the veth to go", func() bool { return !strings.Contains(hostLinks(t), "wv"+id[:9]+"0@") })
}

// TestNetworkDNSForwarding: names the embedded resolver does not know go
// to the container's --dns servers, here a stub on 127.0.0.1 (so no test
// query leaves the host).
func TestNetworkDNSForwarding(t *testing.T) {
	pc, err := net.ListenPacket("udp4", "127.0.0.1:53")
	if err != nil {
		t.Skip("127.0.0.1:53 is taken:", err)
	}
	srv := &dns.Server{PacketConn: pc, Handler: dns.HandlerFunc(func(w dns.ResponseWriter, req *dns.Msg) {
		m := new(dns.Msg)
		m.SetReply(req)
		if q := req.Question[0]; q.Qtype == dns.TypeA && q.Name == "upstream.wharf.test." {
			m.Answer = append(m.Answer, &dns.A{Hdr: dns.RR_Header{Name: q.Name, Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: 60}, A: net.ParseIP("192.0.2.77")})
		}
		w.WriteMsg(m)
	})}
	go srv.ActivateAndServe()
	defer srv.Shutdown()
	net1 := uniqueName(t, "net")
	cli(t, "wharf", "network", "create", net1)
	t.Cleanup(func() { testEnv.run("wharf", "network", "rm", net1) })
	name := uniqueName(t, "q")
	cleanupContainers(t, name)
	out := cli(t, "wharf", "run", "--name", name, "--network", net1, "--dns", "127.0.0.1", "busybox", "nslookup", "upstream.wharf.test")
	if !strings.Contains(out, "192.0.2.77") {
		t.Fatalf("forwarded lookup:\n%s", out)
	}
	cli(t, "wharf", "rm", name)
}
