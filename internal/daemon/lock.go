package daemon

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/wharf/wharf/internal/config"
)

const (
	// lockFileName, in the data root, is the lock on it. It is never
	// removed: a daemon that locked a file since unlinked would hold no
	// lock on the data root.
	lockFileName = "wharfd.lock"
	// pidFileName, in the exec root, is the lock on it and, as dockerd's
	// docker.pid, the running daemon's pid; a clean stop removes it.
	pidFileName = "wharfd.pid"
)

// RootLock is a daemon's hold on its data root and exec root: an
// exclusive flock on a file in each, taken before anything is read or
// repaired there and held for the daemon's life, so that a second daemon
// on either root is refused rather than undoing the first one's work.
// The kernel drops the locks when the process ends, however it ends: a
// daemon killed with SIGKILL never blocks the next start. Both files
// hold the pid of the daemon holding them, for the refusal to name it.
// As dockerd's pid file, it is the command's to take, before New.
type RootLock struct {
	dataRoot *os.File // <data root>/wharfd.lock
	pidFile  *os.File // <exec root>/wharfd.pid
}

// LockRoots takes the locks on cfg's data root and exec root, making
// them if need be.
func LockRoots(cfg config.Config) (*RootLock, error) {
	dataRoot, err := lockFile(filepath.Join(cfg.Root, lockFileName), "data root "+cfg.Root)
	if err != nil {
		return nil, err
	}
	pidFile, err := lockFile(filepath.Join(cfg.ExecRoot, pidFileName), "exec root "+cfg.ExecRoot)
	if err != nil {
		dataRoot.Close()
		return nil, err
	}
	return &RootLock{dataRoot: dataRoot, pidFile: pidFile}, nil
}

// lockFile opens path, locks it and writes this process's pid in it.
func lockFile(path, what string) (*os.File, error) {
	// The roots' mode, as New makes them.
	if err := os.MkdirAll(filepath.Dir(path), 0o711); err != nil {
		return nil, err
	}
	for {
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
		if err != nil {
			return nil, err
		}
		if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
			holder := holderOf(f)
			f.Close()
			if errors.Is(err, unix.EWOULDBLOCK) {
				// dockerd's words, but deleting the file would not help.
				return nil, fmt.Errorf("failed to start daemon, ensure wharfd is not running: %s is still running and holds the lock on the %s (%s)", holder, what, path)
			}
			return nil, fmt.Errorf("locking the %s: %w", what, err)
		}
		// A daemon stopping removes its pid file, maybe between our open
		// and our lock: the lock is then on a file nobody else can see.
		if sameFile(f, path) {
			pid := []byte(strconv.Itoa(os.Getpid()) + "\n")
			if err := f.Truncate(0); err != nil {
				f.Close()
				return nil, err
			}
			if _, err := f.WriteAt(pid, 0); err != nil {
				f.Close()
				return nil, err
			}
			return f, nil
		}
		f.Close()
	}
}

// holderOf names the daemon holding f's lock, from the pid it wrote.
func holderOf(f *os.File) string {
	b := make([]byte, 32)
	n, _ := f.ReadAt(b, 0)
	if pid, err := strconv.Atoi(strings.TrimSpace(string(b[:n]))); err == nil && pid > 0 {
		return fmt.Sprintf("process with PID %d", pid)
	}
	// It has the lock but has not written its pid yet.
	return "another wharfd"
}

// sameFile reports whether path still names the open file f.
func sameFile(f *os.File, path string) bool {
	fi, err := f.Stat()
	if err != nil {
		return false
	}
	pi, err := os.Stat(path)
	return err == nil && os.SameFile(fi, pi)
}

// Release removes the pid file, as dockerd does on a clean stop, then
// drops the locks. The data root's file stays (see lockFileName).
func (l *RootLock) Release() error {
	removed := os.Remove(l.pidFile.Name())
	if errors.Is(removed, os.ErrNotExist) {
		removed = nil
	}
	return errors.Join(removed, l.pidFile.Close(), l.dataRoot.Close())
}
