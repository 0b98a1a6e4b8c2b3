package container

import (
	"context"
	"testing"

	"github.com/moby/moby/api/types/container"
)

// A crash between the runtime's pause and the record leaves them
// disagreeing; the next start makes the record say what the runtime does,
// and thaws a container a commit had frozen.
func TestRestoreReconcilesPause(t *testing.T) {
	d := newTestDaemon(t)
	ctx := context.Background()
	pausedUnrecorded := d.run(t, nil, nil)
	frozenByCommit := d.run(t, nil, nil)
	if err := d.rt.Pause(ctx, pausedUnrecorded); err != nil {
		t.Fatal(err)
	}
	c, err := d.get(frozenByCommit)
	if err != nil {
		t.Fatal(err)
	}
	d.markPausedForCommit(c, true)
	if err := d.Pause(ctx, frozenByCommit); err != nil {
		t.Fatal(err)
	}

	d.cancel()
	d = d.restart(t)

	if st := d.state(t, pausedUnrecorded); !st.Paused || st.Status != container.StatePaused {
		t.Errorf("a container the runtime paused: %+v", st)
	}
	if st := d.state(t, frozenByCommit); st.Paused || st.Status != container.StateRunning || d.rt.status(frozenByCommit) != "running" {
		t.Errorf("a container a commit froze: %+v, runtime %q", st, d.rt.status(frozenByCommit))
	}
	if c, err := d.get(frozenByCommit); err != nil || c.PausedForCommit {
		t.Errorf("the commit's mark outlived the restart (%v)", err)
	}
}
