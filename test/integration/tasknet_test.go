//go:build integration

package integration

import (
	"encoding/json"
	"maps"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"
)

// checkTaskNetworks asserts, through the docker CLI on node e, that
// container ctr (a swarm task, or a container attached to overlays)
// shows exactly the networks nets in inspect and ps, as dockerd does:
// each with the network's ID, an endpoint ID and MAC, an address inside
// the network's subnet and DNS names with the container's name and
// short ID.
func checkTaskNetworks(t *testing.T, e *env, ctr string, nets ...string) {
	t.Helper()
	var got map[string]struct {
		NetworkID, EndpointID, IPAddress, MacAddress string
		IPPrefixLen                                  int
		DNSNames                                     []string
	}
	want := slices.Sorted(slices.Values(nets))
	// A task joins its overlays just after its container starts.
	waitOutput(t, 20*time.Second, ctr+"'s networks in inspect", func() (string, bool) {
		out := e.run("docker", "inspect", "--format", "{{json .NetworkSettings.Networks}}", ctr).stdout
		got = nil
		if err := json.Unmarshal([]byte(out), &got); err != nil {
			return out, false
		}
		names := slices.Sorted(maps.Keys(got))
		return strings.Join(names, " "), slices.Equal(names, want)
	})
	id := strings.TrimSpace(swarmCLI(t, e, "docker", "inspect", "--format", "{{.Id}}", ctr))
	for _, name := range want {
		es, ok := got[name]
		if !ok {
			continue
		}
		f := strings.Fields(swarmCLI(t, e, "docker", "network", "inspect", name, "--format", "{{.ID}} {{range .IPAM.Config}}{{.Subnet}}{{end}}"))
		subnet, err := netip.ParsePrefix(f[len(f)-1])
		if err != nil {
			t.Fatalf("network %s: %v", name, err)
		}
		ip, err := netip.ParseAddr(es.IPAddress)
		if es.NetworkID != f[0] || err != nil || !subnet.Contains(ip) || es.IPPrefixLen != subnet.Bits() || es.EndpointID == "" || es.MacAddress == "" ||
			!slices.Contains(es.DNSNames, ctr) || !slices.Contains(es.DNSNames, id[:12]) {
			t.Errorf("%s on %s (%s %s): %+v", ctr, name, f[0], subnet, es)
		}
	}
	ps := strings.TrimSpace(swarmCLI(t, e, "docker", "ps", "--filter", "name=^"+ctr+"$", "--format", "{{.Networks}}"))
	if got := slices.Sorted(slices.Values(strings.Split(ps, ","))); !slices.Equal(got, want) {
		t.Errorf("%s: ps networks %q, want %v", ctr, ps, want)
	}
}
