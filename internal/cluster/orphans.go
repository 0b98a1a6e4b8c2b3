package cluster

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"time"

	"github.com/moby/swarmkit/v2/agent"
	swarmapi "github.com/moby/swarmkit/v2/api"
	bolt "go.etcd.io/bbolt"
)

// assignedTasks reads the IDs of the tasks swarmkit's worker still holds
// as assigned to this node from its task database (<root>/worker/tasks.db).
// At start the worker drops every other task from that database without
// touching its container (swarmkit's worker.Init assumes tasks die with
// the daemon; Wharf's outlive it), so those containers would run on with
// no service behind them. ok is false when there is no database yet.
func assignedTasks(root string) (ids map[string]bool, ok bool, err error) {
	path := filepath.Join(root, "worker", "tasks.db")
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return nil, false, nil
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: 5 * time.Second})
	if err != nil {
		return nil, false, err
	}
	defer db.Close()
	ids = map[string]bool{}
	err = db.View(func(tx *bolt.Tx) error {
		return agent.WalkTasks(tx, func(t *swarmapi.Task) error {
			if agent.TaskAssigned(tx, t.ID) {
				ids[t.ID] = true
			}
			return nil
		})
	})
	return ids, err == nil, err
}

// removeOrphanTasks removes the task containers whose task this node no
// longer holds, before the node starts again (so nothing races them).
func (c *Cluster) removeOrphanTasks() {
	keep, ok, err := assignedTasks(c.cfg.Root)
	if err != nil {
		c.cfg.Log.Warn("swarm: reading the worker's tasks", "err", err)
		return
	}
	if !ok || c.cfg.Tasks == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := c.cfg.Tasks.RemoveOrphanTasks(ctx, keep); err != nil {
		c.cfg.Log.Warn("swarm: removing containers of tasks no longer assigned", "err", err)
	}
}
