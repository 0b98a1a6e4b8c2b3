// Package cluster is Swarm mode: the Cluster service owns this daemon's
// swarmkit node (github.com/moby/swarmkit/v2, the engine dockerd embeds:
// raft, the CA, the dispatcher, orchestrators and the scheduler are all
// swarmkit's) and answers the Engine API's /swarm, /nodes, /services,
// /tasks, /secrets and /configs through swarmkit's control API. The
// shape follows moby's daemon/cluster: a node runner that restarts the
// node with back-off, state under <data root>/swarm, the control socket
// under the exec root. Tasks run as Wharf containers through
// internal/cluster/executor.
package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/moby/swarmkit/v2/agent/exec"
	swarmapi "github.com/moby/swarmkit/v2/api"
	swarmnode "github.com/moby/swarmkit/v2/node"
	"google.golang.org/grpc"

	"github.com/wharf/wharf/internal/fsutil"
)

const (
	stateFile         = "wharf-state.json" // ours, beside swarmkit's files in the state dir
	controlSocket     = "control.sock"
	requestTimeout    = 10 * time.Second // one control API call
	joinTimeout       = 20 * time.Second // docker's swarmConnectTimeout
	initialRetryDelay = 100 * time.Millisecond
	maxRetryDelay     = 10 * time.Second
)

// Containers is what the node needs from the container service: its
// task containers removed when it leaves the swarm, and those of tasks it
// no longer holds when it starts again.
type Containers interface {
	RemoveNodeTasks(ctx context.Context, nodeID string) error
	RemoveOrphanTasks(ctx context.Context, keep map[string]bool) error
}

// Config is the cluster service's configuration.
type Config struct {
	Root     string // swarmkit's state: <data root>/swarm
	ExecRoot string // the control socket's directory: <exec root>/swarm
	Executor exec.Executor
	// Tasks removes a node's task containers when it leaves the swarm.
	Tasks Containers
	Log   *slog.Logger
	// RaftHeartbeatTick and RaftElectionTick are swarmkit's raft ticks
	// (0: docker's 1 and 10).
	RaftHeartbeatTick, RaftElectionTick uint32
}

// Cluster owns the swarm node of this daemon.
//
// Lock order: controlMu (the verbs that replace the node: init, join,
// leave, unlock), then mu (the current runner), then a runner's mu.
// Control API calls are made with no lock held; the cluster calls the
// executor's services only through the node, never under its locks.
type Cluster struct {
	cfg Config

	controlMu sync.Mutex
	mu        sync.RWMutex
	nr        *runner // nil: not in a swarm
}

// New returns the cluster service and, when this daemon was in a swarm
// before it stopped, starts its node again: the node rejoins its cluster
// from the certificates and raft state in Root.
func New(cfg Config) (*Cluster, error) {
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.RaftHeartbeatTick == 0 {
		cfg.RaftHeartbeatTick = 1
	}
	if cfg.RaftElectionTick == 0 {
		cfg.RaftElectionTick = 10 * cfg.RaftHeartbeatTick
	}
	for _, d := range []string{cfg.Root, cfg.ExecRoot} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, err
		}
	}
	c := &Cluster{cfg: cfg}
	st, err := c.loadState()
	if err != nil {
		return nil, err
	}
	if st == nil {
		return c, nil
	}
	c.removeOrphanTasks()
	nr, err := c.startRunner(startConfig{persisted: *st})
	if err != nil {
		c.cfg.Log.Error("swarm: could not restart this node", "err", err)
		return c, nil
	}
	c.nr = nr
	go func() {
		select {
		case <-nr.ready:
			c.cfg.Log.Info("swarm: node restarted", "node", nr.nodeID())
		case <-time.After(joinTimeout):
			c.cfg.Log.Warn("swarm: node not ready yet; retrying in the background")
		}
	}()
	return c, nil
}

// persisted is what the daemon keeps of its swarm membership beside
// swarmkit's own state: enough to start the node again.
type persisted struct {
	ListenAddr     string
	AdvertiseAddr  string
	DataPathAddr   string
	RemoteAddr     string // the manager given to `swarm join`
	JoinInProgress bool   // a join started and has not completed
	DefaultPool    []string
	SubnetSize     uint32
	DataPathPort   uint32
}

// startConfig is persisted plus what only the first start uses.
type startConfig struct {
	persisted
	joinAddr     string
	joinToken    string
	forceNew     bool
	autolock     bool
	lockKey      []byte
	availability swarmapi.NodeSpec_Availability
}

