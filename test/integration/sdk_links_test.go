//go:build integration

package integration

import (
	"strings"
	"testing"
)

// Links on a user-defined network are names only the linking container
// resolves, given at run or at network connect; DELETE
// /containers/{parent}/{alias}?link=true (docker rm --link) removes one.
func TestLinksUserNetworkAndRemove(t *testing.T) {
	net := uniqueName(t, "net")
	web, c1, c2, other := uniqueName(t, "web"), uniqueName(t, "c1"), uniqueName(t, "c2"), uniqueName(t, "other")
	cleanupContainers(t, web, c1, c2, other)
	t.Cleanup(func() { testEnv.run("wharf", "network", "rm", net) })
	cli(t, "docker", "network", "create", net)
	runDetached(t, "docker", web, "--network", net, "busybox", "sleep", "300")
	runDetached(t, "docker", c1, "--network", net, "--link", web+":db", "busybox", "sleep", "300")
	if r := testEnv.run("docker", "exec", c1, "nslookup", "db"); !strings.Contains(r.stdout, "Address") || strings.Contains(r.stdout, "can't find db") {
		t.Errorf("--link on a user network: db does not resolve through the network's DNS:\n%s%s", r.stdout, r.stderr)
	}
	// At connect, through python3-docker.
	runDetached(t, "docker", c2, "--network", net, "busybox", "sleep", "300")
	out := pythonSDK(t, `
api.disconnect_container_from_network(sys.argv[2], sys.argv[1])
api.connect_container_to_network(sys.argv[2], sys.argv[1], links=[(sys.argv[3], "webalias")])
print(client.containers.get(sys.argv[2]).exec_run("ping -c1 -W2 webalias").exit_code)
`, net, c2, web)
	if strings.TrimSpace(out) != "0" {
		t.Errorf("network connect with links: ping webalias exit %s", out)
	}
	runDetached(t, "docker", other, "--network", net, "busybox", "sleep", "300")
	if r := testEnv.run("docker", "exec", other, "ping", "-c1", "-W1", "webalias"); r.code == 0 {
		t.Errorf("another container resolves c2's link alias")
	}

	// A legacy link from the default bridge needs its target there too
	// (dockerd's words; its 500 is a 400 here).
	parent, dflt := uniqueName(t, "parent"), uniqueName(t, "dflt")
	cleanupContainers(t, parent, dflt)
	if r := testEnv.run("docker", "run", "-d", "--name", parent, "--link", web+":foo", "busybox", "sleep", "300"); r.code == 0 ||
		!strings.Contains(r.stderr, "Cannot link to /"+web+", as it does not belong to the default network") {
		t.Errorf("link from the default bridge to a user network's container: exit %d %s", r.code, r.stderr)
	}
	testEnv.run("docker", "rm", "-f", parent)

	// docker rm --link on the default bridge's legacy link.
	runDetached(t, "docker", dflt, "busybox", "sleep", "300")
	runDetached(t, "docker", parent, "--link", dflt+":foo", "busybox", "sleep", "300")
	if got := inspectField(t, parent, "{{json .HostConfig.Links}}"); got != `["/`+dflt+`:/`+parent+`/foo"]` {
		t.Errorf("inspect HostConfig.Links: %s", got)
	}
	if r := testEnv.run("docker", "rm", "--link", "/"+parent+"/foo"); r.code != 0 || strings.TrimSpace(r.stdout) != "/"+parent+"/foo" {
		t.Fatalf("docker rm --link: exit %d %s %s", r.code, r.stdout, r.stderr)
	}
	if got := inspectField(t, parent, "{{json .HostConfig.Links}}"); got != "null" {
		t.Errorf("after rm --link, HostConfig.Links: %s", got)
	}
	if r := testEnv.run("docker", "rm", "--link", "/"+parent+"/foo"); r.code == 0 || !strings.Contains(r.stderr, "No such container: /"+parent+"/foo") {
		t.Errorf("second rm --link: exit %d %s", r.code, r.stderr)
	}
}
