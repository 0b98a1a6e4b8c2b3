package volume

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/moby/moby/api/types/volume"

	"github.com/wharf/wharf/internal/filters"
	"github.com/wharf/wharf/internal/inuse"
)

func newService(t *testing.T, root string) *Service {
	t.Helper()
	return newServiceWith(t, root, nil)
}

func newServiceWith(t *testing.T, root string, users Users) *Service {
	t.Helper()
	s, err := New(Config{Root: root, Users: users})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestCreateInspectReload(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	s := newService(t, root)
	v, err := s.Create(ctx, volume.CreateRequest{Name: "data", Labels: map[string]string{"a": "1"}})
	if err != nil {
		t.Fatal(err)
	}
	if v.Mountpoint != filepath.Join(root, "data", "_data") || v.Driver != "local" || v.Scope != "local" || v.Labels["a"] != "1" {
		t.Fatalf("got %+v", v)
	}
	os.WriteFile(filepath.Join(v.Mountpoint, "f"), []byte("x"), 0o644)
	// Creating it again returns the existing volume.
	again, err := s.Create(ctx, volume.CreateRequest{Name: "data"})
	if err != nil || again.Labels["a"] != "1" {
		t.Fatalf("got %+v %v", again, err)
	}
	// A new service (a daemon restart) finds it, and drops a half-made one.
	os.MkdirAll(filepath.Join(root, ".new-half", "_data"), 0o755)
	s2 := newService(t, root)
	got, err := s2.Inspect(ctx, "data")
	if err != nil || got.CreatedAt != v.CreatedAt {
		t.Fatalf("after reload: %+v %v", got, err)
	}
	if _, err := os.Stat(filepath.Join(root, ".new-half")); err == nil {
		t.Fatal("half-made volume left")
	}
	if b, _ := os.ReadFile(filepath.Join(got.Mountpoint, "f")); string(b) != "x" {
		t.Fatal("data lost")
	}
}

func TestCreateErrors(t *testing.T) {
	s := newService(t, t.TempDir())
	_, err := s.Create(context.Background(), volume.CreateRequest{Name: "a/b"})
	if err == nil || !strings.Contains(err.Error(), `"a/b" includes invalid characters for a local volume name`) {
		t.Fatalf("got %v", err)
	}
	if _, err := s.Create(context.Background(), volume.CreateRequest{Name: "x", Driver: "nfs"}); err == nil {
		t.Fatal("unknown driver accepted")
	}
	if _, err := s.Create(context.Background(), volume.CreateRequest{Name: "x", DriverOpts: map[string]string{"bogus": "1"}}); err == nil {
		t.Fatal("unknown option accepted")
	}
}

func TestRemoveInUseAndPrune(t *testing.T) {
	ctx := context.Background()
	users := inuse.New()
	users.AddVolume("abc", "used")
	s := newServiceWith(t, t.TempDir(), users)
	for _, n := range []string{"used", "named"} {
		if _, err := s.Create(ctx, volume.CreateRequest{Name: n}); err != nil {
			t.Fatal(err)
		}
	}
	anon, err := s.CreateFor(ctx, "def", "", nil, nil)
	if err != nil || len(anon) != 64 {
		t.Fatalf("anonymous: %q %v", anon, err)
	}
	// In use by its container from the start, until the container goes.
	if err := s.Remove(ctx, anon, false); err == nil {
		t.Fatal("removed an anonymous volume in use")
	}
	users.Remove("def")
	err = s.Remove(ctx, "used", false)
	if err == nil || err.Error() != "remove used: volume is in use - [abc]" {
		t.Fatalf("got %v", err)
	}
	if err := s.Remove(ctx, "nope", false); err == nil || err.Error() != "get nope: no such volume" {
		t.Fatalf("got %v", err)
	}
	if err := s.Remove(ctx, "nope", true); err != nil {
		t.Fatal(err)
	}

	dangling := filters.Args{}
	dangling.Add("dangling", "true")
	l, err := s.List(ctx, dangling)
	if err != nil || len(l.Volumes) != 2 {
		t.Fatalf("dangling: %+v %v", l, err)
	}
	byName := filters.Args{}
	byName.Add("name", "nam")
	if l, _ := s.List(ctx, byName); len(l.Volumes) != 1 || l.Volumes[0].Name != "named" {
		t.Fatalf("name filter: %+v", l)
	}

	// Prune takes only unused anonymous volumes, unless all=true.
	rep, err := s.Prune(ctx, filters.Args{})
	if err != nil || len(rep.VolumesDeleted) != 1 || rep.VolumesDeleted[0] != anon {
		t.Fatalf("prune: %+v %v", rep, err)
	}
	all := filters.Args{}
	all.Add("all", "true")
	rep, err = s.Prune(ctx, all)
	if err != nil || len(rep.VolumesDeleted) != 1 || rep.VolumesDeleted[0] != "named" {
		t.Fatalf("prune all: %+v %v", rep, err)
	}
	if l, _ := s.List(ctx, filters.Args{}); len(l.Volumes) != 1 {
		t.Fatalf("left: %+v", l)
	}
}

// TestPruneRacesCreateFor races prune and rm against containers being
// handed volumes: a volume handed out is never removed while its
// container uses it. Run with -race.
func TestPruneRacesCreateFor(t *testing.T) {
	ctx := context.Background()
	users := inuse.New()
	s := newServiceWith(t, t.TempDir(), users)
	all := filters.Args{}
	all.Add("all", "true")
	var wg, pruner sync.WaitGroup
	stop := make(chan struct{})
	pruner.Add(1)
	go func() {
		defer pruner.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			s.Prune(ctx, all)
			s.Remove(ctx, "shared", false)
		}
	}()
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 50 {
				id := fmt.Sprintf("c%d-%d", w, i)
				for _, name := range []string{"", "shared"} {
					got, err := s.CreateFor(ctx, id, name, nil, nil)
					if err != nil {
						t.Errorf("create for %s: %v", id, err)
						continue
					}
					if _, err := s.Mount(ctx, got); err != nil {
						t.Errorf("volume %s of %s removed while in use: %v", got, id, err)
					}
				}
				users.Remove(id)
			}
		}()
	}
	wg.Wait()
	close(stop)
	pruner.Wait()
}