func (c *Cluster) loadState() (*persisted, error) {
	var st persisted
	data, err := os.ReadFile(filepath.Join(c.cfg.Root, stateFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(data, &st); err != nil {
		return nil, fmt.Errorf("swarm state %s: %w", stateFile, err)
	}
	return &st, nil
}

func (c *Cluster) saveState(st persisted) error {
	return fsutil.WriteJSONAtomic(filepath.Join(c.cfg.Root, stateFile), st, true)
}

// clearState forgets the swarm: swarmkit's certificates, raft log and
// task database, and our record.
func (c *Cluster) clearState() error {
	entries, err := os.ReadDir(c.cfg.Root)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if err := os.RemoveAll(filepath.Join(c.cfg.Root, e.Name())); err != nil {
			return err
		}
	}
	return nil
}

// runner keeps one swarmkit node running: it restarts the node with
// back-off when it exits with an error, as moby's nodeRunner does.
type runner struct {
	c     *Cluster
	ready chan struct{} // closed when the node is ready the first time

	mu          sync.RWMutex
	node        *swarmnode.Node
	conn        *grpc.ClientConn
	control     swarmapi.ControlClient
	logs        swarmapi.LogsClient
	done        chan struct{} // closed when the current node exits
	err         error         // why the node last exited
	conf        startConfig
	delay       time.Duration
	stopped     bool
	cancelRetry func()
	readyOnce   sync.Once
}

func (c *Cluster) startRunner(conf startConfig) (*runner, error) {
	nr := &runner{c: c, ready: make(chan struct{}), delay: initialRetryDelay}
	nr.mu.Lock()
	defer nr.mu.Unlock()
	if err := nr.start(conf); err != nil {
		return nil, err
	}
	return nr, nil
}

// start starts a swarmkit node for conf. Callers hold nr.mu.
func (nr *runner) start(conf startConfig) error {
	c := nr.c
	joinAddr := conf.joinAddr
	if joinAddr == "" && conf.JoinInProgress {
		// Restarted during a join: go on joining rather than forming
		// a cluster of our own.
		joinAddr = conf.RemoteAddr
	}
	node, err := swarmnode.New(&swarmnode.Config{
		ForceNewCluster:    conf.forceNew,
		ListenControlAPI:   filepath.Join(c.cfg.ExecRoot, controlSocket),
		ListenRemoteAPI:    conf.ListenAddr,
		AdvertiseRemoteAPI: conf.AdvertiseAddr,
		JoinAddr:           joinAddr,
		JoinToken:          conf.joinToken,
		StateDir:           c.cfg.Root,
		Executor:           c.cfg.Executor,
		HeartbeatTick:      c.cfg.RaftHeartbeatTick,
		ElectionTick:       c.cfg.RaftElectionTick,
		UnlockKey:          conf.lockKey,
		AutoLockManagers:   conf.autolock,
		Availability:       conf.availability,
		NetworkConfig:      networkConfig(conf.persisted),
		NetworkProvider:    networkProvider{},
	})
	if err != nil {
		return err
	}
	if err := node.Start(context.Background()); err != nil {
		return err
	}
	if conf.joinAddr != "" {
		conf.JoinInProgress = true
	}
	nr.node, nr.conf, nr.err = node, conf, nil
	nr.done = make(chan struct{})
	if err := c.saveState(conf.persisted); err != nil {
		c.cfg.Log.Error("swarm: saving state", "err", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		nr.handleExit(node)
		cancel()
	}()
	go nr.handleReady(ctx, node)
	go nr.handleControlSocket(ctx, node)
	return nil
}

func (nr *runner) handleReady(ctx context.Context, node *swarmnode.Node) {
	select {
	case <-node.Ready():
	case <-ctx.Done():
		return
	}
	nr.mu.Lock()
	nr.err = nil
	nr.delay = initialRetryDelay
	if nr.conf.JoinInProgress {
		nr.conf.JoinInProgress = false
		if err := nr.c.saveState(nr.conf.persisted); err != nil {
			nr.c.cfg.Log.Error("swarm: saving state", "err", err)
		}
	}
	nr.mu.Unlock()
	nr.readyOnce.Do(func() { close(nr.ready) })
}

// handleControlSocket follows the node's control API connection, which
// exists while the node is a manager.
func (nr *runner) handleControlSocket(ctx context.Context, node *swarmnode.Node) {
	for conn := range node.ListenControlSocket(ctx) {
		nr.mu.Lock()
		if nr.conn != conn {
			nr.conn = conn
			if conn == nil {
				nr.control, nr.logs = nil, nil
			} else {
				nr.control, nr.logs = swarmapi.NewControlClient(conn), swarmapi.NewLogsClient(conn)
			}
		}
		nr.mu.Unlock()
	}
}

func (nr *runner) handleExit(node *swarmnode.Node) {
	err := node.Err(context.Background())
	if errors.Is(err, swarmnode.ErrInvalidUnlockKey) {
		err = errLocked
	}
	nr.mu.Lock()
	defer nr.mu.Unlock()
	if err != nil {
		nr.c.cfg.Log.Error("swarm: node exited", "err", err)
	}
	nr.node, nr.conn, nr.control, nr.logs, nr.err = nil, nil, nil, nil, err
	close(nr.done)
	if nr.stopped {
		return
	}
	select {
	case <-nr.ready:
		// Once in, a restart must not go back to a manager given to
		// join, which may have left since.
		nr.conf.joinAddr = ""
	default:
		if errors.Is(err, errLocked) {
			return // waits for `swarm unlock`
		}
	}
	nr.delay *= 2
	if nr.delay > maxRetryDelay {
		nr.delay = maxRetryDelay
	}
	nr.c.cfg.Log.Warn("swarm: restarting the node", "in", nr.delay)
	retry, cancel := context.WithTimeout(context.Background(), nr.delay)
	nr.cancelRetry = cancel
	go func() {
		<-retry.Done()
		if !errors.Is(retry.Err(), context.DeadlineExceeded) {
			return
		}
		nr.mu.Lock()
		defer nr.mu.Unlock()
		nr.cancelRetry = nil
		if nr.stopped {
			return
		}
		if err := nr.start(nr.conf); err != nil {
			nr.err = err
		}
	}()
}

// waitReady waits until the node is ready or its first run fails.
func (nr *runner) waitReady(ctx context.Context) error {
	nr.mu.RLock()
	done := nr.done
	nr.mu.RUnlock()
	select {
	case <-nr.ready:
		return nil
	case <-done:
		nr.mu.RLock()
		defer nr.mu.RUnlock()
		if nr.err == nil {
			return errors.New("swarm node exited")
		}
		return nr.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// stop stops the node for good.
func (nr *runner) stop(ctx context.Context) error {
	nr.mu.Lock()
	nr.stopped = true
	if nr.cancelRetry != nil {
		nr.cancelRetry()
		nr.cancelRetry = nil
	}
	node, done := nr.node, nr.done
	nr.mu.Unlock()
	if node == nil {
		return nil
	}
	if err := node.Stop(ctx); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	select {
	case <-done:
	case <-ctx.Done():
		return ctx.Err()
	}
	return nil
}

func (nr *runner) nodeID() string {
	nr.mu.RLock()
	defer nr.mu.RUnlock()
	if nr.node == nil {
		return ""
	}
	return nr.node.NodeID()
}

// state is a snapshot of the runner for one request.
type state struct {
	node    *swarmnode.Node
	conn    *grpc.ClientConn
	control swarmapi.ControlClient
	logs    swarmapi.LogsClient
	err     error
	ready   bool
	retry   bool
}

func (nr *runner) state() state {
	nr.mu.RLock()
	defer nr.mu.RUnlock()
	s := state{node: nr.node, conn: nr.conn, control: nr.control, logs: nr.logs, err: nr.err, retry: nr.cancelRetry != nil}
	select {
	case <-nr.ready:
		s.ready = true
	default:
	}
	return s
}

// current is the runner's state, or the zero state outside a swarm.
func (c *Cluster) current() (*runner, state) {
	c.mu.RLock()
	nr := c.nr
	c.mu.RUnlock()
	if nr == nil {
		return nil, state{}
	}
	return nr, nr.state()
}

// manager returns the control API client of an active manager, or the
// error docker gives for this node's state.
func (c *Cluster) manager() (state, error) {
	nr, st := c.current()
	if st.control != nil {
		return st, nil
	}
	switch {
	case nr == nil:
		return st, errNotInSwarm
	case errors.Is(st.err, errLocked):
		return st, errLocked
	case st.node == nil:
		return st, errNotInSwarm
	case st.node.Manager() != nil:
		return st, errPreparing
	}
	return st, errNotManager
}

// call is the preamble of a control API request: an active manager's
// state and ctx bounded by requestTimeout. done is never nil: callers
// defer it at once, before looking at err.
func (c *Cluster) call(ctx context.Context) (_ context.Context, _ state, done context.CancelFunc, _ error) {
	st, err := c.manager()
	if err != nil {
		return ctx, st, func() {}, err
	}
	ctx, done = context.WithTimeout(ctx, requestTimeout)
	return ctx, st, done, nil
}

// Shutdown stops the node when the daemon stops (the swarm membership
// stays: the next daemon starts the node again). Task containers keep
// running.
func (c *Cluster) Shutdown(ctx context.Context) error {
	c.mu.RLock()
	nr := c.nr
	c.mu.RUnlock()
	if nr == nil {
		return nil
	}
	return nr.stop(ctx)
}
