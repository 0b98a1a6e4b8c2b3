package daemon

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	goruntime "runtime"
	"time"

	"golang.org/x/sys/unix"

	"github.com/wharf/wharf/internal/cluster"
	"github.com/wharf/wharf/internal/cluster/executor"
	"github.com/wharf/wharf/internal/config"
	"github.com/wharf/wharf/internal/network/overlay"
	"github.com/wharf/wharf/internal/version"
)

// newCluster builds Swarm mode: the cluster service over an executor
// that runs tasks as containers of the container service. A daemon that
// was in a swarm restarts its node here; when ctx ends (the daemon
// stops) the node stops, and the task containers keep running.
func newCluster(ctx context.Context, cfg config.Config, containers executor.Containers, images executor.Images, log *slog.Logger) (*cluster.Cluster, error) {
	cluster.RouteSwarmkitLogs(log)
	hostname, _ := os.Hostname()
	var si unix.Sysinfo_t
	var mem int64
	if unix.Sysinfo(&si) == nil {
		mem = int64(si.Totalram) * int64(si.Unit)
	}
	ov := overlay.NewNode(overlay.NodeConfig{Root: filepath.Join(cfg.ExecRoot, "overlay"), NoIPTables: !cfg.Network.IPTables, Log: log})
	exec := executor.New(executor.Config{
		Hostname:      hostname,
		EngineVersion: version.Version,
		NCPU:          goruntime.NumCPU(),
		MemTotal:      mem,
		TaskRoot:      filepath.Join(cfg.ExecRoot, "swarm", "tasks"),
		Containers:    containers,
		Images:        images,
		Overlay:       ov,
		Log:           log,
	})
	c, err := cluster.New(cluster.Config{
		Root:     filepath.Join(cfg.Root, "swarm"),
		ExecRoot: filepath.Join(cfg.ExecRoot, "swarm"),
		Executor: exec,
		Tasks:    exec,
		Log:      log,
	})
	if err != nil {
		return nil, fmt.Errorf("swarm: %w", err)
	}
	go seedOverlay(ctx, ov, c)
	go func() {
		<-ctx.Done()
		ov.Close()
		stop, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := c.Shutdown(stop); err != nil {
			log.Warn("swarm: stopping the node", "err", err)
		}
	}()
	return c, nil
}

// seedOverlay points the overlay gossip at the managers this node knows,
// every few seconds while it knows no other member.
func seedOverlay(ctx context.Context, ov *overlay.Node, c *cluster.Cluster) {
	t := time.NewTicker(2 * time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			ov.Seed(ctx, c.ManagerHosts())
		}
	}
}
