package runtime

import (
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"
)

// wharf-runc (hack/runc/seccomp-cache.patch) keeps each seccomp profile
// it compiled in the runtime's root, as seccomp-<key>.json (~14 KB), the
// key covering the profile, libseccomp and the runc binary: a new runc,
// or a container with a profile of its own (its capabilities change
// docker's default profile), adds a file. Nothing else removes them.
const (
	// SeccompCacheKeep is how many compiled filters PruneSeccompCache
	// keeps: the profiles a host's containers use are few.
	SeccompCacheKeep = 32
	// seccompTempAge: a temporary file this old is one a killed runc left
	// (runc writes one whole, then renames it, in well under a second).
	seccompTempAge = time.Minute
)

// PruneSeccompCache keeps the keep most recently used compiled seccomp
// filters in the runtime's root and removes the others, and the temporary
// files a killed runc left. A filter removed while a container still uses
// it costs only a compilation (~25 ms) at that container's next exec,
// which writes it again. It returns how many files it removed.
func (r *Runtime) PruneSeccompCache(keep int, now time.Time) (int, error) {
	entries, err := os.ReadDir(r.Root)
	if os.IsNotExist(err) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	type filter struct {
		path string
		used time.Time
	}
	var filters []filter
	removed := 0
	for _, e := range entries {
		name := e.Name()
		if !e.Type().IsRegular() {
			continue
		}
		info, err := e.Info()
		if err != nil {
			continue // removed meanwhile
		}
		path := filepath.Join(r.Root, name)
		switch {
		case strings.HasPrefix(name, "seccomp-") && strings.HasSuffix(name, ".json"):
			filters = append(filters, filter{path, lastUse(info)})
		case strings.HasPrefix(name, ".seccomp-") && now.Sub(info.ModTime()) > seccompTempAge:
			if os.Remove(path) == nil {
				removed++
			}
		}
	}
	if len(filters) <= keep {
		return removed, nil
	}
	// Newest first.
	slices.SortFunc(filters, func(a, b filter) int { return b.used.Compare(a.used) })
	for _, f := range filters[keep:] {
		if os.Remove(f.path) == nil {
			removed++
		}
	}
	return removed, nil
}

// lastUse is when a filter was last written or read. runc reads a filter
// at every start and exec that uses it, and the kernel updates the access
// time of a file read after it was written, then at most daily (relatime):
// close enough to tell the filters in use from those no longer used.
func lastUse(info fs.FileInfo) time.Time {
	t := info.ModTime()
	if st, ok := info.Sys().(*syscall.Stat_t); ok {
		if read := time.Unix(st.Atim.Sec, st.Atim.Nsec); read.After(t) {
			t = read
		}
	}
	return t
}
