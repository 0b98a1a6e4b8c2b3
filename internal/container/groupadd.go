package container

import (
	"path/filepath"
	"strconv"

	"github.com/moby/sys/symlink"
	"github.com/moby/sys/user"
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/wharf/wharf/internal/errs"
)

// addGroups is --group-add (and the CRI's supplemental groups): more
// supplementary groups for the process, by gid or by a name from the
// container's own /etc/group.
func addGroups(proc *specs.Process, rootfs string, add []string) error {
	if len(add) == 0 {
		return nil
	}
	path, _ := symlink.FollowSymlinkInScope(filepath.Join(rootfs, "etc/group"), rootfs)
	groups, _ := user.ParseGroupFile(path)
	for _, g := range add {
		if gid, err := strconv.ParseUint(g, 10, 32); err == nil {
			proc.User.AdditionalGids = append(proc.User.AdditionalGids, uint32(gid))
			continue
		}
		found := false
		for _, eg := range groups {
			if eg.Name == g {
				proc.User.AdditionalGids = append(proc.User.AdditionalGids, uint32(eg.Gid))
				found = true
				break
			}
		}
		if !found {
			return errs.Invalid("Unable to find group %s: no matching entries in group file", g)
		}
	}
	return nil
}
