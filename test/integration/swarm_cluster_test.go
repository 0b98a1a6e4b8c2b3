//go:build integration

package integration

import (
	"fmt"
	"os"
	"os/exec"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"
)

// netnsStar makes len(addrs) network namespaces, each joined by a veth
// to one bridge in a hub namespace of its own, with addrs[i] (a /24)
// inside namespace i only. link(i, up) cuts or restores namespace i's
// veth: the node drops off the network while its daemon runs on. All of
// it goes when the test ends (deleting a namespace deletes its veths).
func netnsStar(t *testing.T, addrs ...string) (ns []string, link func(i int, up bool)) {
	t.Helper()
	id := os.Getpid() % 100000
	hub := fmt.Sprintf("wharf-swh-%d", id)
	run := func(cmd ...string) {
		t.Helper()
		if out, err := exec.Command(cmd[0], cmd[1:]...).CombinedOutput(); err != nil {
			t.Fatalf("%v: %v\n%s", cmd, err, out)
		}
	}
	t.Cleanup(func() {
		for _, n := range ns {
			exec.Command("ip", "netns", "del", n).Run()
		}
		exec.Command("ip", "netns", "del", hub).Run()
	})
	run("ip", "netns", "add", hub)
	run("ip", "-n", hub, "link", "add", "br0", "type", "bridge")
	run("ip", "-n", hub, "link", "set", "br0", "up")
	for i, a := range addrs {
		n := fmt.Sprintf("wharf-sw%d-%d", i, id)
		ns = append(ns, n)
		inner, outer := fmt.Sprintf("wsw%d-%d", i, id), fmt.Sprintf("wsh%d-%d", i, id)
		run("ip", "netns", "add", n)
		run("ip", "link", "add", inner, "netns", n, "type", "veth", "peer", "name", outer, "netns", hub)
		run("ip", "-n", hub, "link", "set", outer, "master", "br0", "up")
		run("ip", "-n", n, "addr", "add", a+"/24", "dev", inner)
		run("ip", "-n", n, "link", "set", inner, "up")
		run("ip", "-n", n, "link", "set", "lo", "up")
	}
	link = func(i int, up bool) {
		t.Helper()
		state := "down"
		if up {
			state = "up"
		}
		run("ip", "-n", hub, "link", "set", fmt.Sprintf("wsh%d-%d", i, id), state)
	}
	return ns, link
}

// netnsNodes starts a wharfd in each namespace of a star (netnsStar),
// named name-1, name-2, …, each leaving its swarm at cleanup.
func netnsNodes(t *testing.T, name string, addrs ...string) (nodes []*env, ns []string, link func(i int, up bool)) {
	ns, link = netnsStar(t, addrs...)
	for i := range addrs {
		e := netnsDaemon(t, ns[i], fmt.Sprintf("%s-%d", name, i+1))
		nodes = append(nodes, e)
		t.Cleanup(func() { e.run("docker", "swarm", "leave", "--force") })
	}
	return nodes, ns, link
}

// nodeTable is `docker node ls` as "hostname status availability
// manager-status" lines, sorted.
func nodeTable(e *env) string {
	l := lines(e.run("docker", "node", "ls", "--format", "{{.Hostname}} {{.Status}} {{.Availability}} {{.ManagerStatus}}").stdout)
	sort.Strings(l)
	return strings.Join(l, "\n")
}

