package cluster

import (
	"net"
	"testing"
)

func TestNormalizeAddr(t *testing.T) {
	for in, want := range map[string]string{
		"0.0.0.0:2377":        "0.0.0.0:2377",
		"10.0.0.1":            "10.0.0.1:2377",
		"tcp://10.0.0.1:4000": "10.0.0.1:4000",
		":4000":               "0.0.0.0:4000",
		"10.0.0.1:":           "10.0.0.1:2377",
		"[::1]:2377":          "[::1]:2377",
	} {
		if got, err := normalizeAddr(in); err != nil || got != want {
			t.Errorf("normalizeAddr(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := normalizeAddr(""); err == nil {
		t.Error("empty address accepted")
	}
	if _, _, err := resolveListenAddr("nonsense-iface-x:2377"); err == nil || err.Error() != errBadListenAddr.Error() {
		t.Errorf("bad listen address: %v", err)
	}
	if _, _, err := resolveAdvertiseAddr("0.0.0.0", "2377"); err == nil || err.Error() != errBadAdvertiseAddr.Error() {
		t.Errorf("unspecified advertise address: %v", err)
	}
	if h, p, err := resolveAdvertiseAddr("lo", "2377"); err != nil || h != "127.0.0.1" || p != "2377" {
		t.Errorf("advertise on lo: %s %s %v", h, p, err)
	}
}

// FuzzAddrs: whatever a client sends as an address, parsing it gives a
// host:port or an error, never a panic.
func FuzzAddrs(f *testing.F) {
	for _, s := range []string{"0.0.0.0:2377", "eth0", "tcp://[::1]:1", ":", "a:b:c", "10.0.0.1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, err := normalizeAddr(s)
		if err != nil {
			return
		}
		if _, _, err := net.SplitHostPort(a); err != nil {
			t.Fatalf("normalizeAddr(%q) = %q, not host:port", s, a)
		}
		resolveListenAddr(a)
		resolveAdvertiseAddr(s, "2377")
	})
}
