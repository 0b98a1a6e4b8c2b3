package runtime

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// crunUpdate is Update for a crun container whose pids limit goes back
// to unlimited (a negative limit, as docker update --pids-limit -1
// sends). crun 1.8 writes the number as is into pids.max, which the
// kernel refuses ("writing file `pids.max`: Invalid argument") on cgroup
// v1 and v2 alike; runc writes "max". So crun gets the other limits and
// wharf writes "max" itself, in the pids hierarchy crun put the
// container in. It reports false, having done nothing, for any other
// update or container.
func (r *Runtime) crunUpdate(ctx context.Context, id string, res *specs.LinuxResources) (bool, error) {
	if res.Pids == nil || res.Pids.Limit == nil || *res.Pids.Limit >= 0 {
		return false, nil
	}
	st, err := r.readCrunStatus(id)
	if err != nil {
		return false, nil
	}
	dirs, err := cgroupDirs(st.CgroupPath)
	if err != nil {
		return true, err
	}
	rest := *res
	rest.Pids = nil
	if err := r.update(ctx, id, &rest); err != nil {
		return true, err
	}
	return true, writePidsMax(dirs)
}

// writePidsMax lifts the pids limit of the cgroup dirs (crunstate.go's
// cgroupDirs): v1's pids controller, else the unified hierarchy's.
func writePidsMax(dirs map[string]string) error {
	dir, ok := dirs["pids"]
	if !ok {
		dir, ok = dirs[""]
	}
	if !ok {
		return errors.New("crun update: the container has no pids cgroup")
	}
	if err := os.WriteFile(filepath.Join(dir, "pids.max"), []byte("max"), 0); err != nil {
		return fmt.Errorf("crun update: %w", err)
	}
	return nil
}
