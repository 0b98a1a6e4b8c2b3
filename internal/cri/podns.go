package cri

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// A pod's namespaces are held by bind mounts of their nsfs files, not by
// a pause process: nothing runs for an idle pod, and a daemon restart or
// kill -9 loses nothing (the mounts outlive it). Containers join them by
// path.

// podNamespaces are the paths of a pod's namespaces; "" is the host's
// (or, for PID, each container's own).
type podNamespaces struct {
	Net, IPC, UTS string
	// User is the pod's own user namespace (userns.go), which owns its
	// network, IPC, UTS and PID namespaces; "" is the host's.
	User string `json:",omitempty"`
	PID  string `json:",omitempty"`
	// Shm is the pod's /dev/shm, which its containers share as they
	// share the IPC namespace: a tmpfs mounted under the pod's
	// namespace directory, or the host's /dev/shm for a pod on the
	// host's IPC namespace (as containerd does). "" (a record older than
	// this field): each container has its own.
	Shm string `json:",omitempty"`
	// PausePID is the process holding PID (podpid.go).
	PausePID int `json:",omitempty"`
}

// createNamespaces makes the namespaces the pod does not share with the
// host under dir, and sets the UTS namespace's host name.
// With podPID it also starts the pod's pause process (podpid.go). With
// userns, all of them belong to a user namespace of the pod's own
// (createUsernsNamespaces).
func createNamespaces(dir string, hostNet, hostIPC, podPID bool, hostname, pauseProgram string, userns *podIDMap) (podNamespaces, error) {
	var ns podNamespaces
	if err := os.MkdirAll(dir, 0o711); err != nil {
		return ns, err
	}
	if userns != nil {
		ns, err := createUsernsNamespaces(dir, userns, podPID, hostname, pauseProgram)
		if err != nil {
			removeNamespaces(dir)
			return podNamespaces{}, err
		}
		return ns, nil
	}
	if !hostNet {
		ns.Net = filepath.Join(dir, "net")
		// The pod's host name needs a UTS namespace of its own; a pod on
		// the host's network keeps the host's name, as in the kubelet.
		ns.UTS = filepath.Join(dir, "uts")
	}
	if !hostIPC {
		ns.IPC = filepath.Join(dir, "ipc")
	}
	if err := unshareAndMount(ns.Net, ns.IPC, ns.UTS, hostname); err != nil {
		removeNamespaces(dir)
		return podNamespaces{}, err
	}
	ns.Shm = hostShm
	if !hostIPC {
		ns.Shm = filepath.Join(dir, "shm")
		if err := mountShm(ns.Shm, nil); err != nil {
			removeNamespaces(dir)
			return podNamespaces{}, err
		}
	}
	if podPID {
		var err error
		if ns.PID, ns.PausePID, err = startPause(pauseProgram, dir); err != nil {
			removeNamespaces(dir)
			return podNamespaces{}, err
		}
	}
	return ns, nil
}

// unshareAndMount makes new net, ipc and uts namespaces (where their
// path is not "") in one unshare on a thread of its own, brings the new
// network namespace's lo up (the kernel gives it 127.0.0.1 and ::1: all
// the CNI loopback plugin does, see withoutLoopback), and bind-mounts
// them at those paths. The thread has left the daemon's namespaces: it
// stays locked and ends with its goroutine, so no other goroutine runs
// on it.
func unshareAndMount(net, ipc, uts, hostname string) error {
	var flags int
	var mounts [][2]string
	for _, ns := range []struct {
		flag       int
		name, path string
	}{{unix.CLONE_NEWNET, "net", net}, {unix.CLONE_NEWIPC, "ipc", ipc}, {unix.CLONE_NEWUTS, "uts", uts}} {
		if ns.path != "" {
			flags |= ns.flag
			mounts = append(mounts, [2]string{ns.name, ns.path})
		}
	}
	if flags == 0 {
		return nil
	}
	for _, m := range mounts {
		f, err := os.OpenFile(m[1], os.O_CREATE|os.O_EXCL|os.O_RDONLY, 0o444)
		if err != nil {
			return err
		}
		f.Close()
	}
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: see above
		if err := unix.Unshare(flags); err != nil {
			errc <- fmt.Errorf("unshare: %w", err)
			return
		}
		if uts != "" && hostname != "" {
			if err := unix.Sethostname([]byte(hostname)); err != nil {
				errc <- fmt.Errorf("sethostname %q: %w", hostname, err)
				return
			}
		}
		if net != "" {
			if err := setLoopbackUp(); err != nil {
				errc <- err
				return
			}
		}
		for _, m := range mounts {
			src := fmt.Sprintf("/proc/self/task/%d/ns/%s", unix.Gettid(), m[0])
			if err := unix.Mount(src, m[1], "", unix.MS_BIND, ""); err != nil {
				errc <- fmt.Errorf("bind-mount %s namespace: %w", m[0], err)
				return
			}
		}
		errc <- nil
	}()
	return <-errc
}

// hostShm is the host's /dev/shm, a host-IPC pod's.
const hostShm = "/dev/shm"

// shmSize is a pod's /dev/shm size, containerd's default (and docker's).
const shmSize = 64 << 20

// mountShm mounts the pod's /dev/shm tmpfs at path; in a pod of its
// own user namespace, owned by the pod's root.
func mountShm(path string, userns *podIDMap) error {
	if err := os.Mkdir(path, 0o700); err != nil {
		return err
	}
	opts := fmt.Sprintf("mode=1777,size=%d", shmSize)
	if userns != nil {
		opts += fmt.Sprintf(",uid=%d,gid=%d", userns.UID.HostID, userns.GID.HostID)
	}
	if err := unix.Mount("shm", path, "tmpfs", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, opts); err != nil {
		return fmt.Errorf("mount the pod's /dev/shm: %w", err)
	}
	return nil
}

// setLoopbackUp brings up lo in the calling thread's network namespace
// (a netlink socket opened on the thread is in its namespace).
func setLoopbackUp() error {
	h, err := netlink.NewHandle()
	if err != nil {
		return err
	}
	defer h.Close()
	lo, err := h.LinkByName("lo")
	if err != nil {
		return fmt.Errorf("pod loopback: %w", err)
	}
	if err := h.LinkSetUp(lo); err != nil {
		return fmt.Errorf("pod loopback up: %w", err)
	}
	return nil
}

// removeNamespaces unmounts and removes the pod's namespaces and their
// directory; missing ones are fine, so it can finish a half-done run.
func removeNamespaces(dir string) error {
	var errList []error
	for _, name := range []string{"net", "ipc", "uts", "pid", "shm", "user"} {
		p := filepath.Join(dir, name)
		if err := unix.Unmount(p, unix.MNT_DETACH); err != nil && !errors.Is(err, unix.EINVAL) && !errors.Is(err, unix.ENOENT) {
			errList = append(errList, fmt.Errorf("unmount %s: %w", p, err))
			continue
		}
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errList = append(errList, err)
		}
	}
	if err := os.Remove(dir); err != nil && !errors.Is(err, fs.ErrNotExist) {
		errList = append(errList, err)
	}
	return errors.Join(errList...)
}
