package runtime

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/wharf/wharf/internal/errs"
)

// State asks the runtime about a container; NotFound if it has none.
// runc's (and crun's) state is read in-process, as `runc state` works it out
// (init's pid and start time, the exec fifo, the freezer): a restarted
// daemon asks this of every running container, and running runc for
// each cost ~15 ms, 7 s of a restart with 500 containers. Other
// runtimes, and anything unexpected, are asked through their binary.
func (r *Runtime) State(ctx context.Context, id string) (State, error) {
	if st, err := r.stateInProcess(id); err == nil {
		return st, nil
	} else if errors.Is(err, fs.ErrNotExist) {
		return State{}, errs.NotFound("container %s does not exist in the runtime", id)
	}
	return r.stateByRuntime(ctx, id)
}

// stateInProcess reads runc's state.json; ErrNotExist when the runtime
// keeps no state for id.
func (r *Runtime) stateInProcess(id string) (State, error) {
	if _, err := os.Stat(filepath.Join(r.Root, id)); err != nil {
		return State{}, err
	}
	pid, start, paths, err := r.initOf(id)
	if err != nil {
		return State{}, err
	}
	if !processIs(pid, start) {
		return State{Status: "stopped"}, nil
	}
	s := State{Status: "running", Pid: pid}
	if _, err := os.Stat(filepath.Join(r.Root, id, "exec.fifo")); err == nil {
		s.Status = "created"
	}
	frozen, err := isFrozen(paths)
	if err != nil {
		return State{}, err
	}
	if frozen {
		s.Status = "paused"
	}
	return s, nil
}

// initOf reads a container's init (pid, start time) and cgroups from
// runc's state.json or crun's status.
func (r *Runtime) initOf(id string) (int, uint64, map[string]string, error) {
	if st, err := r.readState(id); err == nil && st.InitPid > 0 && st.InitStart != 0 {
		return st.InitPid, st.InitStart, st.CgroupPaths, nil
	}
	cs, err := r.readCrunStatus(id)
	if err != nil || cs.Pid <= 0 || cs.StartTime == 0 {
		return 0, 0, nil, errors.New("no runc or crun state")
	}
	paths, err := cgroupDirs(cs.CgroupPath)
	if err != nil {
		return 0, 0, nil, err
	}
	return cs.Pid, cs.StartTime, paths, nil
}

// processIs reports whether pid is alive (not a zombie) and started at
// start (clock ticks since boot, /proc/<pid>/stat's field 22): not a
// later process that reuses the pid.
func processIs(pid int, start uint64) bool {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	// The command name, in parentheses, may hold spaces: fields count
	// from after its closing one.
	i := strings.LastIndexByte(string(data), ')')
	if i < 0 {
		return false
	}
	f := strings.Fields(string(data[i+1:]))
	if len(f) < 20 || f[0] == "Z" || f[0] == "X" {
		return false
	}
	return f[19] == strconv.FormatUint(start, 10)
}

// isFrozen reads the container's freezer: cgroup v1's freezer.state, or
// v2's cgroup.freeze where the unified hierarchy holds the container.
func isFrozen(paths map[string]string) (bool, error) {
	if p, ok := paths["freezer"]; ok {
		data, err := os.ReadFile(filepath.Join(p, "freezer.state"))
		if err != nil {
			return false, err
		}
		return strings.TrimSpace(string(data)) == "FROZEN", nil
	}
	if p, ok := paths[""]; ok {
		data, err := os.ReadFile(filepath.Join(p, "cgroup.freeze"))
		if errors.Is(err, fs.ErrNotExist) {
			return false, nil // a hierarchy without the freezer
		}
		if err != nil {
			return false, err
		}
		return strings.TrimSpace(string(data)) == "1", nil
	}
	return false, nil
}
