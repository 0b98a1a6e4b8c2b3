package inuse

import (
	"fmt"
	"slices"
	"sync"
	"testing"
)

func TestIndex(t *testing.T) {
	x := New()
	x.SetImage("c1", "img")
	x.SetImage("c2", "img")
	x.SetImage("c3", "other")
	x.SetRunning("c2", true)
	x.AddVolume("c1", "data")
	x.AddVolume("c1", "data")
	x.AddVolume("c3", "data")
	if got := x.ImageUsers("img"); !slices.Equal(got, []User{{ID: "c1"}, {ID: "c2", Running: true}}) {
		t.Fatalf("image users: %v", got)
	}
	if got := x.VolumeUsers("data"); !slices.Equal(got, []string{"c1", "c3"}) {
		t.Fatalf("volume users: %v", got)
	}
	x.Remove("c1")
	if got := x.VolumeUsers("data"); !slices.Equal(got, []string{"c3"}) {
		t.Fatalf("after remove: %v", got)
	}
	if got := x.ImageUsers("none"); got != nil {
		t.Fatalf("unused image: %v", got)
	}
}

// TestIndexConcurrent is run with -race: writers and readers at once.
func TestIndexConcurrent(t *testing.T) {
	x := New()
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(2)
		go func() {
			defer wg.Done()
			for i := range 500 {
				id := fmt.Sprintf("c%d-%d", w, i)
				x.SetImage(id, "img")
				x.AddVolume(id, "v")
				x.SetRunning(id, i%2 == 0)
				x.Remove(id)
			}
		}()
		go func() {
			defer wg.Done()
			for range 500 {
				x.ImageUsers("img")
				x.VolumeUsers("v")
			}
		}()
	}
	wg.Wait()
	if len(x.ImageUsers("img")) != 0 || len(x.VolumeUsers("v")) != 0 {
		t.Fatal("uses left after every container was removed")
	}
}
