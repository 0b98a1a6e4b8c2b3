package overlay

import (
	"context"
	"net"
	"net/netip"
	"strconv"
	"testing"
	"time"
)

// A node that takes a peer for dead (a loaded machine misses its probes)
// forgets the peer's endpoints; when the peer is back, the two exchange
// their states at once, not at the next full-state push/pull (lengthened
// here to an hour, so only the answer to the ask can bring them back).
func TestGossipRejoinAsksForState(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	mk := func(id, addr string) *Node {
		n := NewNode(NodeConfig{Root: t.TempDir(), GossipPort: port})
		n.pushPull = time.Hour
		if err := n.Start(id, netip.MustParseAddr(addr)); err != nil {
			t.Skipf("no gossip on %s:%d: %v", addr, port, err)
		}
		t.Cleanup(n.Close)
		return n
	}
	a := mk("A", "127.0.0.1")
	b := mk("B", "127.0.0.2")
	// b has one endpoint on network ov.
	b.mu.Lock()
	b.nets["ov"] = &nodeNet{spec: netSpec{ID: "ov", VNI: 4097}, users: map[string]bool{"t1": true}}
	b.tasks["t1"] = localTask{ns: "", eps: []localEP{{Net: "ov", Addr: netip.MustParsePrefix("10.0.1.3/24"), Svc: "rr"}}}
	b.bump()
	b.mu.Unlock()
	b.Seed(context.Background(), []string{"127.0.0.1"})
	knows := func(within time.Duration) bool {
		for end := time.Now().Add(within); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
			if ips, ok := a.Lookup("ov", "rr"); ok && len(ips) == 1 && ips[0].String() == "10.0.1.3" {
				return true
			}
		}
		return false
	}
	if !knows(10 * time.Second) {
		t.Fatal("a never learnt b's endpoint")
	}
	time.Sleep(time.Second) // the join's own messages are through
	a.forget("B")
	if _, ok := a.Lookup("ov", "rr"); ok {
		t.Fatal("a still knows b's endpoint after forgetting b")
	}
	a.mu.Lock()
	g := a.gossip
	a.mu.Unlock()
	g.NotifyJoin(nil)
	if !knows(3 * time.Second) {
		t.Fatal("b's endpoint not back 3 s after b rejoined (port " + strconv.Itoa(port) + ")")
	}
}
