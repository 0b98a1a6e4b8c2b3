package container

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"

	"github.com/moby/go-archive"
	"github.com/moby/moby/api/types/container"
	"golang.org/x/sys/unix"
)

// Changes is GET /containers/{id}/changes: what the container's writable
// layer adds (A), changes (C) and deletes (D) relative to its image.
func (s *Service) Changes(ctx context.Context, ref string) ([]container.FilesystemChange, error) {
	c, err := s.get(ref)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	rw, err := s.prepareRootfs(ctx, c)
	if err != nil {
		return nil, err
	}
	return upperChanges(rw.Upper, rw.Lowers)
}

// mountpointPaths are what runc may create in the writable layer as
// mount points for the daemon's own mounts (docker keeps them in an init
// layer). Diff and commit leave them out when the image lacks them and
// they are empty.
var mountpointPaths = []string{
	"/.dockerenv", "/dev", "/dev/console", "/dev/pts", "/dev/shm", "/proc", "/sys",
	"/etc/hostname", "/etc/hosts", "/etc/mtab", "/etc/resolv.conf",
}

// madeMountpoints lists those of mountpointPaths that upper holds for that
// reason alone.
func madeMountpoints(upper string, lowers []string) map[string]bool {
	made := map[string]bool{}
	for _, p := range mountpointPaths {
		fi, err := os.Lstat(filepath.Join(upper, p))
		if err != nil || inLowers(lowers, p) {
			continue
		}
		if fi.Mode().IsRegular() && fi.Size() == 0 {
			made[p] = true
		} else if entries, err := os.ReadDir(filepath.Join(upper, p)); err == nil && fi.IsDir() && len(entries) == 0 {
			made[p] = true
		}
	}
	return made
}

// upperChanges lists the changes an overlay upper directory makes over
// lowers (bottom layer first). A whiteout (a 0/0 character device) is a
// deletion; an opaque directory deletes what the lowers had in it.
func upperChanges(upper string, lowers []string) ([]container.FilesystemChange, error) {
	changes := []container.FilesystemChange{}
	made := madeMountpoints(upper, lowers)
	err := filepath.WalkDir(upper, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if p == upper && errors.Is(err, fs.ErrNotExist) {
				return filepath.SkipAll // never started: no changes
			}
			return err
		}
		if p == upper {
			return nil
		}
		rel, err := filepath.Rel(upper, p)
		if err != nil {
			return err
		}
		path := "/" + rel
		if made[path] || d.IsDir() && onlyMountpoints(p, path, made) {
			return nil
		}
		if isWhiteout(p, d) {
			changes = append(changes, container.FilesystemChange{Kind: container.ChangeDelete, Path: path})
			return nil
		}
		kind := container.ChangeAdd
		if inLowers(lowers, rel) {
			kind = container.ChangeModify
		}
		changes = append(changes, container.FilesystemChange{Kind: kind, Path: path})
		if d.IsDir() && isOpaque(p) {
			for _, name := range lowerNames(lowers, rel) {
				if _, err := os.Lstat(filepath.Join(p, name)); errors.Is(err, fs.ErrNotExist) {
					changes = append(changes, container.FilesystemChange{Kind: container.ChangeDelete, Path: filepath.Join(path, name)})
				}
			}
		}
		return nil
	})
	sort.Slice(changes, func(i, j int) bool { return changes[i].Path < changes[j].Path })
	return changes, err
}

// onlyMountpoints reports whether directory dir (path in the container)
// was copied up only to hold made mount points.
func onlyMountpoints(dir, path string, made map[string]bool) bool {
	entries, err := os.ReadDir(dir)
	if err != nil || len(entries) == 0 || isOpaque(dir) {
		return false
	}
	for _, e := range entries {
		if !made[filepath.Join(path, e.Name())] {
			return false
		}
	}
	return true
}

// isWhiteout reports whether p is overlay's whiteout, a 0/0 char device.
func isWhiteout(p string, d fs.DirEntry) bool {
	if d.Type()&fs.ModeCharDevice == 0 {
		return false
	}
	var st unix.Stat_t
	return unix.Lstat(p, &st) == nil && st.Rdev == 0
}

func isOpaque(dir string) bool {
	buf := make([]byte, 1)
	n, err := unix.Lgetxattr(dir, "trusted.overlay.opaque", buf)
	return err == nil && n == 1 && buf[0] == 'y'
}

// inLowers reports whether the image has rel: the topmost layer that
// mentions it decides (a whiteout there means it was deleted).
func inLowers(lowers []string, rel string) bool {
	for i := len(lowers) - 1; i >= 0; i-- {
		p := filepath.Join(lowers[i], rel)
		fi, err := os.Lstat(p)
		if err != nil {
			continue
		}
		var st unix.Stat_t
		if fi.Mode()&fs.ModeCharDevice != 0 && unix.Lstat(p, &st) == nil && st.Rdev == 0 {
			return false
		}
		return true
	}
	return false
}

// lowerNames lists the entries the image has in directory rel.
func lowerNames(lowers []string, rel string) []string {
	seen := map[string]bool{}
	var names []string
	for _, l := range lowers {
		entries, _ := os.ReadDir(filepath.Join(l, rel))
		for _, e := range entries {
			if !seen[e.Name()] && inLowers(lowers, filepath.Join(rel, e.Name())) {
				seen[e.Name()] = true
				names = append(names, e.Name())
			}
		}
	}
	sort.Strings(names)
	return names
}

// Export is GET /containers/{id}/export: the container's whole root file
// system as a tar. Closing it releases the container.
func (s *Service) Export(ctx context.Context, ref string) (io.ReadCloser, error) {
	_, root, release, err := s.withRootfs(ctx, ref, false)
	if err != nil {
		return nil, err
	}
	rc, err := archive.TarWithOptions(root, &archive.TarOptions{})
	if err != nil {
		release()
		return nil, err
	}
	return &releaseCloser{ReadCloser: rc, release: release}, nil
}
