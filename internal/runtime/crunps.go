package runtime

import (
	"bufio"
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"

	"github.com/wharf/wharf/internal/errs"
)

// crunPids does what `crun ps` does, without running crun: list the
// processes of the container's cgroup (and of any below it). A container
// whose state or cgroup is gone (it stopped, and was deleted while top
// asked) is NotFound, never a runtime failure: `crun ps` fails then with
// a bare "open `...`: No such file or directory", or with no message at
// all. It reports false, having done nothing, when id is not a crun
// container.
func (r *Runtime) crunPids(id string) ([]int, bool, error) {
	st, err := r.readCrunStatus(id)
	if err != nil {
		return nil, false, nil
	}
	dirs, err := cgroupDirs(st.CgroupPath)
	if err != nil {
		return nil, true, err
	}
	// Every v1 hierarchy holds the same processes: one is enough.
	dir, ok := dirs["pids"]
	if !ok {
		for _, d := range dirs {
			dir, ok = d, true
			break
		}
	}
	if !ok {
		return nil, true, errs.NotFound("container %s has no cgroup", id)
	}
	pids := []int{}
	err = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return err
		}
		data, err := os.ReadFile(filepath.Join(path, "cgroup.procs"))
		if err != nil {
			return err
		}
		sc := bufio.NewScanner(bytes.NewReader(data))
		for sc.Scan() {
			if pid, err := strconv.Atoi(sc.Text()); err == nil {
				pids = append(pids, pid)
			}
		}
		return nil
	})
	if errors.Is(err, fs.ErrNotExist) {
		return nil, true, errs.NotFound("container %s has no cgroup", id)
	}
	return pids, true, err
}
