package container

import (
	"testing"

	"github.com/moby/moby/api/types/container"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func TestAddDevices(t *testing.T) {
	s := &specs.Spec{Linux: &specs.Linux{Resources: &specs.LinuxResources{}}}
	hc := &container.HostConfig{Resources: container.Resources{
		Devices:           []container.DeviceMapping{{PathOnHost: "/dev/null", PathInContainer: "/dev/mynull", CgroupPermissions: "rw"}},
		DeviceCgroupRules: []string{"c 42:* rmw", "a *:* m"},
	}}
	if err := addDevices(s, hc); err != nil {
		t.Fatal(err)
	}
	if len(s.Linux.Devices) != 1 || s.Linux.Devices[0].Path != "/dev/mynull" || s.Linux.Devices[0].Type != "c" || s.Linux.Devices[0].Major != 1 || s.Linux.Devices[0].Minor != 3 {
		t.Fatalf("devices %+v", s.Linux.Devices)
	}
	r := s.Linux.Resources.Devices
	if len(r) != 3 || r[0].Access != "rw" || *r[0].Major != 1 || *r[0].Minor != 3 ||
		r[1].Type != "c" || *r[1].Major != 42 || *r[1].Minor != -1 || r[1].Access != "rmw" ||
		r[2].Type != "a" || *r[2].Major != -1 || r[2].Access != "m" {
		t.Fatalf("rules %+v", r)
	}
	if err := addDevices(s, &container.HostConfig{Resources: container.Resources{Devices: []container.DeviceMapping{{PathOnHost: "/nonexistent"}}}}); err == nil ||
		err.Error() != `error gathering device information while adding custom device "/nonexistent": no such file or directory` {
		t.Fatalf("missing device: %v", err)
	}
	if err := validateDeviceCgroupRules([]string{"x 1:2 r"}); err == nil || err.Error() != "invalid device cgroup rule format: 'x 1:2 r'" {
		t.Fatalf("bad rule: %v", err)
	}
}
