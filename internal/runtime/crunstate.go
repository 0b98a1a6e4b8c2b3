package runtime

import (
	"bufio"
	"encoding/json"
	"errors"
	"io"
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
// hierarchies this host mounts, keyed as runc's state.json keys them
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
	return parseCgroupDirs(f, unified, path)
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
