package runtime

import (
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// runcState is the part of runc's state.json that deleting a stopped
// container and reading its counters need.
type runcState struct {
	InitPid     int               `json:"init_process_pid"`
	InitStart   uint64            `json:"init_process_start"`
	CgroupPaths map[string]string `json:"cgroup_paths"`
	Config      struct {
		Namespaces []struct {
			Type string `json:"type"` // NEWPID, NEWNET, ...
			Path string `json:"path"` // joined, not the container's own
		} `json:"namespaces"`
	} `json:"config"`
}

// privatePID reports whether the container has a PID namespace of its
// own (runc's Namespaces.IsPrivate(NEWPID)).
func (st runcState) privatePID() bool {
	for _, ns := range st.Config.Namespaces {
		if ns.Type == "NEWPID" {
			return ns.Path == ""
		}
	}
	return false
}

// Delete removes the runtime's state and cgroups of a container. For a
// container whose init has already exited this is done in-process — the
// same two steps `runc delete` takes (remove the empty cgroups, remove the
// state directory) without the cost of running runc (about 7 ms on the
// exit path of every container). Anything unexpected falls back to the
// runtime's own "delete --force".
func (r *Runtime) Delete(ctx context.Context, id string, force bool) error {
	if r.deleteStopped(id) == nil || r.deleteStoppedCrun(id) == nil {
		return nil
	}
	args := []string{"delete"}
	if force {
		args = append(args, "--force")
	}
	return r.run(ctx, append(args, id)...)
}

// readState reads runc's state.json of a container (crun keeps none).
func (r *Runtime) readState(id string) (runcState, error) {
	var st runcState
	data, err := os.ReadFile(filepath.Join(r.Root, id, "state.json"))
	if err != nil {
		return st, err
	}
	err = json.Unmarshal(data, &st)
	return st, err
}

// CgroupPaths returns the cgroup directories of a container: controller
// → path, "" for the unified (v2) hierarchy; as runc recorded them, or
// worked out from crun's one cgroup path.
func (r *Runtime) CgroupPaths(id string) (map[string]string, error) {
	st, err := r.readState(id)
	if err == nil {
		return st.CgroupPaths, nil
	}
	cs, cerr := r.readCrunStatus(id)
	if cerr != nil {
		return nil, err
	}
	return cgroupDirs(cs.CgroupPath)
}

func (r *Runtime) deleteStopped(id string) error {
	st, err := r.readState(id)
	if err != nil {
		return err
	}
	if len(st.CgroupPaths) == 0 || st.InitPid <= 0 || syscall.Kill(st.InitPid, 0) == nil {
		return errors.New("not a stopped runc container")
	}
	for _, p := range st.CgroupPaths {
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	return os.RemoveAll(filepath.Join(r.Root, id))
}
