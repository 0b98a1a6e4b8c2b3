package container

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/containerd/errdefs"
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/wharf/wharf/internal/errs"
	"github.com/wharf/wharf/internal/fsutil"
	"github.com/wharf/wharf/internal/store/layer"
)

// The container's root file system is an overlay that the layer store
// mounts: the image's layers, read-only and shared, under a read-write
// layer of the container's own (keyed by its ID) that goes away with it.

func (s *Service) rootfsPath(id string) string { return filepath.Join(s.dir(id), "rootfs") }

// prepareRootfs returns c's read-write layer, making it over c's image's
// layers (extracted if they were not yet) the first time.
func (s *Service) prepareRootfs(ctx context.Context, c *Container) (layer.RW, error) {
	img, err := s.cfg.Images.Get(ctx, c.ImageID)
	if err != nil {
		return layer.RW{}, err
	}
	chains, err := s.cfg.Images.Layers(ctx, img)
	if err != nil {
		return layer.RW{}, err
	}
	return s.cfg.Layers.Prepare(ctx, c.ID, chains)
}

// mountRootfs mounts c's root file system at rootfsPath.
func (s *Service) mountRootfs(ctx context.Context, c *Container) (string, error) {
	if _, err := s.prepareRootfs(ctx, c); err != nil {
		return "", err
	}
	target := s.rootfsPath(c.ID)
	if p := c.userns(); p != nil {
		// The image's files as the pod's user namespace sees them
		// (layer.IDMap); its root owns the writable layer's top.
		m := layer.IDMap{Userns: p.UserNS, UID: hostRoot(p.UIDMap), GID: hostRoot(p.GIDMap)}
		// runc's init, already the pod's root (an unprivileged id on the
		// host), reaches the root file system by its path: the
		// directories above it must let others search them (0711, as
		// containerd makes a user namespace's bundle; nothing is listed
		// or read through them).
		for _, d := range []string{s.cfg.Root, s.dir(c.ID)} {
			if err := os.Chmod(d, 0o711); err != nil {
				return "", err
			}
		}
		if err := searchable(filepath.Dir(s.cfg.Root)); err != nil {
			return "", err
		}
		if err := s.cfg.Layers.MountIDMapped(ctx, c.ID, target, m); err != nil {
			return "", err
		}
		return target, nil
	}
	if err := s.cfg.Layers.Mount(ctx, c.ID, target); err != nil {
		return "", err
	}
	return target, nil
}

// unmountRootfs undoes mountRootfs; a root that is not mounted is fine.
func (s *Service) unmountRootfs(id string) error {
	// Unmounting does not block; callers on cleanup paths have no context.
	return s.cfg.Layers.Unmount(context.Background(), s.rootfsPath(id))
}

func isMounted(path string) bool { return layer.IsMounted(path) }

// layerDiff is c's writable layer as a layer tar, with the mount points
// the engine made left out: what a commit or a build step keeps. Callers
// hold c.mu.
func (s *Service) layerDiff(ctx context.Context, c *Container) (io.ReadCloser, error) {
	rw, err := s.prepareRootfs(ctx, c)
	if err != nil {
		return nil, err
	}
	var exclude []string
	for p := range madeMountpoints(rw.Upper, rw.Lowers) {
		exclude = append(exclude, strings.TrimPrefix(p, "/"))
	}
	return s.cfg.Layers.Diff(ctx, c.ID, exclude)
}

// rwSize is the bytes in container id's writable layer, 0 if it has none.
func (s *Service) rwSize(ctx context.Context, id string) int64 {
	rw, err := s.cfg.Layers.Stat(ctx, id)
	if err != nil {
		return 0
	}
	return fsutil.DirSize(rw.Upper)
}

// hostRoot is the host id that mappings give container id 0 (CreateInPod
// checks that they map it).
func hostRoot(m []specs.LinuxIDMapping) uint32 {
	for _, r := range m {
		if r.ContainerID == 0 {
			return r.HostID
		}
	}
	return 0
}

// searchable checks that others may search dir and every directory
// above it, as a user namespace's root must to reach a root file system
// below: runc's own words for it are "permission denied".
func searchable(dir string) error {
	for d := dir; ; d = filepath.Dir(d) {
		st, err := os.Stat(d)
		if err != nil {
			return err
		}
		if st.Mode().Perm()&0o001 == 0 {
			return errs.Wrap(errdefs.ErrFailedPrecondition, fmt.Errorf("a container in a user namespace cannot reach its root file system: %s (mode %o) does not let others search it (chmod o+x, as /var/lib is)", d, st.Mode().Perm()))
		}
		if d == filepath.Dir(d) {
			return nil
		}
	}
}
