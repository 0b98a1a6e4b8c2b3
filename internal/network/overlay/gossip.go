package overlay

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net"
	"net/netip"
	"strconv"
	"sync"
	"time"

	"github.com/hashicorp/memberlist"
)

// The peer table travels over hashicorp/memberlist (dockerd's networkdb
// runs on it too, on the same port): each node's state is its own
// endpoints with a version; a push/pull on join and every few seconds
// carries every node's state, and a change is sent at once to every
// member over memberlist's reliable (TCP) channel. A node that leaves
// or fails takes its entries with it.

const pushPullInterval = 5 * time.Second

type gossip struct {
	n    *Node
	ml   *memberlist.Memberlist
	wake chan bool // true: ask the members for their state back
	// refresh asks the refresher for refreshLB: memberlist calls
	// NotifyLeave and NotifyJoin holding its node lock, and a refresh
	// runs nft and iptables, slow on a loaded machine; its probes must
	// not wait for them, or more nodes are taken for dead.
	refresh chan struct{}
	done    chan struct{}
	once    sync.Once
}

// message is one node's state, or (in a push/pull) every node's. Ask
// asks the receivers to send theirs back: a node that comes back (or
// that this node had taken for dead under load, and forgotten) is sent
// this node's state and answers with its own at once, rather than at
// the next push/pull, which may be another failure away.
type message struct {
	States map[string]nodeState `json:"states"`
	Ask    bool                 `json:"ask,omitempty"`
}

// Start makes this node a gossip member under its swarm node ID on its
// data path address. A second call with the same identity does nothing.
func (n *Node) Start(nodeID string, addr netip.Addr) error {
	n.mu.Lock()
	if n.gossip != nil && n.self == nodeID && n.vtep == addr {
		n.mu.Unlock()
		return nil
	}
	old := n.gossip
	n.gossip, n.self, n.vtep = nil, nodeID, addr
	n.bump()
	n.mu.Unlock()
	if old != nil {
		old.stop()
	}
	g := &gossip{n: n, wake: make(chan bool, 1), refresh: make(chan struct{}, 1), done: make(chan struct{})}
	c := memberlist.DefaultLANConfig()
	c.Name = nodeID
	c.BindAddr, c.BindPort = addr.String(), n.cfg.GossipPort
	c.AdvertiseAddr, c.AdvertisePort = addr.String(), n.cfg.GossipPort
	c.PushPullInterval = pushPullInterval
	if n.pushPull != 0 {
		c.PushPullInterval = n.pushPull
	}
	c.Delegate, c.Events = g, g
	c.Logger = log.New(io.Discard, "", 0)
	ml, err := memberlist.Create(c)
	if err != nil {
		return fmt.Errorf("overlay gossip on %s: %w", net.JoinHostPort(c.BindAddr, strconv.Itoa(c.BindPort)), err)
	}
	g.ml = ml
	n.mu.Lock()
	n.gossip = g
	n.mu.Unlock()
	go g.sender()
	go g.refresher()
	g.announce()
	return nil
}

// Seed joins the members at the given hosts (the managers this node
// knows) while this node knows no other member.
func (n *Node) Seed(ctx context.Context, hosts []string) {
	n.mu.Lock()
	g := n.gossip
	self := n.vtep.String()
	n.mu.Unlock()
	if g == nil || g.ml.NumMembers() > 1 {
		return
	}
	var addrs []string
	for _, h := range hosts {
		if h != self && h != "" {
			addrs = append(addrs, net.JoinHostPort(h, strconv.Itoa(n.cfg.GossipPort)))
		}
	}
	if len(addrs) > 0 {
		if _, err := g.ml.Join(addrs); err != nil {
			n.cfg.Log.Debug("overlay gossip: join", "seeds", addrs, "err", err)
		}
	}
}

// announce asks the sender to push this node's state to every member.
func (g *gossip) announce() { g.wakeSender(false) }

