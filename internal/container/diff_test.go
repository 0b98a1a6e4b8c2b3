package container

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

func mkfile(t *testing.T, path string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestUpperChanges(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("whiteouts (mknod) and opaque directories (trusted.* xattrs) need root")
	}
	tmp := t.TempDir()
	low1, low2, upper := filepath.Join(tmp, "l1"), filepath.Join(tmp, "l2"), filepath.Join(tmp, "upper")
	mkfile(t, filepath.Join(low1, "etc/passwd"))
	mkfile(t, filepath.Join(low1, "etc/gone"))
	mkfile(t, filepath.Join(low1, "opq/old1"))
	mkfile(t, filepath.Join(low2, "opq/old2"))
	mkfile(t, filepath.Join(low2, "opq/kept"))

	mkfile(t, filepath.Join(upper, "etc/passwd")) // changed
	mkfile(t, filepath.Join(upper, "etc/new"))    // added
	if err := unix.Mknod(filepath.Join(upper, "etc/gone"), unix.S_IFCHR, 0); err != nil {
		t.Fatal(err)
	}
	mkfile(t, filepath.Join(upper, "opq/kept"))
	if err := unix.Setxattr(filepath.Join(upper, "opq"), "trusted.overlay.opaque", []byte("y"), 0); err != nil {
		t.Skipf("trusted xattrs not supported here: %v", err)
	}

	changes, err := upperChanges(upper, []string{low1, low2})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range changes {
		got = append(got, c.Kind.String()+" "+c.Path)
	}
	want := "C /etc,D /etc/gone,A /etc/new,C /etc/passwd,C /opq,C /opq/kept,D /opq/old1,D /opq/old2"
	if strings.Join(got, ",") != want {
		t.Fatalf("changes:\n got %s\nwant %s", strings.Join(got, ","), want)
	}
}

// Mount points runc made for the daemon's own mounts are not changes.
func TestUpperChangesMountpoints(t *testing.T) {
	tmp := t.TempDir()
	lower, upper := filepath.Join(tmp, "lower"), filepath.Join(tmp, "upper")
	mkfile(t, filepath.Join(lower, "etc/passwd"))
	mkfile(t, filepath.Join(lower, "proc/x"))
	if err := os.MkdirAll(filepath.Join(upper, "etc"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"etc/hosts", "etc/hostname", "etc/resolv.conf"} {
		if err := os.WriteFile(filepath.Join(upper, f), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	changes, err := upperChanges(upper, []string{lower})
	if err != nil || len(changes) != 0 {
		t.Fatalf("got %v, %v", changes, err)
	}
	mkfile(t, filepath.Join(upper, "etc/new"))
	changes, err = upperChanges(upper, []string{lower})
	if err != nil || len(changes) != 2 || changes[0].Path != "/etc" || changes[1].Path != "/etc/new" {
		t.Fatalf("got %v, %v", changes, err)
	}
}

func TestUpperChangesNeverStarted(t *testing.T) {
	changes, err := upperChanges(filepath.Join(t.TempDir(), "missing"), nil)
	if err != nil || len(changes) != 0 {
		t.Fatalf("got %v, %v", changes, err)
	}
}
