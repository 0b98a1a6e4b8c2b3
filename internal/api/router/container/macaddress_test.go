package container

import (
	"testing"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
)

func TestMigrateMACAddress(t *testing.T) {
	// 1.41 (python3-docker): Config.MacAddress goes to the default bridge.
	nc := &network.NetworkingConfig{}
	if _, err := migrateMACAddress("02:42:ac:11:00:99", &container.HostConfig{}, nc, "1.41"); err != nil {
		t.Fatal(err)
	}
	if ep := nc.EndpointsConfig["bridge"]; ep == nil || ep.MacAddress.String() != "02:42:ac:11:00:99" {
		t.Fatalf("endpoints %+v", nc.EndpointsConfig)
	}
	// On a user-defined network, to its endpoint.
	nc = &network.NetworkingConfig{EndpointsConfig: map[string]*network.EndpointSettings{"net1": {Aliases: []string{"a"}}}}
	if _, err := migrateMACAddress("02:42:ac:11:00:98", &container.HostConfig{NetworkMode: "net1"}, nc, "1.41"); err != nil || nc.EndpointsConfig["net1"].MacAddress.String() != "02:42:ac:11:00:98" {
		t.Fatalf("user network: %v %+v", err, nc.EndpointsConfig["net1"])
	}
	if _, err := migrateMACAddress("02:42:ac:11:00:98", &container.HostConfig{NetworkMode: "host"}, &network.NetworkingConfig{}, "1.41"); err == nil || err.Error() != "conflicting options: mac-address and the network mode" {
		t.Fatalf("host network: %v", err)
	}
	if _, err := migrateMACAddress("nope", &container.HostConfig{}, &network.NetworkingConfig{}, "1.41"); err == nil {
		t.Fatal("invalid MAC accepted")
	}
	// 1.44 and later: a warning; an endpoint MAC address that differs is refused.
	nc = &network.NetworkingConfig{}
	if w, err := migrateMACAddress("02:42:ac:11:00:97", &container.HostConfig{}, nc, "1.44"); err != nil || w == "" || nc.EndpointsConfig["bridge"].MacAddress.String() != "02:42:ac:11:00:97" {
		t.Fatalf("1.44: %q %v", w, err)
	}
	nc = &network.NetworkingConfig{EndpointsConfig: map[string]*network.EndpointSettings{"bridge": {MacAddress: network.HardwareAddr{2, 0x42, 0, 0, 0, 1}}}}
	if _, err := migrateMACAddress("02:42:ac:11:00:97", &container.HostConfig{}, nc, "1.44"); err == nil {
		t.Fatal("a differing endpoint MAC address accepted")
	}
}
