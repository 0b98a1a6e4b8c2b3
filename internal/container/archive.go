package container

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/moby/go-archive"
	"github.com/moby/go-archive/chrootarchive"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/mount"
	"github.com/moby/sys/symlink"
	"golang.org/x/sys/unix"

	"github.com/wharf/wharf/internal/api/backend"
	"github.com/wharf/wharf/internal/errs"
)

// The archive endpoints (docker cp) work on the container's root file
// system as dockerd's daemon/archive.go does: paths are resolved inside the
// root with symlinks followed in its scope, tars are made and unpacked
// chrooted to the root. For the time of the copy the container's volumes
// and binds are mounted at their destinations inside the root, and a
// stopped container's root is mounted too. The container's lock is held
// throughout, so it cannot start, stop or go away meanwhile.

// withRootfs locks c, mounts its root if it is not running (and its
// volumes and binds if volumes is set), and returns the root and a
// release function.
func (s *Service) withRootfs(ctx context.Context, ref string, volumes bool) (*Container, string, func(), error) {
	c, err := s.get(ref)
	if err != nil {
		return nil, "", nil, err
	}
	c.mu.Lock()
	if c.removed || c.State.Status == container.StateRemoving {
		c.mu.Unlock()
		return nil, "", nil, errs.NotFound("No such container: %s", ref)
	}
	running := c.State.Running
	root, err := s.mountRootfs(ctx, c)
	if err != nil {
		c.mu.Unlock()
		return nil, "", nil, err
	}
	if !running {
		c.cleaned = false // a removal unmounts what an unmount here leaves
	}
	unmountVolumes := func() {}
	if volumes {
		if unmountVolumes, err = s.mountVolumes(ctx, c, root); err != nil {
			if !running {
				s.unmountRootfs(c.ID)
			}
			c.mu.Unlock()
			return nil, "", nil, err
		}
	}
	release := func() {
		unmountVolumes()
		if !running {
			if err := s.unmountRootfs(c.ID); err != nil {
				s.log.Warn("unmount after copy", "id", c.ID, "err", err)
			}
		}
		c.mu.Unlock()
	}
	return c, root, release, nil
}

// mountVolumes bind-mounts c's volumes and binds at their destinations
// under root (read-only ones read-only), as dockerd does for cp, and
// returns what unmounts them.
func (s *Service) mountVolumes(ctx context.Context, c *Container, root string) (func(), error) {
	var done []string
	undo := func() {
		for i := len(done) - 1; i >= 0; i-- {
			if err := unix.Unmount(done[i], unix.MNT_DETACH); err != nil {
				s.log.Warn("unmount volume after copy", "path", done[i], "err", err)
			}
		}
	}
	mps := slices.Clone(c.MountPoints)
	slices.SortFunc(mps, func(a, b *MountPoint) int { return strings.Compare(a.Destination, b.Destination) })
	for _, mp := range mps {
		src := mp.Source
		switch {
		case mp.Type == mount.TypeVolume && s.cfg.Volumes != nil:
			dir, err := s.cfg.Volumes.Mount(ctx, mp.Name)
			if err != nil {
				undo()
				return nil, err
			}
			src = dir
		case mp.Type == mount.TypeBind:
		default:
			continue
		}
		dest, err := symlink.FollowSymlinkInScope(filepath.Join(root, mp.Destination), root)
		if err != nil {
			undo()
			return nil, err
		}
		if err := makeMountpoint(src, dest); err != nil {
			undo()
			return nil, err
		}
		if err := unix.Mount(src, dest, "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
			undo()
			return nil, fmt.Errorf("mounting %s for copy: %w", mp.Destination, err)
		}
		done = append(done, dest)
		if !mp.RW {
			if err := unix.Mount("", dest, "", unix.MS_REMOUNT|unix.MS_BIND|unix.MS_RDONLY, ""); err != nil {
				undo()
				return nil, fmt.Errorf("mounting %s read-only for copy: %w", mp.Destination, err)
			}
		}
	}
	return undo, nil
}

