package cluster

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/moby/swarmkit/v2/agent"
	swarmapi "github.com/moby/swarmkit/v2/api"
	bolt "go.etcd.io/bbolt"
)

// The worker's database as swarmkit leaves it: tasks assigned to this
// node, and a task it still lists but no longer holds (the one whose
// container would be orphaned).
func TestAssignedTasksReadsTheWorkersDatabase(t *testing.T) {
	root := t.TempDir()
	if _, ok, err := assignedTasks(root); ok || err != nil {
		t.Fatalf("no database: ok=%v err=%v, want false, nil", ok, err)
	}
	if err := os.MkdirAll(filepath.Join(root, "worker"), 0o700); err != nil {
		t.Fatal(err)
	}
	db, err := bolt.Open(filepath.Join(root, "worker", "tasks.db"), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for id, assigned := range map[string]bool{"kept1": true, "kept2": true, "dropped": false} {
			if err := agent.PutTask(tx, &swarmapi.Task{ID: id}); err != nil {
				return err
			}
			if err := agent.SetTaskAssignment(tx, id, assigned); err != nil {
				return err
			}
		}
		return nil
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	ids, ok, err := assignedTasks(root)
	if err != nil || !ok {
		t.Fatalf("ok=%v err=%v", ok, err)
	}
	if len(ids) != 2 || !ids["kept1"] || !ids["kept2"] {
		t.Fatalf("assigned = %v, want kept1 and kept2", ids)
	}
}

type orphanRecorder struct{ keep map[string]bool }

func (o *orphanRecorder) RemoveNodeTasks(context.Context, string) error { return nil }
func (o *orphanRecorder) RemoveOrphanTasks(_ context.Context, keep map[string]bool) error {
	o.keep = keep
	return nil
}

// Without a worker database (a manager that never ran tasks, or a node
// that has not reached its first session) nothing is removed: an empty
// keep set would remove every task container.
func TestRemoveOrphanTasksNeedsTheDatabase(t *testing.T) {
	rec := &orphanRecorder{}
	c := &Cluster{cfg: Config{Root: t.TempDir(), Tasks: rec}}
	c.cfg.Log = slog.New(slog.DiscardHandler)
	c.removeOrphanTasks()
	if rec.keep != nil {
		t.Fatalf("removed with keep=%v although there is no database", rec.keep)
	}
}
