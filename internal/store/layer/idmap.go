package layer

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// A container in a user namespace of its own (a CRI pod's, hostUsers:
// false) sees the image's files owned by ids its namespace does not map
// (the host's root is nobody there) unless its root file system is
// ID-mapped. overlayfs cannot be ID-mapped as a whole, but it takes
// ID-mapped layers (Linux 5.19): each parent is a detached ID-mapped
// clone of its directory (open_tree and mount_setattr, as containerd 2
// maps an overlay's lower layers), handed to overlay as
// /proc/self/fd/N. Nothing is copied or chowned, and the layers stay
// shared with every other container. The read-write layer is not
// mapped: its top is chowned to the namespace's root and what the
// container writes there keeps its host ids, as with containerd.

// IDMap says how MountIDMapped maps a read-write layer's parents.
type IDMap struct {
	// Userns is the path of the user namespace whose mappings apply (a
	// bind-mounted nsfs file, or /proc/<pid>/ns/user).
	Userns string
	// UID and GID are the host ids of its root, the read-write layer's
	// top's owner.
	UID, GID uint32
}

// idmapLowers clones each directory of dirs as a detached mount mapped
// by the user namespace at userns, and returns their /proc/self/fd
// paths in the same order, and what closes them once the overlay is
// mounted.
func idmapLowers(dirs []string, userns string) ([]string, func(), error) {
	nsfd, err := unix.Open(userns, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, nil, fmt.Errorf("user namespace of an ID-mapped root file system: %w", err)
	}
	fds := []int{nsfd}
	closeAll := func() {
		for _, fd := range fds {
			unix.Close(fd)
		}
	}
	attr := &unix.MountAttr{Attr_set: unix.MOUNT_ATTR_IDMAP, Userns_fd: uint64(nsfd)}
	paths := make([]string, 0, len(dirs))
	for _, d := range dirs {
		fd, err := unix.OpenTree(unix.AT_FDCWD, d, unix.OPEN_TREE_CLONE|unix.OPEN_TREE_CLOEXEC)
		if err != nil {
			closeAll()
			return nil, nil, fmt.Errorf("clone layer %s: %w", d, err)
		}
		fds = append(fds, fd)
		if err := unix.MountSetattr(fd, "", unix.AT_EMPTY_PATH, attr); err != nil {
			closeAll()
			return nil, nil, fmt.Errorf("ID-map layer %s: %w", d, err)
		}
		paths = append(paths, fmt.Sprintf("/proc/self/fd/%d", fd))
	}
	return paths, closeAll, nil
}
