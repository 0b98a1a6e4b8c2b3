package network

import (
	"encoding/json"
	"testing"

	"github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/network"
)

// FuzzResolvePorts: any -p bindings a client sends resolve to mappings
// within the port range, or are refused with a 400.
func FuzzResolvePorts(f *testing.F) {
	for _, s := range []string{
		`{"80/tcp":[{"HostPort":"8080"}]}`,
		`{"53/udp":[{"HostIp":"127.0.0.1","HostPort":"5300-5310"}]}`,
		`{"80/sctp":[{"HostPort":""}]}`,
		`{"80/tcp":[{"HostPort":"9-1"}],"81":[{"HostPort":"-1"}]}`,
	} {
		f.Add([]byte(s), true)
	}
	f.Fuzz(func(t *testing.T, body []byte, publishAll bool) {
		var bindings network.PortMap
		if json.Unmarshal(body, &bindings) != nil {
			return
		}
		exposed := network.PortSet{}
		for p := range bindings {
			exposed[p] = struct{}{}
		}
		out, err := ResolvePorts(bindings, exposed, publishAll)
		if err != nil {
			if !errdefs.IsInvalidArgument(err) {
				t.Fatalf("%s: %v is not a 400", body, err)
			}
			return
		}
		for _, m := range out {
			if m.HostPort < 0 || m.HostPort > 65535 || m.HostPortEnd < 0 || m.HostPortEnd > 65535 ||
				(m.HostPortEnd != 0 && m.HostPortEnd < m.HostPort) || m.ContainerPort < 0 || m.ContainerPort > 65535 {
				t.Fatalf("%s: mapping %+v", body, m)
			}
		}
	})
}
