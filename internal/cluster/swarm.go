package cluster

import (
	"context"
	"fmt"
	"net"
	"strings"
	"time"

	types "github.com/moby/moby/api/types/swarm"
	swarmapi "github.com/moby/swarmkit/v2/api"
	"github.com/moby/swarmkit/v2/manager/allocator/networkallocator"
	"github.com/moby/swarmkit/v2/manager/encryption"

	"github.com/wharf/wharf/internal/api/backend"
	"github.com/wharf/wharf/internal/cluster/convert"
	"github.com/wharf/wharf/internal/errs"
)

// UpdateFlags are the rotations POST /swarm/update asks for (the API's
// type).
type UpdateFlags = backend.SwarmUpdateFlags

func networkConfig(p persisted) *networkallocator.Config {
	return &networkallocator.Config{DefaultAddrPool: p.DefaultPool, SubnetSize: p.SubnetSize, VXLANUDPPort: p.DataPathPort}
}

func availability(a types.NodeAvailability) (swarmapi.NodeSpec_Availability, error) {
	if a == "" {
		return swarmapi.NodeAvailabilityActive, nil
	}
	v, ok := swarmapi.NodeSpec_Availability_value[strings.ToUpper(string(a))]
	if !ok {
		return 0, errs.Invalid("invalid Availability: %q", a)
	}
	return swarmapi.NodeSpec_Availability(v), nil
}

// Init makes this node the first manager of a new swarm and returns its
// node ID (POST /swarm/init).
func (c *Cluster) Init(ctx context.Context, req types.InitRequest) (string, error) {
	c.controlMu.Lock()
	defer c.controlMu.Unlock()
	c.mu.RLock()
	old := c.nr
	c.mu.RUnlock()
	if old != nil {
		if !req.ForceNewCluster {
			return "", errSwarmExists
		}
		if st := old.state(); st.node == nil || st.node.Manager() == nil {
			return "", errNotManager
		}
		if err := old.stop(ctx); err != nil {
			return "", err
		}
		c.mu.Lock()
		c.nr = nil
		c.mu.Unlock()
	}
	if req.Spec.Annotations.Name == "" {
		req.Spec.Annotations.Name = "default"
	} else if req.Spec.Annotations.Name != "default" {
		return "", errs.Invalid(`swarm spec must be named "default"`)
	}
	listen, err := normalizeAddr(req.ListenAddr)
	if err != nil {
		return "", errs.Invalid("invalid ListenAddr %q: %v", req.ListenAddr, err)
	}
	listenHost, listenPort, err := resolveListenAddr(listen)
	if err != nil {
		return "", err
	}
	advHost, advPort, err := c.advertise(req.AdvertiseAddr, listenHost, listenPort)
	if err != nil {
		return "", err
	}
	var pool []string
	for _, p := range req.DefaultAddrPool {
		pool = append(pool, p.String())
	}
	if err := validateAddrPool(pool, req.SubnetSize); err != nil {
		return "", err
	}
	port, err := dataPathPort(req.DataPathPort)
	if err != nil {
		return "", err
	}
	avail, err := availability(req.Availability)
	if err != nil {
		return "", err
	}
	nr, err := c.startRunner(startConfig{
		persisted: persisted{
			ListenAddr: net.JoinHostPort(listenHost, listenPort), AdvertiseAddr: net.JoinHostPort(advHost, advPort),
			DataPathAddr: req.DataPathAddr, DefaultPool: pool, SubnetSize: req.SubnetSize, DataPathPort: port,
		},
		forceNew: req.ForceNewCluster, autolock: req.AutoLockManagers, availability: avail,
	})
	if err != nil {
		return "", err
	}
	c.mu.Lock()
	c.nr = nr
	c.mu.Unlock()
	if err := nr.waitReady(ctx); err != nil {
		c.forget(ctx, nr, !req.ForceNewCluster)
		return "", err
	}
	st := nr.state()
	if st.node == nil {
		return "", fmt.Errorf("invalid cluster state for spec initialization")
	}
	if err := initClusterSpec(ctx, nr, req.Spec); err != nil {
		return "", err
	}
	return st.node.NodeID(), nil
}

