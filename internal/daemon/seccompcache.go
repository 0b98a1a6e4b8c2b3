package daemon

import (
	"context"
	"log/slog"
	"time"

	"github.com/wharf/wharf/internal/runtime"
)

// pruneSeccompCaches trims each runtime's cache of compiled seccomp
// filters (runtime.PruneSeccompCache) at start and hourly until ctx ends.
func pruneSeccompCaches(ctx context.Context, runtimes map[string]*runtime.Runtime, log *slog.Logger) {
	tick := time.NewTicker(time.Hour)
	defer tick.Stop()
	for {
		for name, rt := range runtimes {
			n, err := rt.PruneSeccompCache(runtime.SeccompCacheKeep, time.Now())
			if err != nil {
				log.Warn("pruning compiled seccomp filters", "runtime", name, "err", err)
			} else if n > 0 {
				log.Debug("pruned compiled seccomp filters", "runtime", name, "removed", n)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}
