package container

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/container"

	"github.com/wharf/wharf/internal/filters"
)

// answersPromptly fails t unless call returns within a few seconds: the
// readers must not wait for a container whose lock a slow start holds.
func answersPromptly(t *testing.T, what string, call func() error) {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- call() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("%s: %v", what, err)
		}
	case <-time.After(5 * time.Second):
		t.Fatalf("%s waited for a container's lock held by a start", what)
	}
}

// A start stalled in the runtime holds its container's lock; list,
// inspect, stats and top answer meanwhile, and show the container as it
// was before the start, then as it is after.
func TestReadersDoNotWaitForAStalledStart(t *testing.T) {
	d := newTestDaemon(t)
	ctx := context.Background()
	other := d.run(t, nil, nil)
	slow := d.create(t, nil, nil)

	entered, release := make(chan struct{}), make(chan struct{})
	d.rt.onStart = func(id string) {
		if id == slow {
			close(entered)
			<-release
		}
	}
	started := make(chan error, 1)
	go func() { started <- d.Start(ctx, slow) }()
	<-entered
	released := false
	defer func() {
		if !released {
			close(release)
		}
	}()

	answersPromptly(t, "list", func() error {
		list, err := d.List(ctx, ListOptions{All: true, Filters: filters.Args{}})
		if err != nil {
			return err
		}
		states := map[string]container.ContainerState{}
		for _, c := range list {
			states[c.ID] = c.State
		}
		if states[slow] != container.StateCreated || states[other] != container.StateRunning {
			t.Errorf("list during the start: %v, want %s created and %s running", states, shortID(slow), shortID(other))
		}
		return nil
	})
	answersPromptly(t, "inspect", func() error {
		in, err := d.Inspect(ctx, slow, false)
		if err == nil && (in.State.Status != container.StateCreated || in.State.Running) {
			t.Errorf("inspect during the start: %+v, want the state before it", in.State)
		}
		return err
	})
	answersPromptly(t, "top of the starting container", func() error {
		_, err := d.Top(ctx, slow, "")
		if !errdefs.IsConflict(err) {
			t.Errorf("top of a container not yet started: %v, want a conflict", err)
		}
		return nil
	})
	answersPromptly(t, "stats", func() error {
		return d.Stats(ctx, slow, StatsOptions{OneShot: true}, func(container.StatsResponse) error { return nil })
	})

	close(release)
	released = true
	if err := <-started; err != nil {
		t.Fatal(err)
	}
	if in, err := d.Inspect(ctx, slow, false); err != nil || !in.State.Running || in.State.Pid == 0 {
		t.Fatalf("inspect after the start: %+v, %v", in.State, err)
	}
}

// Inspect and list read a published copy: while starts and stops run,
// every answer is one whole state, never half of one (run with -race).
func TestViewsAreNeverTorn(t *testing.T) {
	d := newTestDaemon(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	id := d.create(t, nil, nil)

	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; i < 30; i++ {
			if err := d.Start(ctx, id); err != nil {
				t.Error(err)
				return
			}
			if err := d.Stop(ctx, id, StopOptions{Timeout: intPtr(1)}); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	whole := func(st container.State) bool {
		running := st.Status == container.StateRunning || st.Status == container.StatePaused
		return st.Running == running && (st.Pid != 0) == running
	}
	finished := waitDone(&wg)
	for done := false; !done; {
		select {
		case <-finished:
			done = true
		default:
		}
		in, err := d.Inspect(ctx, id, false)
		if err != nil {
			t.Fatal(err)
		}
		if !whole(*in.State) {
			t.Fatalf("torn state: %+v", in.State)
		}
		list, err := d.List(ctx, ListOptions{All: true, Filters: filters.Args{}})
		if err != nil || len(list) != 1 {
			t.Fatalf("list: %v, %v", list, err)
		}
	}
}

func waitDone(wg *sync.WaitGroup) <-chan struct{} {
	ch := make(chan struct{})
	go func() { wg.Wait(); close(ch) }()
	return ch
}