// advertise is the address to advertise: the one given, else the listen
// address when it is a specific one, else the system's address.
func (c *Cluster) advertise(addr, listenHost, listenPort string) (string, string, error) {
	if addr == "" {
		if ip := net.ParseIP(listenHost); ip != nil && !ip.IsUnspecified() {
			return listenHost, listenPort, nil
		}
	}
	return resolveAdvertiseAddr(addr, listenPort)
}

// forget drops a runner that failed to come up; clear removes the state
// it left, so a failed first init or join leaves nothing behind.
func (c *Cluster) forget(ctx context.Context, nr *runner, clear bool) {
	stopCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 15*time.Second)
	defer cancel()
	if err := nr.stop(stopCtx); err != nil {
		c.cfg.Log.Warn("swarm: stopping a node that failed to start", "err", err)
	}
	c.mu.Lock()
	if c.nr == nr {
		c.nr = nil
	}
	c.mu.Unlock()
	if clear {
		if err := c.clearState(); err != nil {
			c.cfg.Log.Error("swarm: clearing state", "err", err)
		}
	}
}

// initClusterSpec lays the init request's spec over swarmkit's defaults.
func initClusterSpec(ctx context.Context, nr *runner, spec types.Spec) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	for {
		st := nr.state()
		if st.control != nil {
			lcr, err := st.control.ListClusters(ctx, &swarmapi.ListClustersRequest{})
			if err == nil && len(lcr.Clusters) > 0 {
				cl := lcr.Clusters[0]
				merged, err := convert.MergeSwarmSpecToGRPC(spec, cl.Spec)
				if err != nil {
					return errs.Invalid("error updating cluster settings: %v", err)
				}
				_, err = st.control.UpdateCluster(ctx, &swarmapi.UpdateClusterRequest{ClusterID: cl.ID, ClusterVersion: &cl.Meta.Version, Spec: &merged})
				if err != nil {
					return fmt.Errorf("error updating cluster settings: %w", fromGRPC(err))
				}
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("error updating cluster settings: %w", ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// Join makes this node a member of an existing swarm (POST /swarm/join).
func (c *Cluster) Join(ctx context.Context, req types.JoinRequest) error {
	c.controlMu.Lock()
	defer c.controlMu.Unlock()
	c.mu.RLock()
	old := c.nr
	c.mu.RUnlock()
	if old != nil {
		return errSwarmExists
	}
	listen, err := normalizeAddr(req.ListenAddr)
	if err != nil {
		return errs.Invalid("invalid ListenAddr %q: %v", req.ListenAddr, err)
	}
	if len(req.RemoteAddrs) == 0 {
		return errJoinNeedsRemote
	}
	remote, err := normalizeAddr(req.RemoteAddrs[0])
	if err != nil {
		return errs.Invalid("invalid remoteAddr %q: %v", req.RemoteAddrs[0], err)
	}
	listenHost, listenPort, err := resolveListenAddr(listen)
	if err != nil {
		return err
	}
	var adv string
	if req.AdvertiseAddr != "" {
		// The managers see where a joining node connects from, so a
		// bad advertise address is not fatal, as in docker.
		if h, p, err := resolveAdvertiseAddr(req.AdvertiseAddr, listenPort); err == nil {
			adv = net.JoinHostPort(h, p)
		}
	}
	avail, err := availability(req.Availability)
	if err != nil {
		return err
	}
	nr, err := c.startRunner(startConfig{
		persisted: persisted{
			ListenAddr: net.JoinHostPort(listenHost, listenPort), AdvertiseAddr: adv,
			DataPathAddr: req.DataPathAddr, RemoteAddr: remote,
		},
		joinAddr: remote, joinToken: req.JoinToken, availability: avail,
	})
	if err != nil {
		return err
	}
	c.mu.Lock()
	c.nr = nr
	c.mu.Unlock()
	wctx, cancel := context.WithTimeout(ctx, joinTimeout)
	defer cancel()
	if err := nr.waitReady(wctx); err != nil {
		if wctx.Err() != nil && ctx.Err() == nil {
			return errJoinTimeout // the join goes on in the background
		}
		c.forget(ctx, nr, true)
		return err
	}
	return nil
}

// Leave takes this node out of its swarm (POST /swarm/leave): the node
// stops, its task containers are removed and the swarm state is erased.
func (c *Cluster) Leave(ctx context.Context, force bool) error {
	c.controlMu.Lock()
	defer c.controlMu.Unlock()
	nr, st := c.current()
	if nr == nil {
		return errNoSwarm
	}
	if errorsIs(st.err, errLocked) && !force {
		//lint:ignore ST1005 dockerd's wording
		return errs.Wrap(errUnavailable, fmt.Errorf("Swarm is encrypted and locked. Please unlock it first or use `--force` to ignore this message."))
	}
	if st.node != nil && st.node.Manager() != nil && !force {
		msg := "You are attempting to leave the swarm on a node that is participating as a manager. "
		if st.control != nil {
			reachable, unreachable, err := managerStats(ctx, st.control, st.node.NodeID())
			if err == nil && reachable-2 <= unreachable {
				if reachable == 1 && unreachable == 0 {
					msg += "Removing the last manager erases all current state of the swarm. Use `--force` to ignore this message. "
					return errs.Wrap(errUnavailable, fmt.Errorf("%s", msg))
				}
				msg += fmt.Sprintf("Removing this node leaves %v managers out of %v. Without a Raft quorum your swarm will be inaccessible. ", reachable-1, reachable+unreachable)
			}
		} else {
			msg += "Doing so may lose the consensus of your cluster. "
		}
		msg += "The only way to restore a swarm that has lost consensus is to reinitialize it with `--force-new-cluster`. Use `--force` to suppress this message."
		return errs.Wrap(errUnavailable, fmt.Errorf("%s", msg))
	}
	nodeID := ""
	if st.node != nil {
		nodeID = st.node.NodeID()
	}
	stopCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 15*time.Second)
	defer cancel()
	if err := nr.stop(stopCtx); err != nil {
		return fmt.Errorf("failed to shut down cluster node: %w", err)
	}
	c.mu.Lock()
	c.nr = nil
	c.mu.Unlock()
	if nodeID != "" && c.cfg.Tasks != nil {
		if err := c.cfg.Tasks.RemoveNodeTasks(ctx, nodeID); err != nil {
			c.cfg.Log.Error("swarm: removing task containers", "err", err)
		}
	}
	return c.clearState()
}

// managerStats counts the reachable and unreachable managers other than
// nodeID, plus this one among the reachable.
func managerStats(ctx context.Context, client swarmapi.ControlClient, nodeID string) (reachable, unreachable int, err error) {
	ctx, cancel := context.WithTimeout(ctx, requestTimeout)
	defer cancel()
	nodes, err := client.ListNodes(ctx, &swarmapi.ListNodesRequest{})
	if err != nil {
		return 0, 0, err
	}
	for _, n := range nodes.Nodes {
		if n.ManagerStatus == nil {
			continue
		}
		if n.ManagerStatus.Reachability == swarmapi.RaftMemberStatus_REACHABLE {
			reachable++
		} else if n.ID != nodeID {
			unreachable++
		}
	}
	return reachable, unreachable, nil
}

// Inspect answers GET /swarm.
func (c *Cluster) Inspect(ctx context.Context) (types.Swarm, error) {
	ctx, st, done, err := c.call(ctx)
	defer done()
	if err != nil {
		return types.Swarm{}, err
	}
	cl, err := getCluster(ctx, st.control)
	if err != nil {
		return types.Swarm{}, err
	}
	return convert.SwarmFromGRPC(*cl), nil
}

func getCluster(ctx context.Context, client swarmapi.ControlClient) (*swarmapi.Cluster, error) {
	r, err := client.ListClusters(ctx, &swarmapi.ListClustersRequest{})
	if err != nil {
		return nil, fromGRPC(err)
	}
	if len(r.Clusters) == 0 {
		return nil, errNoSwarm
	}
	return r.Clusters[0], nil
}

// Update answers POST /swarm/update: spec is the whole new spec.
func (c *Cluster) Update(ctx context.Context, version uint64, spec types.Spec, flags UpdateFlags) error {
	ctx, st, done, err := c.call(ctx)
	defer done()
	if err != nil {
		return err
	}
	cl, err := getCluster(ctx, st.control)
	if err != nil {
		return err
	}
	if spec.Annotations.Name == "" {
		spec.Annotations.Name = "default"
	} else if spec.Annotations.Name != "default" {
		return errs.Invalid(`swarm spec must be named "default"`)
	}
	cs, err := convert.SwarmSpecToGRPC(spec)
	if err != nil {
		return errs.Invalid("%v", err)
	}
	_, err = st.control.UpdateCluster(ctx, &swarmapi.UpdateClusterRequest{
		ClusterID: cl.ID, Spec: &cs, ClusterVersion: &swarmapi.Version{Index: version},
		Rotation: swarmapi.KeyRotation{
			WorkerJoinToken: flags.RotateWorkerToken, ManagerJoinToken: flags.RotateManagerToken,
			ManagerUnlockKey: flags.RotateManagerUnlockKey,
		},
	})
	return fromGRPC(err)
}

// UnlockKey answers GET /swarm/unlockkey.
func (c *Cluster) UnlockKey(ctx context.Context) (string, error) {
	ctx, st, done, err := c.call(ctx)
	defer done()
	if err != nil {
		return "", err
	}
	r, err := swarmapi.NewCAClient(st.conn).GetUnlockKey(ctx, &swarmapi.GetUnlockKeyRequest{})
	if err != nil {
		return "", fromGRPC(err)
	}
	if len(r.UnlockKey) == 0 {
		return "", nil
	}
	return encryption.HumanReadableKey(r.UnlockKey), nil
}

// Unlock answers POST /swarm/unlock: the node restarts with the key.
func (c *Cluster) Unlock(ctx context.Context, req types.UnlockRequest) error {
	c.controlMu.Lock()
	defer c.controlMu.Unlock()
	nr, st := c.current()
	if nr == nil {
		return errNotInSwarm
	}
	if st.control != nil || !errorsIs(st.err, errLocked) {
		if st.control != nil {
			return errNotLocked
		}
		_, err := c.manager()
		return err
	}
	key, err := encryption.ParseHumanReadableKey(req.UnlockKey)
	if err != nil {
		return errs.Invalid("%v", err)
	}
	nr.mu.RLock()
	conf := nr.conf
	nr.mu.RUnlock()
	conf.lockKey = key
	if err := nr.stop(ctx); err != nil {
		return err
	}
	next, err := c.startRunner(conf)
	if err != nil {
		return err
	}
	c.mu.Lock()
	c.nr = next
	c.mu.Unlock()
	if err := next.waitReady(ctx); err != nil {
		if errorsIs(err, errLocked) {
			return errBadUnlock
		}
		return fmt.Errorf("swarm component could not be started: %w", err)
	}
	return nil
}

// Info is the Swarm block of GET /info.
func (c *Cluster) Info(ctx context.Context) types.Info {
	nr, st := c.current()
	info := types.Info{LocalNodeState: types.LocalNodeStateInactive}
	if nr == nil {
		return info
	}
	nr.mu.RLock()
	adv := nr.conf.AdvertiseAddr
	nr.mu.RUnlock()
	if h, _, err := net.SplitHostPort(adv); err == nil {
		info.NodeAddr = h
	}
	switch {
	case errorsIs(st.err, errLocked):
		info.LocalNodeState = types.LocalNodeStateLocked
	case st.err != nil || st.retry:
		info.LocalNodeState = types.LocalNodeStateError
	case st.ready:
		info.LocalNodeState = types.LocalNodeStateActive
	default:
		info.LocalNodeState = types.LocalNodeStatePending
	}
	if st.err != nil {
		info.Error = st.err.Error()
	}
	if st.control != nil {
		ctx, cancel := context.WithTimeout(ctx, requestTimeout)
		defer cancel()
		info.ControlAvailable = true
		if cl, err := getCluster(ctx, st.control); err != nil {
			info.Error = err.Error()
		} else {
			s := convert.SwarmFromGRPC(*cl)
			info.Cluster = &s.ClusterInfo
		}
		if r, err := st.control.ListNodes(ctx, &swarmapi.ListNodesRequest{}); err != nil {
			info.Error = err.Error()
		} else {
			info.Nodes = len(r.Nodes)
			for _, n := range r.Nodes {
				if n.ManagerStatus != nil {
					info.Managers++
				}
			}
		}
	}
	if st.node != nil {
		for _, r := range st.node.Remotes() {
			info.RemoteManagers = append(info.RemoteManagers, types.Peer{NodeID: r.NodeID, Addr: r.Addr})
		}
		info.NodeID = st.node.NodeID()
	}
	return info
}
