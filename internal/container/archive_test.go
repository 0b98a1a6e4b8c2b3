package container

import (
	"os"
	"path/filepath"
	"testing"
)

func TestResolvePathStaysInRoot(t *testing.T) {
	root := t.TempDir()
	if err := os.Mkdir(filepath.Join(root, "etc"), 0o755); err != nil {
		t.Fatal(err)
	}
	for name, target := range map[string]string{"abs": "/etc", "rel": "../../../../../etc"} {
		if err := os.Symlink(target, filepath.Join(root, name)); err != nil {
			t.Fatal(err)
		}
		resolved, abs, err := resolvePath(root, "/"+name+"/passwd")
		if err != nil {
			t.Fatal(err)
		}
		if want := filepath.Join(root, "etc", "passwd"); resolved != want || abs != "/"+name+"/passwd" {
			t.Fatalf("%s: resolved %q (want %q), abs %q", name, resolved, want, abs)
		}
		st, err := statPath(root, filepath.Join(root, name), "/"+name)
		if err != nil || st.LinkTarget != "/etc" {
			t.Fatalf("%s: stat %+v, %v", name, st, err)
		}
	}
	if _, abs, _ := resolvePath(root, "dir/."); abs != "/dir/." {
		t.Fatalf(`"/." not kept: %q`, abs)
	}
}
