package layer

import "golang.org/x/sys/unix"

// Mounter mounts and unmounts the read-write layers' overlays: the
// kernel's mount(2), or a stand-in where a test has no privilege to mount.
type Mounter interface {
	Mount(source, target, fstype string, flags uintptr, data string) error
	Unmount(target string, flags int) error
}

// kernelMounter is mount(2) and umount2(2).
type kernelMounter struct{}

func (kernelMounter) Mount(source, target, fstype string, flags uintptr, data string) error {
	return unix.Mount(source, target, fstype, flags, data)
}

func (kernelMounter) Unmount(target string, flags int) error { return unix.Unmount(target, flags) }
