//go:build integration

package integration

import (
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// swarmCLI runs a CLI against a daemon of the test's and fails unless it
// exits 0.
//
// An update that loses a race with the swarm's own writes to the same
// object (a node's certificate renewal or status after a role change)
// fails with swarmkit's "update out of sequence", and a membership change
// that overlaps a leader's housekeeping with "raft proposal dropped";
// dockerd answers both the same way and the CLI reads the object afresh
// when run again, which is what a user's script does.
func swarmCLI(t *testing.T, e *env, c string, args ...string) string {
	t.Helper()
	r := e.run(c, args...)
	for try := 0; try < 10 && r.code != 0 && (strings.Contains(r.stderr, "update out of sequence") || strings.Contains(r.stderr, "raft proposal dropped")); try++ {
		time.Sleep(500 * time.Millisecond)
		r = e.run(c, args...)
	}
	if r.code != 0 {
		t.Fatalf("%s %s: exit %d\nstdout: %s\nstderr: %s", c, strings.Join(args, " "), r.code, r.stdout, r.stderr)
	}
	return r.stdout
}

// taskContainers lists the running containers of service svc, by name.
func taskContainers(e *env, svc string) []string {
	r := e.run("docker", "ps", "--filter", "label=com.docker.swarm.service.name="+svc, "--format", "{{.Names}}")
	return lines(r.stdout)
}

// TestSwarmSingleNode is Swarm mode on one wharfd, driven by the official
// docker CLI and by wharf: the errors before a swarm exists, init,
// services with replicas (the blocking create with its progress), scale,
// update, a secret read inside a task, mode=host ports, drain, a kill -9
// of wharfd whose tasks are reconciled rather than recreated, rm and
// leave leaving no container.
func TestSwarmSingleNode(t *testing.T) {
	e := privateDaemon(t, "{}")

	// Before a swarm exists.
	if got := strings.TrimSpace(swarmCLI(t, e, "docker", "info", "--format", "{{.Swarm.LocalNodeState}}")); got != "inactive" {
		t.Errorf("swarm state before init: %q", got)
	}
	for _, c := range clis {
		r := e.run(c, "service", "ls")
		if r.code == 0 || !strings.Contains(r.stderr, `This node is not a swarm manager. Use "docker swarm init" or "docker swarm join" to connect this node to swarm and try again.`) {
			t.Errorf("%s service ls before init: %d %q", c, r.code, r.stderr)
		}
		if r := e.run(c, "swarm", "leave"); r.code == 0 || !strings.Contains(r.stderr, "This node is not part of a swarm") {
			t.Errorf("%s swarm leave before init: %d %q", c, r.code, r.stderr)
		}
	}

	addr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	out := swarmCLI(t, e, "docker", "swarm", "init", "--advertise-addr", addr, "--listen-addr", addr)
	if !strings.Contains(out, "Swarm initialized: current node (") || !strings.Contains(out, "docker swarm join --token SWMTKN-1-") {
		t.Errorf("swarm init: %q", out)
	}
	t.Cleanup(func() { e.run("docker", "swarm", "leave", "--force") })
	info := strings.Fields(swarmCLI(t, e, "docker", "info", "--format", "{{.Swarm.LocalNodeState}} {{.Swarm.ControlAvailable}} {{.Swarm.Managers}} {{.Swarm.Nodes}} {{.Swarm.NodeID}}"))
	if len(info) != 5 || strings.Join(info[:4], " ") != "active true 1 1" || info[4] == "" {
		t.Errorf("info after init: %v", info)
	}
	if r := e.run("docker", "swarm", "init", "--advertise-addr", addr); r.code == 0 || !strings.Contains(r.stderr, "This node is already part of a swarm") {
		t.Errorf("second init: %d %q", r.code, r.stderr)
	}
	swarmCLI(t, e, "docker", "swarm", "update", "--dispatcher-heartbeat", "2s", "--task-history-limit", "3")
	if got := strings.TrimSpace(swarmCLI(t, e, "docker", "info", "--format", "{{.Swarm.Cluster.Spec.Dispatcher.HeartbeatPeriod}} {{.Swarm.Cluster.Spec.Orchestration.TaskHistoryRetentionLimit}}")); got != "2s 3" {
		t.Errorf("swarm spec after update: %q", got)
	}
	if tok := swarmCLI(t, e, "wharf", "swarm", "join-token", "-q", "manager"); !strings.HasPrefix(tok, "SWMTKN-1-") {
		t.Errorf("join-token: %q", tok)
	}
	nodes := swarmCLI(t, e, "wharf", "node", "ls", "--format", "{{.Self}} {{.Status}} {{.Availability}} {{.ManagerStatus}}")
	if strings.TrimSpace(nodes) != "true Ready Active Leader" {
		t.Errorf("node ls: %q", nodes)
	}

	// A blocking create shows docker's progress and converges.
	out = swarmCLI(t, e, "docker", "service", "create", "--name", "web", "--replicas", "3", "--stop-grace-period", "1s", "busybox", "sleep", "100000")
	if !strings.Contains(out, "overall progress: 3 out of 3 tasks") || !strings.Contains(out, "converged") {
		t.Errorf("service create progress: %q", out)
	}
	if got := strings.TrimSpace(swarmCLI(t, e, "docker", "service", "ls", "--format", "{{.Name}} {{.Mode}} {{.Replicas}}")); got != "web replicated 3/3" {
		t.Errorf("service ls: %q", got)
	}
	names := taskContainers(e, "web")
	if len(names) != 3 {
		t.Fatalf("task containers: %v", names)
	}
	for _, n := range names {
		if parts := strings.Split(n, "."); len(parts) != 3 || parts[0] != "web" || len(parts[2]) != 25 {
			t.Errorf("task container name %q is not <service>.<slot>.<task id>", n)
		}
	}
	if got := swarmCLI(t, e, "wharf", "service", "ps", "web", "--format", "{{.Name}} {{.CurrentState}}"); len(lines(got)) != 3 || strings.Count(got, "Running") != 3 {
		t.Errorf("service ps: %q", got)
	}

	// Scale up and down.
	swarmCLI(t, e, "docker", "service", "scale", "web=5")
	waitFor(t, 30*time.Second, "5 web tasks", func() bool { return len(taskContainers(e, "web")) == 5 })
	swarmCLI(t, e, "wharf", "service", "scale", "--detach", "web=2")
	waitFor(t, 30*time.Second, "2 web tasks", func() bool { return len(taskContainers(e, "web")) == 2 })

	// A secret is readable in its task, at /run/secrets/<name>, and
	// never in inspect.
	if r := e.runIn([]byte("x"), "docker", "secret", "create", "pw", "-"); r.code != 0 {
		t.Fatalf("secret create: %s", r.stderr)
	}
	if r := e.runIn([]byte("s3cr3t"), "docker", "secret", "create", "pw2", "-"); r.code != 0 {
		t.Fatalf("secret create: %s", r.stderr)
	}
	if got := swarmCLI(t, e, "docker", "secret", "inspect", "pw2", "--format", "{{.Spec.Name}} {{len .Spec.Data}}"); strings.TrimSpace(got) != "pw2 0" {
		t.Errorf("secret inspect: %q", got)
	}
	if r := e.runIn(make([]byte, 600*1024), "docker", "secret", "create", "big", "-"); r.code == 0 {
		t.Error("a secret over 500 KB was accepted")
	}
	swarmCLI(t, e, "docker", "service", "create", "-d", "--name", "sec", "--secret", "pw2", "--stop-grace-period", "1s", "busybox", "sleep", "100000")
	waitFor(t, 30*time.Second, "the sec task", func() bool { return len(taskContainers(e, "sec")) == 1 })
	if got := swarmCLI(t, e, "docker", "exec", taskContainers(e, "sec")[0], "cat", "/run/secrets/pw2"); got != "s3cr3t" {
		t.Errorf("secret in the task: %q", got)
	}
	if got := swarmCLI(t, e, "docker", "secret", "ls", "--format", "{{.Name}}"); strings.Join(lines(got), " ") != "pw pw2" {
		t.Errorf("secret ls: %q", got)
	}

	// service logs gathers the task's lines through the managers, with
	// docker's task@node prefix.
	swarmCLI(t, e, "docker", "service", "create", "-d", "--name", "talk", "--stop-grace-period", "1s", "busybox", "sh", "-c", "echo hello-from-task; echo oops >&2; sleep 100000")
	waitFor(t, 30*time.Second, "the talk task's lines in service logs", func() bool {
		r := e.run("docker", "service", "logs", "talk")
		return strings.Contains(r.stdout, "talk.1.") && strings.Contains(r.stdout, "| hello-from-task") && strings.Contains(r.stderr, "| oops")
	})
	if r := e.run("wharf", "service", "logs", "--raw", "--no-task-ids", "talk"); strings.TrimSpace(r.stdout) != "hello-from-task" {
		t.Errorf("service logs --raw: %q %q", r.stdout, r.stderr)
	}

	// mode=host ports (the routing mesh's ports: mesh_test.go).
	port := freePort(t)
	swarmCLI(t, e, "docker", "service", "create", "-d", "--name", "hp", "--stop-grace-period", "1s",
		"--publish", fmt.Sprintf("mode=host,target=80,published=%d", port), "busybox", "httpd", "-f", "-p", "80")
	waitFor(t, 30*time.Second, "the hp task answering on its host port", func() bool {
		resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/", port))
		if err != nil {
			return false
		}
		resp.Body.Close()
		return true
	})

	// A rolling update replaces the tasks.
	swarmCLI(t, e, "docker", "service", "update", "--env-add", "FOO=bar", "web")
	waitFor(t, 30*time.Second, "updated web tasks", func() bool {
		names := taskContainers(e, "web")
		if len(names) != 2 {
			return false
		}
		for _, n := range names {
			if !strings.Contains(e.run("docker", "inspect", "--format", "{{.Config.Env}}", n).stdout, "FOO=bar") {
				return false
			}
		}
		return true
	})

	// kill -9 of wharfd: its tasks keep running, and the restarted
	// daemon takes them back by task ID instead of recreating them.
	before := strings.Join(lines(swarmCLI(t, e, "docker", "ps", "-q", "--no-trunc")), " ")
	e.stopDaemon(syscall.SIGKILL)
	if err := e.startDaemon(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 60*time.Second, "the restarted manager", func() bool {
		return strings.TrimSpace(e.run("docker", "info", "--format", "{{.Swarm.LocalNodeState}} {{.Swarm.ControlAvailable}}").stdout) == "active true"
	})
	waitFor(t, 30*time.Second, "web 2/2 after the restart", func() bool {
		return strings.TrimSpace(e.run("docker", "service", "ls", "--filter", "name=web", "--format", "{{.Replicas}}").stdout) == "2/2"
	})
	time.Sleep(3 * time.Second) // time for a wrong reconcile to show
	if after := strings.Join(lines(swarmCLI(t, e, "docker", "ps", "-q", "--no-trunc")), " "); after != before {
		t.Errorf("containers after the restart:\n%s\nbefore:\n%s", after, before)
	}

	// Drain moves the tasks away (here: nowhere, so they wait).
	swarmCLI(t, e, "docker", "node", "update", "--availability", "drain", "self")
	waitFor(t, 30*time.Second, "no web task on the drained node", func() bool { return len(taskContainers(e, "web")) == 0 })
	// The replacement tasks appear once the old ones have shut down.
	waitOutput(t, 30*time.Second, "pending tasks on a drained swarm", func() (string, bool) {
		got := swarmCLI(t, e, "docker", "service", "ps", "web", "--filter", "desired-state=running", "--format", "{{.CurrentState}} {{.Error}}")
		return got, strings.Contains(got, "Pending") && strings.Contains(got, "no suitable node")
	})
	swarmCLI(t, e, "docker", "node", "update", "--availability", "active", "self")
	waitFor(t, 30*time.Second, "web back after drain", func() bool { return len(taskContainers(e, "web")) == 2 })

	// rm leaves no container; leave leaves no swarm.
	swarmCLI(t, e, "docker", "service", "rm", "web", "sec", "hp", "talk")
	waitFor(t, 60*time.Second, "no task container", func() bool {
		return strings.TrimSpace(e.run("docker", "ps", "-aq", "--filter", "label=com.docker.swarm.task").stdout) == ""
	})
	swarmCLI(t, e, "docker", "secret", "rm", "pw", "pw2")
	swarmCLI(t, e, "docker", "swarm", "leave", "--force")
	if got := strings.TrimSpace(swarmCLI(t, e, "docker", "info", "--format", "{{.Swarm.LocalNodeState}}")); got != "inactive" {
		t.Errorf("swarm state after leave: %q", got)
	}
}

// netnsPair makes two network namespaces joined by a veth, with
// addrA and addrB (a /24) only inside them, removed when the test ends.
func netnsPair(t *testing.T, addrA, addrB string) (nsA, nsB string) {
	t.Helper()
	id := os.Getpid() % 100000
	nsA, nsB = fmt.Sprintf("wharf-swa-%d", id), fmt.Sprintf("wharf-swb-%d", id)
	vethA, vethB := fmt.Sprintf("wswa%d", id), fmt.Sprintf("wswb%d", id)
	t.Cleanup(func() {
		exec.Command("ip", "netns", "del", nsA).Run()
		exec.Command("ip", "netns", "del", nsB).Run()
		exec.Command("ip", "link", "del", vethA).Run()
	})
	for _, cmd := range [][]string{
		{"ip", "netns", "add", nsA},
		{"ip", "netns", "add", nsB},
		{"ip", "link", "add", vethA, "type", "veth", "peer", "name", vethB},
		{"ip", "link", "set", vethA, "netns", nsA},
		{"ip", "link", "set", vethB, "netns", nsB},
		{"ip", "-n", nsA, "addr", "add", addrA + "/24", "dev", vethA},
		{"ip", "-n", nsB, "addr", "add", addrB + "/24", "dev", vethB},
		{"ip", "-n", nsA, "link", "set", vethA, "up"},
		{"ip", "-n", nsB, "link", "set", vethB, "up"},
		{"ip", "-n", nsA, "link", "set", "lo", "up"},
		{"ip", "-n", nsB, "link", "set", "lo", "up"},
	} {
		if out, err := exec.Command(cmd[0], cmd[1:]...).CombinedOutput(); err != nil {
			t.Fatalf("%v: %v\n%s", cmd, err, out)
		}
	}
	return nsA, nsB
}

// netnsDaemon is a wharfd of the test's in network namespace ns (entered
// with nsenter --net, which keeps the host's /sys and cgroups) and a UTS
// namespace of its own named hostname, so `node ls` tells the nodes apart.
func netnsDaemon(t *testing.T, ns, hostname string) *env {
	return privateDaemon(t, "{}", "nsenter", "--net=/run/netns/"+ns, "unshare", "--uts",
		"sh", "-c", `hostname "$0" && exec "$@"`, hostname)
}

// TestSwarmTwoNodes joins a worker to a manager, two wharfd in two
// network namespaces over a veth, and checks that replicas spread over
// both and follow a scale.
func TestSwarmTwoNodes(t *testing.T) {
	const addrA, addrB = "10.231.77.1", "10.231.77.2"
	nsA, nsB := netnsPair(t, addrA, addrB)
	a := netnsDaemon(t, nsA, "swarm-a")
	b := netnsDaemon(t, nsB, "swarm-b")

	swarmCLI(t, a, "docker", "swarm", "init", "--advertise-addr", addrA)
	t.Cleanup(func() { a.run("docker", "swarm", "leave", "--force") })
	token := strings.TrimSpace(swarmCLI(t, a, "docker", "swarm", "join-token", "-q", "worker"))
	if r := b.run("docker", "swarm", "join", "--token", "SWMTKN-1-"+strings.Repeat("0", 50)+"-"+strings.Repeat("0", 25), addrA+":2377"); r.code == 0 {
		t.Error("join with a wrong token succeeded")
	}
	out := swarmCLI(t, b, "wharf", "swarm", "join", "--token", token, addrA+":2377")
	if !strings.Contains(out, "This node joined a swarm as a worker.") {
		t.Errorf("join: %q", out)
	}
	t.Cleanup(func() { b.run("docker", "swarm", "leave", "--force") })
	waitFor(t, 30*time.Second, "two ready nodes", func() bool {
		return strings.TrimSpace(a.run("docker", "node", "ls", "--format", "{{.Hostname}} {{.Status}}").stdout) == "swarm-a Ready\nswarm-b Ready" ||
			strings.TrimSpace(a.run("docker", "node", "ls", "--format", "{{.Hostname}} {{.Status}}").stdout) == "swarm-b Ready\nswarm-a Ready"
	})
	if got := strings.TrimSpace(swarmCLI(t, b, "docker", "info", "--format", "{{.Swarm.LocalNodeState}} {{.Swarm.ControlAvailable}}")); got != "active false" {
		t.Errorf("worker info: %q", got)
	}
	if r := b.run("docker", "service", "ls"); r.code == 0 || !strings.Contains(r.stderr, "Worker nodes can't be used to view or modify cluster state") {
		t.Errorf("service ls on the worker: %d %q", r.code, r.stderr)
	}

	swarmCLI(t, a, "docker", "service", "create", "-d", "--name", "spread", "--replicas", "4", "--stop-grace-period", "1s", "busybox", "sleep", "100000")
	waitFor(t, 60*time.Second, "4 tasks spread 2+2", func() bool {
		return len(taskContainers(a, "spread")) == 2 && len(taskContainers(b, "spread")) == 2
	})
	swarmCLI(t, a, "docker", "service", "scale", "-d", "spread=6")
	waitFor(t, 60*time.Second, "6 tasks spread 3+3", func() bool {
		return len(taskContainers(a, "spread")) == 3 && len(taskContainers(b, "spread")) == 3
	})
	swarmCLI(t, a, "docker", "service", "rm", "spread")
	waitFor(t, 60*time.Second, "no task container on either node", func() bool {
		return strings.TrimSpace(a.run("docker", "ps", "-aq", "--filter", "label=com.docker.swarm.task").stdout) == "" &&
			strings.TrimSpace(b.run("docker", "ps", "-aq", "--filter", "label=com.docker.swarm.task").stdout) == ""
	})
	swarmCLI(t, b, "docker", "swarm", "leave")
	swarmCLI(t, a, "docker", "swarm", "leave", "--force")
}
