package keylock

import (
	"sync"
	"sync/atomic"
	"testing"
)

func TestSameKeySerialisedOthersNot(t *testing.T) {
	var m Map
	var inside atomic.Int32
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			unlock := m.Lock("a")
			if inside.Add(1) != 1 {
				t.Error("two holders of the same key")
			}
			inside.Add(-1)
			unlock()
		})
	}
	wg.Wait()
	unlockA := m.Lock("a")
	unlockB := m.Lock("b") // would deadlock if keys shared a lock
	unlockB()
	unlockA()
	if len(m.locks) != 0 {
		t.Fatalf("locks kept after release: %d", len(m.locks))
	}
}
