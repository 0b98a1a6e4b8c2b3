package image

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"sync"
	"testing"

	"github.com/containerd/errdefs"
	imagetypes "github.com/moby/moby/api/types/image"

	"github.com/wharf/wharf/internal/filters"
	"github.com/wharf/wharf/internal/inuse"
)

func TestDeleteUntagsThenDeletes(t *testing.T) {
	s, root := newTestService(t)
	ctx := context.Background()
	id := importTar(t, s, simpleRootfs(t), "busybox", "")
	s.Tag(ctx, "busybox", "other", "1")

	got, err := s.Delete(ctx, "other:1", false, false)
	if err != nil || !reflect.DeepEqual(got, []imagetypes.DeleteResponse{{Untagged: "other:1"}}) {
		t.Fatalf("untag: %+v %v", got, err)
	}
	got, err = s.Delete(ctx, "busybox", false, false)
	if err != nil || len(got) != 3 || got[0].Untagged != "busybox:latest" || got[1].Deleted != id || got[2].Deleted == "" {
		t.Fatalf("delete: %+v %v", got, err)
	}
	for _, d := range []string{"layers", "l", "images", "blobs/sha256"} {
		if des, _ := os.ReadDir(filepath.Join(root, d)); len(des) != 0 {
			t.Errorf("%s not emptied: %v", d, des)
		}
	}
}

func TestDeleteConflicts(t *testing.T) {
	s, _ := newTestService(t)
	ctx := context.Background()
	id := importTar(t, s, simpleRootfs(t), "busybox", "")
	short := id[7:19]
	users := inuse.New()
	s.users = users
	users.SetImage("abcdef0123456789", id)
	_, err := s.Delete(ctx, "busybox", false, false)
	if !errdefs.IsConflict(err) || err.Error() != `conflict: unable to remove repository reference "busybox" (must force) - container abcdef012345 is using its referenced image `+short {
		t.Fatalf("by name: %v", err)
	}
	_, err = s.Delete(ctx, id, false, false)
	if !errdefs.IsConflict(err) || err.Error() != "conflict: unable to delete "+short+" (must be forced) - image is being used by stopped container abcdef012345" {
		t.Fatalf("by id, stopped: %v", err)
	}
	users.SetRunning("abcdef0123456789", true)
	_, err = s.Delete(ctx, id, true, false)
	if !errdefs.IsConflict(err) || err.Error() != "conflict: unable to delete "+short+" (cannot be forced) - image is being used by running container abcdef012345" {
		t.Fatalf("by id, running: %v", err)
	}
	// Forcing by name while running: untagged, image kept (dangling).
	got, err := s.Delete(ctx, "busybox", true, false)
	if err != nil || len(got) != 1 || got[0].Untagged != "busybox:latest" {
		t.Fatalf("force by name: %+v %v", got, err)
	}
	if _, err := s.Get(ctx, id); err != nil {
		t.Fatal("in-use image removed")
	}
	// Stopped + force: removed, layers kept for the container.
	users.SetRunning("abcdef0123456789", false)
	img, _ := s.Get(ctx, id)
	dirs, _ := s.extractedLayerDirs(ctx, img)
	if _, err := s.Delete(ctx, id, true, false); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dirs[0], "hello.txt")); err != nil {
		t.Fatal("layers of a stopped container's image removed")
	}

	// Two repositories, deleted by ID without force.
	id2 := importTar(t, s, simpleRootfs(t), "img-a", "two")
	s.Tag(ctx, "img-a", "img-b", "")
	_, err = s.Delete(ctx, id2, false, false)
	if !errdefs.IsConflict(err) || err.Error() != "conflict: unable to delete "+id2[7:19]+" (must be forced) - image is referenced in multiple repositories" {
		t.Fatalf("multiple repos: %v", err)
	}
	got, err = s.Delete(ctx, id2, true, false)
	if err != nil || len(got) < 3 {
		t.Fatalf("forced: %+v %v", got, err)
	}
}

