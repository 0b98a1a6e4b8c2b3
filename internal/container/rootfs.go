package container

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// The container's root file system is an overlay: the image's layers,
// read-only and shared, under a writable layer of its own in
// <root>/<id>/upper that goes away with the container.

func (s *Service) rootfsPath(id string) string { return filepath.Join(s.dir(id), "rootfs") }

// imageLayers is c's image's layer directories, lowest first, extracted
// if they were not yet.
func (s *Service) imageLayers(ctx context.Context, c *Container) ([]string, error) {
	img, err := s.cfg.Images.Get(ctx, c.ImageID)
	if err != nil {
		return nil, err
	}
	return s.cfg.Images.LayerDirs(ctx, img)
}

// mountRootfs mounts the overlay for c at rootfsPath.
func (s *Service) mountRootfs(ctx context.Context, c *Container) (string, error) {
	lowers, err := s.imageLayers(ctx, c)
	if err != nil {
		return "", err
	}
	dir := s.dir(c.ID)
	upper, work, target := filepath.Join(dir, "upper"), filepath.Join(dir, "work"), s.rootfsPath(c.ID)
	for _, d := range []string{upper, work, target} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return "", err
		}
	}
	if len(lowers) == 0 {
		// An image without layers (FROM scratch, nothing added): overlay
		// needs a lower directory, so give it an empty one.
		empty := filepath.Join(dir, "empty")
		if err := os.MkdirAll(empty, 0o755); err != nil {
			return "", err
		}
		lowers = []string{empty}
	}
	// overlay wants the topmost lower first.
	rev := make([]string, len(lowers))
	for i, l := range lowers {
		rev[len(lowers)-1-i] = l
	}
	opts := fmt.Sprintf("lowerdir=%s,upperdir=%s,workdir=%s", strings.Join(rev, ":"), upper, work)
	if len(opts) >= unix.Getpagesize() {
		return "", fmt.Errorf("overlay mount options too long (%d layers)", len(lowers))
	}
	if isMounted(target) {
		return target, nil
	}
	if err := s.cfg.Mounter.Mount("overlay", target, "overlay", 0, opts); err != nil {
		return "", fmt.Errorf("mounting container root file system: %w", err)
	}
	return target, nil
}

// unmountRootfs undoes mountRootfs; a root that is not mounted is fine.
func (s *Service) unmountRootfs(id string) error {
	target := s.rootfsPath(id)
	err := s.cfg.Mounter.Unmount(target, unix.MNT_DETACH)
	if err != nil && !errors.Is(err, unix.EINVAL) && !errors.Is(err, unix.ENOENT) {
		return fmt.Errorf("unmounting %s: %w", target, err)
	}
	return nil
}

// isMounted reports whether path is a mount point (its device differs
// from its parent's).
func isMounted(path string) bool {
	var st, parent unix.Stat_t
	if unix.Lstat(path, &st) != nil || unix.Lstat(filepath.Dir(path), &parent) != nil {
		return false
	}
	return st.Dev != parent.Dev
}
