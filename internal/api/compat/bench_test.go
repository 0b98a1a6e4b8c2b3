package compat

import (
	"encoding/json"
	"io"
	"net/netip"
	"testing"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
)

// BenchmarkShapeContainerInspect: what a docker CLI 28 (API 1.51) client
// pays on container inspect, against the newest version's plain encoding.
func BenchmarkShapeContainerInspect(b *testing.B) {
	resp := container.InspectResponse{
		ID: "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", Name: "/web",
		State: &container.State{Status: container.StateRunning, Running: true}, Config: &container.Config{Image: "busybox", Cmd: []string{"sh"}, Env: []string{"PATH=/bin"}},
		HostConfig: &container.HostConfig{NetworkMode: "bridge"},
		NetworkSettings: &container.NetworkSettings{Networks: map[string]*network.EndpointSettings{
			"bridge": {IPAddress: netip.MustParseAddr("172.17.0.2"), Gateway: netip.MustParseAddr("172.17.0.1"), IPPrefixLen: 16},
		}},
	}
	for _, v := range []string{"1.51", "1.56"} {
		b.Run(v, func(b *testing.B) {
			ctx := at(v)
			for b.Loop() {
				if err := json.NewEncoder(io.Discard).Encode(Shape(ctx, ContainerInspect, resp)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
