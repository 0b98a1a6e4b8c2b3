package executor

import (
	"slices"
	"testing"

	"github.com/moby/moby/api/types/container"
)

// A task container's DNS names are dockerd's: its name, its short ID and
// its hostname, each once.
func TestDNSNames(t *testing.T) {
	id := "0123456789abcdef0123456789abcdef"
	for _, tc := range []struct {
		hostname string
		want     []string
	}{
		{"", []string{"web.1.t1", "0123456789ab"}},
		{"0123456789ab", []string{"web.1.t1", "0123456789ab"}},
		{"web-host", []string{"web.1.t1", "0123456789ab", "web-host"}},
	} {
		got := dnsNames(container.InspectResponse{ID: id, Name: "/web.1.t1", Config: &container.Config{Hostname: tc.hostname}})
		if !slices.Equal(got, tc.want) {
			t.Errorf("hostname %q: %v, want %v", tc.hostname, got, tc.want)
		}
	}
}
