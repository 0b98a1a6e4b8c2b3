package container

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/moby/moby/api/types/container"
)

// fakeVolumes makes anonymous volumes as temporary directories and records
// which were removed.
type fakeVolumes struct {
	t       *testing.T
	mu      sync.Mutex
	dirs    map[string]string
	removed []string
}

func (v *fakeVolumes) CreateFor(ctx context.Context, id, name string, labels, opts map[string]string) (string, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if name == "" {
		name = fmt.Sprintf("anon%d", len(v.dirs))
	}
	if v.dirs[name] == "" {
		v.dirs[name] = v.t.TempDir()
	}
	return name, nil
}

func (v *fakeVolumes) Mount(ctx context.Context, name string) (string, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.dirs[name], nil
}

func (v *fakeVolumes) Remove(ctx context.Context, name string, force bool) error {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.removed = append(v.removed, name)
	delete(v.dirs, name)
	return nil
}

func (v *fakeVolumes) wasRemoved(name string) bool {
	v.mu.Lock()
	defer v.mu.Unlock()
	return slices.Contains(v.removed, name)
}

// TestRestartFinishesRemoveWithVolumes: a crash after rm -v recorded its
// intent finishes at the next start as asked, the anonymous volume
// removed too; a plain rm cut short keeps it.
func TestRestartFinishesRemoveWithVolumes(t *testing.T) {
	for _, removeVolumes := range []bool{true, false} {
		t.Run(fmt.Sprintf("rm -v=%v", removeVolumes), func(t *testing.T) {
			vols := &fakeVolumes{t: t, dirs: map[string]string{}}
			d := newTestDaemon(t)
			d.cfg.Volumes = vols
			d = d.restart(t)
			id := d.create(t, nil, &container.Config{Volumes: map[string]struct{}{"/data": {}}})
			c, err := d.get(id)
			if err != nil {
				t.Fatal(err)
			}
			// What Remove has durably recorded when a kill -9 cuts it short.
			c.mu.Lock()
			vol := c.MountPoints[0].Name
			c.State.Status = container.StateRemoving
			c.RemoveVolumes = removeVolumes
			err = d.save(c)
			c.mu.Unlock()
			if err != nil {
				t.Fatal(err)
			}
			d = d.restart(t)
			if _, err := d.get(id); err == nil {
				t.Fatal("the restart did not finish the removal")
			}
			d.assertNothingLeft(t, id)
			if got := vols.wasRemoved(vol); got != removeVolumes {
				t.Fatalf("anonymous volume removed: %v, want %v", got, removeVolumes)
			}
		})
	}
}
