//go:build integration

package integration

import (
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
)

// TestFirewallShutdownAndUserChain runs a wharfd in a network namespace
// of its own (its iptables are the namespace's, not the suite's): on a
// clean stop with a container running its rules stay (the container
// outlives wharfd); with none they go; WHARF-USER is made once, jumped
// to first from FORWARD, and what the user put in it is never flushed.
func TestFirewallShutdownAndUserChain(t *testing.T) {
	in := ownNetns(t, "/run/wharf-it-fwns")
	in("ip", "link", "set", "lo", "up")
	forwarding := strings.TrimSpace(in("cat", "/proc/sys/net/ipv4/ip_forward")) == "1"
	// Registered first, so it runs last: the daemon's teardown needs the namespace.
	e := newPrivateEnv(t, `{"iptables": true}`)
	e.wrap = []string{"nsenter", "--net=/run/wharf-it-fwns"}
	e.startPrivate(t)

	forward := in("iptables", "-S", "FORWARD")
	if first := strings.SplitN(forward, "\n", 3); len(first) < 2 || first[1] != "-A FORWARD -j WHARF-USER" {
		t.Errorf("WHARF-USER is not FORWARD's first rule:\n%s", forward)
	}
	in("iptables", "-I", "WHARF-USER", "-s", "192.0.2.99", "-j", "DROP")
	userRule := "-A WHARF-USER -s 192.0.2.99/32 -j DROP"

	if r := e.run("wharf", "run", "-d", "--name", "fw-keep", "busybox", "sleep", "600"); r.code != 0 {
		t.Fatalf("run: %s", r.stderr)
	}
	e.stopDaemon(syscall.SIGTERM)
	if rules := in("iptables", "-S"); !strings.Contains(rules, "-N WHARF-FORWARD") || !strings.Contains(rules, userRule) {
		t.Errorf("a running container's rules went with wharfd:\n%s", rules)
	}
	if err := e.startDaemon(); err != nil {
		t.Fatal(err)
	}
	if rules := in("iptables", "-S"); !strings.Contains(rules, userRule) {
		t.Errorf("a restart flushed WHARF-USER:\n%s", rules)
	}
	if r := e.run("wharf", "rm", "-f", "fw-keep"); r.code != 0 {
		t.Fatalf("rm: %s", r.stderr)
	}
	e.stopDaemon(syscall.SIGTERM)
	rules := in("iptables", "-S")
	if strings.Contains(rules, "WHARF-FORWARD") || !strings.Contains(rules, userRule) || !strings.Contains(rules, "-A FORWARD -j WHARF-USER") {
		t.Errorf("after a clean stop with no container: want only WHARF-USER left:\n%s", rules)
	}
	if nat := in("iptables", "-t", "nat", "-S"); strings.Contains(nat, "WHARF") {
		t.Errorf("nat rules left:\n%s", nat)
	}
	log, _ := os.ReadFile(e.logFile)
	wants := []string{"kept the firewall rules: containers still running use them", "removed wharf's firewall rules"}
	if !forwarding {
		wants = append(wants, "enabled IPv4 forwarding (net.ipv4.ip_forward=1), FORWARD policy DROP")
	}
	for _, want := range wants {
		if !strings.Contains(string(log), want) {
			t.Errorf("log lacks %q", want)
		}
	}
}

// ownNetns makes a network namespace bound at ns for the test, and returns
// a runner of commands in it.
func ownNetns(t *testing.T, ns string) (in func(args ...string) string) {
	t.Helper()
	if err := os.WriteFile(ns, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("unshare", "--net="+ns, "true").CombinedOutput(); err != nil {
		os.Remove(ns)
		t.Fatalf("unshare: %v %s", err, out)
	}
	t.Cleanup(func() {
		syscall.Unmount(ns, syscall.MNT_DETACH)
		os.Remove(ns)
	})
	return func(args ...string) string {
		t.Helper()
		out, err := exec.Command("nsenter", append([]string{"--net=" + ns}, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("%v: %v %s", args, err, out)
		}
		return string(out)
	}
}

// TestFirewallRulesOnce: wharfd adds a network's and a published port's
// rules in one iptables-restore after finding, in iptables-save's output,
// those already there, so its rules must read as iptables-save prints
// them: after a restart, which adds them all again, each is there once,
// and removing the container and the networks leaves none of theirs.
func TestFirewallRulesOnce(t *testing.T) {
	ns := "/run/wharf-it-fwonce"
	in := ownNetns(t, ns)
	in("ip", "link", "set", "lo", "up")
	e := newPrivateEnv(t, `{"iptables": true}`)
	e.wrap = []string{"nsenter", "--net=" + ns}
	e.startPrivate(t)

	for _, args := range [][]string{{"network", "create", "fw-once"}, {"network", "create", "--internal", "fw-once-int"},
		{"network", "create", "--ipv6", "--subnet", "fd00:77::/64", "fw-once-v6"}} {
		if r := e.run("wharf", args...); r.code != 0 {
			t.Fatalf("%v: %s", args, r.stderr)
		}
	}
	if r := e.run("wharf", "run", "-d", "--name", "fw-once-c", "--network", "fw-once", "-p", "127.0.0.1:18080:80", "-p", "8081:81/udp", "busybox", "sleep", "600"); r.code != 0 {
		t.Fatalf("run: %s", r.stderr)
	}
	for _, args := range [][]string{{"network", "connect", "fw-once-int", "fw-once-c"}, {"network", "connect", "fw-once-v6", "fw-once-c"}} {
		if r := e.run("wharf", args...); r.code != 0 {
			t.Fatalf("%v: %s", args, r.stderr)
		}
	}
	saved := func() string { return in("iptables-save") + in("ip6tables-save") }
	before := saved()
	e.stopDaemon(syscall.SIGTERM)
	if err := e.startDaemon(); err != nil {
		t.Fatal(err)
	}
	after := saved()
	for _, cmd := range []string{"iptables-save", "ip6tables-save"} {
		seen := map[string]bool{}
		for _, l := range strings.Split(in(cmd), "\n") {
			if strings.HasPrefix(l, "-A ") && seen[l] {
				t.Errorf("%s: rule twice after a restart: %s", cmd, l)
			}
			seen[l] = true
		}
	}
	for _, want := range []string{"--dport 18080 -j DNAT", "--dport 8081 -j DNAT", "! -i ", "-s fd00:77::/64"} {
		if !strings.Contains(after, want) {
			t.Errorf("no rule with %q after the restart:\n%s", want, after)
		}
	}
	if strings.Count(after, "\n-A ") != strings.Count(before, "\n-A ") {
		t.Errorf("the restart changed the rules:\nbefore\n%s\nafter\n%s", before, after)
	}

	for _, args := range [][]string{{"rm", "-f", "fw-once-c"}, {"network", "rm", "fw-once", "fw-once-int", "fw-once-v6"}} {
		if r := e.run("wharf", args...); r.code != 0 {
			t.Fatalf("%v: %s", args, r.stderr)
		}
	}
	left := saved()
	for _, gone := range []string{"18080", "8081", "fd00:77::", "! -i "} {
		if strings.Contains(left, gone) {
			t.Errorf("a rule with %q is left after removing the container and networks:\n%s", gone, left)
		}
	}
}