// makeMountpoint creates dest as a directory, or an empty file when src
// is not a directory, unless it exists.
func makeMountpoint(src, dest string) error {
	if _, err := os.Lstat(dest); err == nil {
		return nil
	}
	fi, err := os.Stat(src)
	if err != nil {
		return err
	}
	if fi.IsDir() {
		return os.MkdirAll(dest, 0o755)
	}
	if err := os.MkdirAll(filepath.Dir(dest), 0o755); err != nil {
		return err
	}
	f, err := os.OpenFile(dest, os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	return f.Close()
}

// resolvePath is dockerd's ResolvePath: the host path of path inside root,
// with every element but the last resolved in root's scope, and the
// cleaned absolute container path (a trailing "/" or "/." kept).
func resolvePath(root, path string) (resolved, abs string, err error) {
	abs = archive.PreserveTrailingDotOrSeparator(filepath.Join("/", path), path)
	dir, base := filepath.Split(abs)
	resolvedDir, err := symlink.FollowSymlinkInScope(filepath.Join(root, dir), root)
	if err != nil {
		return "", "", err
	}
	return resolvedDir + string(filepath.Separator) + base, abs, nil
}

// statPath is dockerd's StatPath.
func statPath(root, resolved, abs string) (container.PathStat, error) {
	fi, err := os.Lstat(resolved)
	if err != nil {
		return container.PathStat{}, err
	}
	var target string
	if fi.Mode()&os.ModeSymlink != 0 {
		host, err := symlink.FollowSymlinkInScope(filepath.Join(root, abs), root)
		if err != nil {
			return container.PathStat{}, err
		}
		rel, err := filepath.Rel(root, host)
		if err != nil {
			return container.PathStat{}, err
		}
		target = filepath.Join("/", rel)
	}
	return container.PathStat{
		Name:       filepath.Base(abs),
		Size:       fi.Size(),
		Mode:       fi.Mode(),
		Mtime:      fi.ModTime(),
		LinkTarget: target,
	}, nil
}

// fileNotFound turns a missing path into docker's message.
func fileNotFound(err error, path, ref string) error {
	if errors.Is(err, fs.ErrNotExist) {
		return errs.NotFound("Could not find the file %s in container %s", path, ref)
	}
	return err
}

// StatPath is HEAD /containers/{id}/archive.
func (s *Service) StatPath(ctx context.Context, ref, path string) (container.PathStat, error) {
	_, root, release, err := s.withRootfs(ctx, ref, true)
	if err != nil {
		return container.PathStat{}, err
	}
	defer release()
	resolved, abs, err := resolvePath(root, path)
	if err != nil {
		return container.PathStat{}, fileNotFound(err, path, ref)
	}
	st, err := statPath(root, resolved, abs)
	return st, fileNotFound(err, path, ref)
}

// ArchivePath is GET /containers/{id}/archive: a tar of path, whose
// entries start with path's own name. Closing it releases the container.
func (s *Service) ArchivePath(ctx context.Context, ref, path string) (io.ReadCloser, container.PathStat, error) {
	_, root, release, err := s.withRootfs(ctx, ref, true)
	if err != nil {
		return nil, container.PathStat{}, err
	}
	rc, st, err := archivePath(root, path)
	if err != nil {
		release()
		return nil, st, fileNotFound(err, path, ref)
	}
	return &releaseCloser{ReadCloser: rc, release: release}, st, nil
}

func archivePath(root, path string) (io.ReadCloser, container.PathStat, error) {
	resolved, abs, err := resolvePath(root, path)
	if err != nil {
		return nil, container.PathStat{}, err
	}
	st, err := statPath(root, resolved, abs)
	if err != nil {
		return nil, st, err
	}
	// Rebase the entries on the requested name (not what a symlink
	// resolved to, nor the root directory's host name).
	resolved = filepath.Clean(resolved)
	if filepath.Base(resolved) == "." {
		resolved += string(filepath.Separator) + "."
	}
	dir, base := resolved, "."
	if !st.Mode.IsDir() {
		dir, base = filepath.Split(resolved)
	}
	rc, err := chrootarchive.Tar(dir, archive.TarResourceRebaseOpts(base, filepath.Base(abs)), root)
	return rc, st, err
}

type releaseCloser struct {
	io.ReadCloser
	release func()
}

func (r *releaseCloser) Close() error {
	err := r.ReadCloser.Close()
	if r.release != nil {
		r.release()
		r.release = nil
	}
	return err
}

// ExtractOptions are the query parameters of PUT /containers/{id}/archive
// (the API layer's type).
type ExtractOptions = backend.ContainerExtractOptions

// ExtractToDir is PUT /containers/{id}/archive: unpacks content into the
// directory path of the container.
func (s *Service) ExtractToDir(ctx context.Context, ref, path string, content io.Reader, o ExtractOptions) error {
	c, root, release, err := s.withRootfs(ctx, ref, true)
	if err != nil {
		return err
	}
	defer release()
	dir, err := extractionDir(root, path)
	if err != nil {
		return fileNotFound(err, path, ref)
	}
	if c.HostConfig != nil && c.HostConfig.ReadonlyRootfs {
		return errs.Invalid("container rootfs is marked read-only")
	}
	opts := &archive.TarOptions{NoOverwriteDirNonDir: o.NoOverwriteDirNonDir}
	if o.CopyUIDGID && c.Config != nil && c.Config.User != "" {
		u, err := resolveUser(root, c.Config.User)
		if err != nil {
			return err
		}
		opts.ChownOpts = &archive.ChownOpts{UID: u.Uid, GID: u.Gid}
	}
	return extractTar(root, dir, content, opts)
}

// extractionDir is the host directory PUT's path names inside root.
// Unlike a source path, the last element is followed too, so that one can
// extract to a symlink to a directory.
func extractionDir(root, path string) (string, error) {
	abs := archive.PreserveTrailingDotOrSeparator(filepath.Join("/", path), path)
	resolved, err := symlink.FollowSymlinkInScope(filepath.Join(root, abs), root)
	if err != nil {
		return "", err
	}
	fi, err := os.Lstat(resolved)
	if err != nil {
		return "", err
	}
	if !fi.IsDir() {
		return "", errs.Invalid("extraction point is not a directory")
	}
	return resolved, nil
}

// extractTar unpacks content into dir, chrooted to root: no entry lands
// outside it; a tar that tries is the client's fault.
func extractTar(root, dir string, content io.Reader, opts *archive.TarOptions) error {
	if err := chrootarchive.UntarWithRoot(content, dir, opts, root); err != nil {
		return errs.Invalid("%v", err)
	}
	return nil
}
