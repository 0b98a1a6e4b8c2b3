package network

import (
	"net/http/httptest"
	"testing"

	"github.com/moby/moby/api/types/network"

	"github.com/wharf/wharf/internal/api/httputil"
)

func TestNetworkFilters(t *testing.T) {
	n := network.Inspect{Network: network.Network{Name: "front", ID: "abc123", Driver: "bridge", Labels: map[string]string{"a": "1"}}}
	for _, c := range []struct {
		filter string
		ok     bool
	}{
		{`{"name":{"fro":true}}`, true},
		{`{"name":{"back":true}}`, false},
		{`{"id":{"abc":true}}`, true},
		{`{"label":{"a=1":true}}`, true},
		{`{"label":{"a=2":true}}`, false},
		{`{"type":{"custom":true}}`, true},
		{`{"type":{"builtin":true}}`, false},
		{`{"driver":{"bridge":true}}`, true},
	} {
		r := httptest.NewRequest("GET", "/networks?filters="+c.filter, nil)
		f, err := httputil.FiltersValue(r)
		if err != nil {
			t.Fatal(err)
		}
		if got := networkMatches(f, n); got != c.ok {
			t.Errorf("%s: got %v", c.filter, got)
		}
	}
}