// TestSwarmCluster is one three-node cluster (three wharfd in three
// network namespaces on one bridge) that every multi-node scenario
// shares, in order: a global service gets a task on a node that joins;
// labels and constraints place tasks on the labelled node; three
// managers keep working without one of them and refuse writes with
// docker's quorum error without two; promote and demote; a worker cut
// off the network has its tasks rescheduled after the (shortened)
// heartbeat, and a down node is removed; kill -9 of a worker's and the
// manager's daemons loses no task.
func TestSwarmCluster(t *testing.T) {
	addrs := []string{"10.231.78.1", "10.231.78.2", "10.231.78.3"}
	nodes, _, link := netnsNodes(t, "swarm", addrs...)
	a, b, c := nodes[0], nodes[1], nodes[2]

	swarmCLI(t, a, "docker", "swarm", "init", "--advertise-addr", addrs[0])
	// Node loss is noticed after three heartbeat periods: 1 s here
	// instead of docker's 5 s.
	swarmCLI(t, a, "docker", "swarm", "update", "--dispatcher-heartbeat", "1s")
	token := strings.TrimSpace(swarmCLI(t, a, "docker", "swarm", "join-token", "-q", "worker"))
	swarmCLI(t, b, "docker", "swarm", "join", "--token", token, addrs[0]+":2377")

	t.Run("global", func(t *testing.T) {
		swarmCLI(t, a, "docker", "service", "create", "-d", "--name", "g", "--mode", "global", "--stop-grace-period", "1s", "busybox", "sleep", "100000")
		waitFor(t, 60*time.Second, "one g task on each of two nodes", func() bool {
			return len(taskContainers(a, "g")) == 1 && len(taskContainers(b, "g")) == 1
		})
		// The managers count a task once its node has reported it running.
		waitOutput(t, 30*time.Second, "service ls global 2/2", func() (string, bool) {
			got := strings.TrimSpace(a.run("docker", "service", "ls", "--filter", "name=g", "--format", "{{.Mode}} {{.Replicas}}").stdout)
			return got, got == "global 2/2"
		})
		nodeID := strings.TrimSpace(swarmCLI(t, b, "docker", "info", "--format", "{{.Swarm.NodeID}}"))
		if names := taskContainers(b, "g"); len(names) != 1 || !strings.HasPrefix(names[0], "g."+nodeID+".") {
			t.Errorf("a global task's container is not <service>.<node id>.<task id>: %v", names)
		}
		// A node that joins gets its task.
		out := swarmCLI(t, c, "wharf", "swarm", "join", "--token", token, addrs[0]+":2377")
		if !strings.Contains(out, "This node joined a swarm as a worker.") {
			t.Errorf("join: %q", out)
		}
		waitFor(t, 60*time.Second, "a g task on the new node", func() bool { return len(taskContainers(c, "g")) == 1 })
		waitFor(t, 30*time.Second, "g 3/3", func() bool {
			return strings.TrimSpace(a.run("docker", "service", "ls", "--filter", "name=g", "--format", "{{.Replicas}}").stdout) == "3/3"
		})
		swarmCLI(t, a, "docker", "service", "rm", "g")
	})
	if t.Failed() {
		return
	}

	t.Run("constraints", func(t *testing.T) {
		swarmCLI(t, a, "docker", "node", "update", "--label-add", "disk=ssd", "swarm-2")
		swarmCLI(t, a, "docker", "service", "create", "-d", "--name", "ssd", "--replicas", "3", "--constraint", "node.labels.disk==ssd",
			"--stop-grace-period", "1s", "busybox", "sleep", "100000")
		waitFor(t, 60*time.Second, "3 ssd tasks, all on swarm-2", func() bool { return len(taskContainers(b, "ssd")) == 3 })
		if n := len(taskContainers(a, "ssd")) + len(taskContainers(c, "ssd")); n != 0 {
			t.Errorf("%d ssd tasks off the labelled node", n)
		}
		got := swarmCLI(t, a, "docker", "node", "ps", "swarm-2", "--filter", "name=ssd", "--format", "{{.Node}} {{.DesiredState}}")
		if l := lines(got); len(l) != 3 || strings.Count(got, "swarm-2 Running") != 3 {
			t.Errorf("node ps swarm-2: %q", got)
		}
		got = swarmCLI(t, a, "docker", "service", "ps", "ssd", "--format", "{{.Node}}")
		if strings.Count(got, "swarm-2") != 3 {
			t.Errorf("service ps ssd: %q", got)
		}
		swarmCLI(t, a, "docker", "service", "rm", "ssd")
		swarmCLI(t, a, "docker", "node", "update", "--label-rm", "disk", "swarm-2")
	})

	// kill -9 of a worker's and then of the manager's wharfd: the tasks'
	// containers outlive them, and each restarted daemon takes its tasks
	// back rather than making new ones (no task fails, none is added).
	t.Run("kill -9", func(t *testing.T) {
		// Restarts must beat the node-down grace: three 5 s heartbeats.
		swarmCLI(t, a, "docker", "swarm", "update", "--dispatcher-heartbeat", "5s")
		defer swarmCLI(t, a, "docker", "swarm", "update", "--dispatcher-heartbeat", "1s")
		swarmCLI(t, a, "docker", "service", "create", "-d", "--name", "k", "--mode", "global", "--stop-grace-period", "1s", "busybox", "sleep", "100000")
		defer a.run("docker", "service", "rm", "k")
		waitOutput(t, 60*time.Second, "k 3/3", func() (string, bool) {
			got := strings.TrimSpace(a.run("docker", "service", "ls", "--filter", "name=k", "--format", "{{.Replicas}}").stdout)
			return got, got == "3/3"
		})
		before := [][]string{taskContainers(a, "k"), taskContainers(b, "k"), taskContainers(c, "k")}
		for _, n := range []*env{c, a} {
			n.stopDaemon(syscall.SIGKILL)
			if err := n.startDaemon(); err != nil {
				t.Fatal(err)
			}
		}
		waitOutput(t, 60*time.Second, "k 3/3 after the restarts", func() (string, bool) {
			got := strings.TrimSpace(a.run("docker", "service", "ls", "--filter", "name=k", "--format", "{{.Replicas}}").stdout)
			return got, got == "3/3"
		})
		after := [][]string{taskContainers(a, "k"), taskContainers(b, "k"), taskContainers(c, "k")}
		if fmt.Sprint(after) != fmt.Sprint(before) {
			t.Errorf("task containers before %v, after %v", before, after)
		}
		if got := lines(a.run("docker", "service", "ps", "k", "--format", "{{.CurrentState}}").stdout); len(got) != 3 {
			t.Errorf("tasks of k after the restarts: %q", got)
		}
		waitFor(t, 30*time.Second, "three ready nodes", func() bool { return strings.Count(nodeTable(a), "Ready Active") == 3 })
	})
	if t.Failed() {
		return
	}

	t.Run("managers", func(t *testing.T) {
		swarmCLI(t, a, "docker", "node", "promote", "swarm-2", "swarm-3")
		want := "swarm-1 Ready Active Leader\nswarm-2 Ready Active Reachable\nswarm-3 Ready Active Reachable"
		waitFor(t, 60*time.Second, "three managers", func() bool { return nodeTable(a) == want })
		waitFor(t, 30*time.Second, "swarm-3 answering as a manager", func() bool { return nodeTable(c) == want })
		if got := strings.TrimSpace(swarmCLI(t, c, "docker", "info", "--format", "{{.Swarm.Managers}} {{.Swarm.Nodes}} {{.Swarm.ControlAvailable}}")); got != "3 3 true" {
			t.Errorf("info on swarm-3: %q", got)
		}

		// Without one manager the other two are a quorum.
		link(2, false)
		swarmCLI(t, b, "docker", "service", "create", "-d", "--name", "q", "--replicas", "2", "--stop-grace-period", "1s", "busybox", "sleep", "100000")
		waitFor(t, 60*time.Second, "swarm-3 unreachable", func() bool {
			return strings.Contains(nodeTable(a), "swarm-3 Down Active Unreachable")
		})
		// Without two, requests fail with docker's words.
		link(1, false)
		waitFor(t, 60*time.Second, "the lost quorum refusing writes", func() bool {
			r := a.run("docker", "service", "scale", "-d", "q=3")
			return r.code != 0 && strings.Contains(r.stderr, "The swarm does not have a leader. It's possible that too few managers are online. Make sure more than half of the managers are online.")
		})
		link(1, true)
		link(2, true)
		waitFor(t, 120*time.Second, "the quorum back", func() bool {
			return a.run("docker", "service", "scale", "-d", "q=3").code == 0
		})
		// A healed partition takes a while: a new election, then each
		// agent's session back off (up to 8 s) before it reconnects.
		waitOutput(t, 120*time.Second, "three ready, reachable managers again", func() (string, bool) {
			l := nodeTable(a)
			return l, strings.Count(l, "Ready Active") == 3 && strings.Count(l, "Leader")+strings.Count(l, "Reachable") == 3
		})
		swarmCLI(t, a, "docker", "service", "rm", "q")

		// One at a time: demoting the second while the first's raft
		// membership change is in flight can fail with swarmkit's "raft
		// proposal dropped" (dockerd's too); seen once in the whole suite.
		swarmCLI(t, a, "docker", "node", "demote", "swarm-2")
		waitFor(t, 60*time.Second, "two managers", func() bool {
			return strings.TrimSpace(a.run("docker", "info", "--format", "{{.Swarm.Managers}}").stdout) == "2"
		})
		swarmCLI(t, a, "docker", "node", "demote", "swarm-3")
		waitFor(t, 60*time.Second, "one manager again", func() bool {
			return strings.TrimSpace(a.run("docker", "info", "--format", "{{.Swarm.Managers}} {{.Swarm.Nodes}}").stdout) == "1 3" &&
				strings.Count(nodeTable(a), "Ready Active") == 3
		})
		waitFor(t, 30*time.Second, "swarm-3 a worker again", func() bool {
			r := c.run("docker", "node", "ls")
			return r.code != 0 && strings.Contains(r.stderr, "Worker nodes can't be used to view or modify cluster state")
		})
	})
	if t.Failed() {
		return
	}

	t.Run("node loss", func(t *testing.T) {
		swarmCLI(t, a, "docker", "service", "create", "-d", "--name", "lost", "--replicas", "2", "--constraint", "node.role==worker",
			"--restart-delay", "100ms", "--stop-grace-period", "1s", "busybox", "sleep", "100000")
		// Both tasks land on one worker when the other was not ready at
		// the moment they were placed (a just-demoted node's agent
		// reconnects as a worker); swarm does not move running tasks, so,
		// as docker's docs advise, a forced update spreads them again.
		forced := false
		waitOutput(t, 90*time.Second, "a lost task on each worker", func() (string, bool) {
			nb, nc := len(taskContainers(b, "lost")), len(taskContainers(c, "lost"))
			if nb+nc == 2 && nb != 1 && !forced {
				t.Logf("both tasks of lost on one worker (%d, %d): service update --force", nb, nc)
				swarmCLI(t, a, "docker", "service", "update", "-d", "--force", "lost")
				forced = true
			}
			return a.run("docker", "service", "ps", "lost").stdout + nodeTable(a), nb == 1 && nc == 1
		})
		if r := a.run("docker", "node", "rm", "swarm-2"); r.code == 0 || !strings.Contains(r.stderr, "is not down and can't be removed") {
			t.Errorf("node rm of a ready node: %d %q", r.code, r.stderr)
		}
		start := time.Now()
		link(1, false)
		waitFor(t, 60*time.Second, "swarm-2's task rescheduled on swarm-3", func() bool { return len(taskContainers(c, "lost")) == 2 })
		t.Logf("rescheduled %s after the worker was cut off", time.Since(start).Round(100*time.Millisecond))
		if !strings.Contains(nodeTable(a), "swarm-2 Down") {
			t.Errorf("node ls after the loss: %q", nodeTable(a))
		}
		swarmCLI(t, a, "docker", "node", "rm", "swarm-2")
		if got := nodeTable(a); strings.Contains(got, "swarm-2") {
			t.Errorf("node ls after node rm: %q", got)
		}
		// The lost node's task counted as running (its last report, as
		// in docker: "3/2") until the node went.
		waitOutput(t, 30*time.Second, "lost 2/2 after node rm", func() (string, bool) {
			got := strings.TrimSpace(a.run("docker", "service", "ls", "--filter", "name=lost", "--format", "{{.Replicas}}").stdout)
			return got, got == "2/2"
		})
		swarmCLI(t, a, "docker", "service", "rm", "lost")
		link(1, true)
	})
}
