package runtime

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// crunStatus is the part of crun's state (<root>/<id>/status) wharf
// reads: crun keeps no state.json, and records one cgroup path for all
// hierarchies.
type crunStatus struct {
	Pid        int    `json:"pid"`
	StartTime  uint64 `json:"process-start-time"`
	CgroupPath string `json:"cgroup-path"`
}

func (r *Runtime) readCrunStatus(id string) (crunStatus, error) {
	var st crunStatus
	data, err := os.ReadFile(filepath.Join(r.Root, id, "status"))
	if err != nil {
		return st, err
	}
	if err := json.Unmarshal(data, &st); err != nil {
		return st, err
	}
	if st.CgroupPath == "" {
		return st, errors.New("crun recorded no cgroup")
	}
	return st, nil
}

// cgroupDirs is where a container whose cgroup path is path lives in the
// hierarchies this host mounts (those of its directories that exist), keyed as runc's state.json keys them
// (controller, "" for the unified hierarchy). On a hybrid host the
// unified hierarchy is left out: crun runs there through wharf-crun,
// which hides it, so the container never joins it.
func cgroupDirs(path string) (map[string]string, error) {
	f, err := os.Open("/proc/self/cgroup")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var st unix.Statfs_t
	unified := unix.Statfs("/sys/fs/cgroup", &st) == nil && st.Type == unix.CGROUP2_SUPER_MAGIC
	dirs, err := parseCgroupDirs(f, unified, path)
	if err != nil {
		return nil, err
	}
	// Only those that exist: a hierarchy crun left out is no cgroup of
	// the container's (nor a reason to think it gone).
	for c, d := range dirs {
		if _, err := os.Stat(d); err != nil {
			delete(dirs, c)
		}
	}
	return dirs, nil
}

// parseCgroupDirs is cgroupDirs reading /proc/self/cgroup from r;
// unified says whether /sys/fs/cgroup is the unified hierarchy itself.
func parseCgroupDirs(r io.Reader, unified bool, path string) (map[string]string, error) {
	dirs := map[string]string{}
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		// hierarchy-id:controller,controller:path
		parts := strings.SplitN(sc.Text(), ":", 3)
		if len(parts) != 3 {
			continue
		}
		if parts[1] == "" {
			if unified {
				dirs[""] = filepath.Join("/sys/fs/cgroup", path)
			}
			continue
		}
		mount := strings.TrimPrefix(parts[1], "name=")
		for _, c := range strings.Split(parts[1], ",") {
			dirs[c] = filepath.Join("/sys/fs/cgroup", mount, path)
		}
	}
	return dirs, sc.Err()
}

// startCrun does what `crun start` does, without running crun: a created
// crun container's init waits to exec until a byte arrives on exec.fifo
// in its state directory; crun start opens it for writing, removes it
// and writes the byte (then runs poststart hooks, which wharf never
// sets). Saves an exec of the runtime (and of wharf-crun) on every start.
// It reports false, having done nothing, when id is not a created crun
// container, for the runtime's own "start" to handle or refuse.
func (r *Runtime) startCrun(id string) (bool, error) {
	if _, err := os.Stat(filepath.Join(r.Root, id, "status")); err != nil {
		return false, nil
	}
	path := filepath.Join(r.Root, id, "exec.fifo")
	// Non-blocking: with no reader (the init is gone) the open fails at
	// once instead of waiting for ever.
	f, err := os.OpenFile(path, os.O_WRONLY|unix.O_NONBLOCK, 0)
	if err != nil {
		return false, nil
	}
	defer f.Close()
	if err := os.Remove(path); err != nil {
		return true, fmt.Errorf("starting container: %w", err)
	}
	if _, err := f.Write([]byte{0}); err != nil {
		return true, fmt.Errorf("starting container: %w", err)
	}
	return true, nil
}

// deleteStoppedCrun does what `crun delete` does for a container whose
// init has exited: remove its (empty) cgroups, then its state directory.
func (r *Runtime) deleteStoppedCrun(id string) error {
	st, err := r.readCrunStatus(id)
	if err != nil {
		return err
	}
	if st.Pid <= 0 || unix.Kill(st.Pid, 0) == nil {
		return errors.New("not a stopped crun container")
	}
	dirs, err := cgroupDirs(st.CgroupPath)
	if err != nil {
		return err
	}
	for _, d := range dirs {
		// A process left in the cgroup (one sharing another's PID
		// namespace outlives its init) fails this: crun kills it.
		if err := os.Remove(d); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	return os.RemoveAll(filepath.Join(r.Root, id))
}

// crunKillable reports whether the running crun container id may be
// signalled in-process (killInProcess), and its init's pid and start
// time: not a created one (exec.fifo still there), a paused one, or one
// sharing another's PID namespace, as for runc.
func (r *Runtime) crunKillable(id string) (pid int, start uint64, ok bool) {
	st, err := r.readCrunStatus(id)
	if err != nil || st.Pid <= 0 || st.StartTime == 0 {
		return 0, 0, false
	}
	if _, err := os.Stat(filepath.Join(r.Root, id, "exec.fifo")); err == nil {
		return 0, 0, false
	}
	dirs, err := cgroupDirs(st.CgroupPath)
	if err != nil {
		return 0, 0, false
	}
	if frozen, err := isFrozen(dirs); err != nil || frozen {
		return 0, 0, false
	}
	// crun keeps the container's spec beside its status.
	data, err := os.ReadFile(filepath.Join(r.Root, id, "config.json"))
	if err != nil {
		return 0, 0, false
	}
	var spec struct {
		Linux struct {
			Namespaces []struct{ Type, Path string } `json:"namespaces"`
		} `json:"linux"`
	}
	if json.Unmarshal(data, &spec) != nil {
		return 0, 0, false
	}
	for _, ns := range spec.Linux.Namespaces {
		if ns.Type == "pid" && ns.Path == "" {
			return st.Pid, st.StartTime, true
		}
	}
	return 0, 0, false
}

// crunPaused reports whether id is a crun container whose cgroup is frozen.
func (r *Runtime) crunPaused(id string) bool {
	st, err := r.readCrunStatus(id)
	if err != nil {
		return false
	}
	dirs, err := cgroupDirs(st.CgroupPath)
	if err != nil {
		return false
	}
	frozen, err := isFrozen(dirs)
	return err == nil && frozen
}