func TestListFilters(t *testing.T) {
	s, _ := newTestService(t)
	ctx := context.Background()
	a := importTar(t, s, simpleRootfs(t), "app", "a", "LABEL tier=web")
	b := importTar(t, s, simpleRootfs(t), "", "b")
	ids := func(f filters.Args) []string {
		list, err := s.List(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, x := range list {
			out = append(out, x.ID)
		}
		return out
	}
	mk := func(kv ...string) filters.Args {
		f := filters.Args{}
		for i := 0; i < len(kv); i += 2 {
			f.Add(kv[i], kv[i+1])
		}
		return f
	}
	if got := ids(mk()); len(got) != 2 {
		t.Fatalf("all: %v", got)
	}
	if got := ids(mk("dangling", "true")); !reflect.DeepEqual(got, []string{b}) {
		t.Fatalf("dangling: %v", got)
	}
	if got := ids(mk("dangling", "false")); !reflect.DeepEqual(got, []string{a}) {
		t.Fatalf("not dangling: %v", got)
	}
	if got := ids(mk("label", "tier=web")); !reflect.DeepEqual(got, []string{a}) {
		t.Fatalf("label: %v", got)
	}
	if got := ids(mk("reference", "ap*")); !reflect.DeepEqual(got, []string{a}) {
		t.Fatalf("reference: %v", got)
	}
	if _, err := s.List(ctx, mk("bogus", "1")); !errdefs.IsInvalidArgument(err) {
		t.Fatalf("bogus filter: %v", err)
	}
	rep, err := s.Prune(ctx, filters.Args{})
	if err != nil || len(rep.ImagesDeleted) == 0 || rep.ImagesDeleted[0].Deleted != b {
		t.Fatalf("prune: %+v %v", rep, err)
	}
	if got := ids(mk()); !reflect.DeepEqual(got, []string{a}) {
		t.Fatalf("after prune: %v", got)
	}
}

// TestDeleteRacesCreate races rmi against the container service's create
// protocol (record the use in the index, then look the image up again):
// whenever the second lookup succeeds, the image stays until the use is
// dropped. Run with -race.
func TestDeleteRacesCreate(t *testing.T) {
	s, _ := newTestService(t)
	users := inuse.New()
	s.users = users
	ctx := context.Background()
	rootfs := simpleRootfs(t)
	kept, deleted := 0, 0
	for i := range 100 {
		id := importTar(t, s, rootfs, "", fmt.Sprint(i))
		container := fmt.Sprintf("c%d", i)
		var wg sync.WaitGroup
		wg.Add(2)
		go func() {
			defer wg.Done()
			users.SetImage(container, id)
			defer users.Remove(container)
			if _, err := s.Get(ctx, id); err != nil {
				return // the removal won: the create fails
			}
			runtime.Gosched()
			if _, err := s.Get(ctx, id); err != nil {
				t.Errorf("image %s removed while container %s uses it", id, container)
			}
		}()
		go func() {
			defer wg.Done()
			if _, err := s.Delete(ctx, id, false, false); err == nil {
				deleted++
			} else if errdefs.IsConflict(err) {
				kept++
			} else {
				t.Errorf("delete: %v", err)
			}
		}()
		wg.Wait()
	}
	t.Logf("%d removed first, %d refused as in use", deleted, kept)
}

// TestDeleteByIDWithOneTag: as dockerd, an ID whose image has one tag
// (all its references in one repository) untags and deletes it without
// --force.
func TestDeleteByIDWithOneTag(t *testing.T) {
	s, _ := newTestService(t)
	ctx := context.Background()
	id := importTar(t, s, simpleRootfs(t), "one", "")
	got, err := s.Delete(ctx, id, false, false)
	if err != nil || len(got) < 2 || got[0].Untagged != "one:latest" || got[1].Deleted != id {
		t.Fatalf("rmi by ID: %+v %v", got, err)
	}
}
