//go:build integration

package integration

import (
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
