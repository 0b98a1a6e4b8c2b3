//go:build integration

package integration

import (
	"sort"
	"strings"
	"testing"
)

// Create refuses a restart policy dockerd refuses, with its 400 and the
// words of the client's API version.
func TestSDKRestartPolicyValidation(t *testing.T) {
	out := pythonSDK(t, `
for policy in ({"Name": "on-failure", "MaximumRetryCount": -1}, {"Name": "always", "MaximumRetryCount": 3}):
    try:
        c = client.containers.create("busybox", "true", restart_policy=policy)
        c.remove()
        print("created")
    except docker.errors.APIError as e:
        print(e.status_code, e.explanation)
`)
	// At 1.41, dockerd 20.10's words (the compat gate RestartPolicyWords).
	want := "400 maximum retry count cannot be negative\n" +
		"400 maximum retry count cannot be used with restart policy 'always'\n"
	if out != want {
		t.Fatalf("python3-docker printed\n%s\nwant\n%s", out, want)
	}
	// The docker CLI speaks the newest version: engine 25's words.
	r := testEnv.run("docker", "create", "--restart", "on-failure:-1", "busybox", "true")
	if r.code == 0 || !strings.Contains(r.stderr, "invalid restart policy: maximum retry count cannot be negative") {
		t.Fatalf("docker create --restart on-failure:-1: exit %d %s", r.code, r.stderr)
	}
}

// GroupAdd gives the container's processes, and its execs, supplementary
// groups: numeric ones as they are, names through the container's
// /etc/group.
func TestGroupAdd(t *testing.T) {
	gids := func(s string) string {
		f := strings.Fields(s)
		sort.Strings(f)
		return strings.Join(f, " ")
	}
	out := pythonSDK(t, `print(client.containers.run("busybox", "id -G", group_add=["1234", "daemon"], remove=True).decode().strip())`)
	if got := gids(out); got != "0 1 1234" {
		t.Errorf("python3-docker run with group_add: id -G %q, want 0 1 1234", got)
	}
	name := uniqueName(t, "c")
	runDetached(t, "docker", name, "--group-add", "daemon", "--group-add", "1234", "busybox", "sleep", "300")
	if got := gids(cli(t, "docker", "exec", name, "id", "-G")); got != "0 1 1234" {
		t.Errorf("exec: id -G %q, want 0 1 1234", got)
	}
	if got := gids(cli(t, "docker", "exec", "-u", "nobody", name, "id", "-G")); got != "1 1234 65534" {
		t.Errorf("exec -u nobody: id -G %q, want 1 1234 65534", got)
	}
	r := testEnv.run("docker", "run", "--rm", "--group-add", "nosuchgroup", "busybox", "true")
	if r.code == 0 || !strings.Contains(r.stderr, "nosuchgroup") {
		t.Errorf("run --group-add nosuchgroup: exit %d, %s", r.code, r.stderr)
	}
}

// Devices puts a host device in the container and allows it;
// DeviceCgroupRules allows devices the container makes itself.
func TestDevicesAndCgroupRules(t *testing.T) {
	out := pythonSDK(t, `
print(client.containers.run("busybox", "sh -c 'ls -l /dev/mynull | cut -c1; echo hi > /dev/mynull && echo written'",
      devices=["/dev/null:/dev/mynull:rwm"], remove=True).decode(), end="")
probe = "sh -c 'mknod /tmp/f c 10 229 && (exec 3</tmp/f) 2>/dev/null && echo opened || echo refused'"
print(client.containers.run("busybox", probe, remove=True).decode(), end="")
print(client.containers.run("busybox", probe, device_cgroup_rules=["c 10:229 rwm"], remove=True).decode(), end="")
try:
    client.containers.create("busybox", "true", device_cgroup_rules=["x 1:2 r"])
except docker.errors.APIError as e:
    print(e.status_code, e.explanation)
`)
	want := "c\nwritten\nrefused\nopened\n400 invalid device cgroup rule format: 'x 1:2 r'\n"
	if out != want {
		t.Fatalf("python3-docker printed\n%s\nwant\n%s", out, want)
	}
	r := testEnv.run("docker", "run", "--rm", "--device", "/dev/nonexistent", "busybox", "true")
	if r.code == 0 || !strings.Contains(r.stderr, `error gathering device information while adding custom device "/dev/nonexistent"`) {
		t.Fatalf("run --device /dev/nonexistent: exit %d %s", r.code, r.stderr)
	}
}

// Config.MacAddress (API 1.41, as python3-docker sends it) is the
// container's address on its network.
func TestSDKMacAddress(t *testing.T) {
	out := pythonSDK(t, `
c = client.containers.run("busybox", "cat /sys/class/net/eth0/address", mac_address="02:42:ac:11:00:99", detach=True)
c.wait()
print(c.logs().decode().strip(), api.inspect_container(c.id)["NetworkSettings"]["Networks"]["bridge"]["MacAddress"])
c.remove()
`)
	if out != "02:42:ac:11:00:99 02:42:ac:11:00:99\n" {
		t.Fatalf("mac_address: %q", out)
	}
}
