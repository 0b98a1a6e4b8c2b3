package config

import (
	"os"
	"strings"
	"testing"
)

func TestDashboardCheck(t *testing.T) {
	for _, tc := range []struct {
		d   Dashboard
		err string
	}{
		{Dashboard{}, ""},
		{Dashboard{Addr: "127.0.0.1:7380"}, ""},
		{Dashboard{Addr: "[::1]:0"}, ""},
		{Dashboard{Addr: "localhost:7380"}, ""},
		{Dashboard{Addr: "0.0.0.0:7380"}, "needs tls-cert"},
		{Dashboard{Addr: ":7380"}, "needs tls-cert"},
		{Dashboard{Addr: "192.0.2.1:7380", TLSCert: "c", TLSKey: "k"}, ""},
		{Dashboard{Addr: "127.0.0.1:7380", TLSCert: "c"}, "go together"},
		{Dashboard{Addr: "7380"}, "missing port"},
	} {
		err := tc.d.Check()
		if tc.err == "" && err != nil || tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)) {
			t.Errorf("%+v: got %v, want %q", tc.d, err, tc.err)
		}
	}
}

func TestDashboardFromFile(t *testing.T) {
	path := t.TempDir() + "/daemon.json"
	os.WriteFile(path, []byte(`{"dashboard": {"addr": "127.0.0.1:7380"}}`), 0o644)
	c := Default()
	if err := c.LoadFile(path, nil); err != nil || c.Dashboard.Addr != "127.0.0.1:7380" {
		t.Fatalf("got %+v, %v", c.Dashboard, err)
	}
	os.WriteFile(path, []byte(`{"dashboard": {"addr": "0.0.0.0:7380"}}`), 0o644)
	c = Default()
	err := c.LoadFile(path, nil)
	if err == nil {
		err = c.Validate()
	}
	if err == nil || !strings.Contains(err.Error(), "needs tls-cert") {
		t.Fatalf("an open address without TLS: %v", err)
	}
}
