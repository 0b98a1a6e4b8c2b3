package executor

import (
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strconv"

	"github.com/moby/moby/api/types/mount"
	"github.com/moby/swarmkit/v2/agent/exec"
	"github.com/moby/swarmkit/v2/api"
	"golang.org/x/sys/unix"
)

// Secrets and configs reach a task as read-only bind mounts of files the
// executor writes under <TaskRoot>/<task ID>, as dockerd's do from its
// per-container tmpfs. TaskRoot must be a tmpfs: a secret never touches
// a disk outside the raft store, which swarmkit encrypts.

// ensureTmpfs mounts a tmpfs at dir unless one is there.
func ensureTmpfs(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		return err
	}
	if st.Type == unix.TMPFS_MAGIC {
		return nil
	}
	if err := unix.Mount("tmpfs", dir, "tmpfs", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, "mode=0700"); err != nil {
		return fmt.Errorf("secrets and configs need a tmpfs at %s: %w", dir, err)
	}
	return nil
}

// writeFiles writes the secrets and configs of container spec cs for
// task dir and returns their mounts.
func writeFiles(dir string, cs *api.ContainerSpec, deps exec.DependencyGetter) ([]mount.Mount, error) {
	var mounts []mount.Mount
	write := func(kind, id, name string, f *api.FileTarget, data []byte, defaultDir string) error {
		target := f.Name
		if !path.IsAbs(target) {
			target = path.Join(defaultDir, target)
		}
		src := filepath.Join(dir, kind, id)
		if err := os.MkdirAll(filepath.Dir(src), 0o700); err != nil {
			return err
		}
		mode := f.Mode & os.ModePerm
		if err := os.WriteFile(src, data, 0o600); err != nil {
			return err
		}
		if err := os.Chmod(src, mode); err != nil {
			return err
		}
		if err := os.Chown(src, atoi(f.UID), atoi(f.GID)); err != nil && !errors.Is(err, os.ErrPermission) {
			return err
		}
		mounts = append(mounts, mount.Mount{Type: mount.TypeBind, Source: src, Target: target, ReadOnly: true})
		return nil
	}
	for _, ref := range cs.Secrets {
		f := ref.GetFile()
		if f == nil {
			continue
		}
		s, err := deps.Secrets().Get(ref.SecretID)
		if err != nil || s == nil {
			return nil, fmt.Errorf("secret %s (%s) not found on this node: %w", ref.SecretName, ref.SecretID, errors.Join(err, exec.ErrDependencyNotReady))
		}
		if err := write("secrets", ref.SecretID, ref.SecretName, f, s.Spec.Data, "/run/secrets"); err != nil {
			return nil, err
		}
	}
	for _, ref := range cs.Configs {
		f := ref.GetFile()
		if f == nil {
			continue // runtime targets are for plugins
		}
		c, err := deps.Configs().Get(ref.ConfigID)
		if err != nil || c == nil {
			return nil, fmt.Errorf("config %s (%s) not found on this node: %w", ref.ConfigName, ref.ConfigID, errors.Join(err, exec.ErrDependencyNotReady))
		}
		if err := write("configs", ref.ConfigID, ref.ConfigName, f, c.Spec.Data, "/"); err != nil {
			return nil, err
		}
	}
	return mounts, nil
}

// atoi is a file target's uid or gid; docker's default is "0".
func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}