// announceAsking is announce, asking the members for their states back.
func (g *gossip) announceAsking() { g.wakeSender(true) }

func (g *gossip) wakeSender(ask bool) {
	for {
		select {
		case g.wake <- ask:
			return
		default:
		}
		// A wake-up is pending: an ask must not be lost behind a plain one.
		select {
		case pending := <-g.wake:
			ask = ask || pending
		default:
		}
	}
}

func (g *gossip) sender() {
	for {
		var ask bool
		select {
		case <-g.done:
			return
		case ask = <-g.wake:
		}
		g.n.mu.Lock()
		msg := message{States: map[string]nodeState{g.n.self: g.n.localState()}, Ask: ask}
		g.n.mu.Unlock()
		b, err := json.Marshal(msg)
		if err != nil {
			continue
		}
		for _, m := range g.ml.Members() {
			if m.Name != g.ml.LocalNode().Name {
				if err := g.ml.SendReliable(m, b); err != nil {
					g.n.cfg.Log.Debug("overlay gossip: send", "to", m.Name, "err", err)
				}
			}
		}
	}
}

// refreshLater has the refresher rewrite the rules from the table as it
// is then; requests while one waits are one.
func (g *gossip) refreshLater() {
	select {
	case g.refresh <- struct{}{}:
	default:
	}
}

func (g *gossip) refresher() {
	for {
		select {
		case <-g.done:
			return
		case <-g.refresh:
			g.n.refreshLB()
		}
	}
}

func (g *gossip) stop() {
	g.once.Do(func() {
		close(g.done)
		g.ml.Leave(time.Second)
		g.ml.Shutdown()
	})
}

// NodeMeta is empty: everything travels as state.
func (g *gossip) NodeMeta(int) []byte { return nil }

// NotifyMsg takes a member's announced state.
func (g *gossip) NotifyMsg(b []byte) { g.mergeAll(b) }

// GetBroadcasts is empty: changes go over the reliable channel.
func (g *gossip) GetBroadcasts(int, int) [][]byte { return nil }

// LocalState is every node's state this node knows, its own included.
func (g *gossip) LocalState(bool) []byte {
	g.n.mu.Lock()
	msg := message{States: map[string]nodeState{g.n.self: g.n.localState()}}
	for id, st := range g.n.remote {
		msg.States[id] = st
	}
	g.n.mu.Unlock()
	b, _ := json.Marshal(msg)
	return b
}

// MergeRemoteState takes the states a push/pull brought.
func (g *gossip) MergeRemoteState(b []byte, _ bool) { g.mergeAll(b) }

func (g *gossip) mergeAll(b []byte) {
	var msg message
	if json.Unmarshal(b, &msg) != nil {
		return
	}
	if msg.Ask {
		g.announce()
	}
	alive := map[string]bool{}
	for _, m := range g.ml.Members() {
		alive[m.Name] = true
	}
	for id, st := range msg.States {
		// A departed node's state, still in a third node's push/pull,
		// must not come back.
		if alive[id] && g.n.merge(id, st) {
			g.refreshLater()
		}
	}
}

// NotifyJoin sends the newcomer this node's state and asks for its own.
func (g *gossip) NotifyJoin(m *memberlist.Node) {
	if m != nil {
		g.n.cfg.Log.Info("overlay gossip: node joined", "node", m.Name, "addr", m.Address())
	}
	g.announceAsking()
}

// NotifyLeave drops a departed member's entries. A node taken for dead
// that is alive (its probes went unanswered on a loaded machine) joins
// again once it refutes that, and NotifyJoin gets its state back.
func (g *gossip) NotifyLeave(m *memberlist.Node) {
	g.n.cfg.Log.Info("overlay gossip: node left or failed; its endpoints are forgotten", "node", m.Name, "addr", m.Address())
	if g.n.forget(m.Name) {
		g.refreshLater()
	}
}

// NotifyUpdate changes nothing.
func (g *gossip) NotifyUpdate(*memberlist.Node) {}
