package cri

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"syscall"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"

	"github.com/wharf/wharf/internal/errs"
	"github.com/wharf/wharf/internal/pause"
)

// createUsernsNamespaces makes a pod's user namespace and, inside it,
// its network, IPC and UTS namespaces (and with podPID its PID
// namespace), bind-mounted under dir as createNamespaces does.
//
// A thread of wharfd cannot enter a new user namespace (setns(2)
// refuses a user namespace to a multithreaded process), so one clone of
// the pause program makes them all: a clone with CLONE_NEWUSER makes the
// user namespace first and the others owned by it, as containerd makes
// the user namespace before the pod's network namespace. Go's exec
// writes the mappings before the program runs. wharfd then holds the
// namespaces by bind mounts; the process stays only as a pod-wide PID
// namespace's first process (podpid.go), otherwise it is killed.
func createUsernsNamespaces(dir string, m *podIDMap, podPID bool, hostname, program string) (podNamespaces, error) {
	if program == "" {
		return podNamespaces{}, errs.Invalid("a pod in a user namespace of its own needs %s (wharf-exec-init), which wharfd did not find", pause.Name)
	}
	ns := podNamespaces{
		User: filepath.Join(dir, "user"),
		Net:  filepath.Join(dir, "net"),
		IPC:  filepath.Join(dir, "ipc"),
		UTS:  filepath.Join(dir, "uts"),
	}
	flags := unix.CLONE_NEWUSER | unix.CLONE_NEWNET | unix.CLONE_NEWIPC | unix.CLONE_NEWUTS
	kinds := []string{"user", "net", "ipc", "uts"}
	if podPID {
		ns.PID = filepath.Join(dir, "pid")
		flags |= unix.CLONE_NEWPID
		kinds = append(kinds, "pid")
	}
	for _, k := range kinds {
		f, err := os.OpenFile(filepath.Join(dir, k), os.O_CREATE|os.O_EXCL|os.O_RDONLY, 0o444)
		if err != nil {
			return podNamespaces{}, err
		}
		f.Close()
	}
	root, err := pauseRoot(dir)
	if err != nil {
		return podNamespaces{}, err
	}
	// The program is handed over open: the pod's root (an unprivileged
	// id on the host) may not search the directories that hold it (a
	// 0700 temporary directory, /root/...). It keeps that descriptor, as
	// good as its /proc/self/exe; its root is in the exec root (0711).
	prog, err := os.Open(program)
	if err != nil {
		return podNamespaces{}, err
	}
	defer prog.Close()
	cmd := &exec.Cmd{
		Path:       "/proc/self/fd/3",
		Args:       []string{pause.Name, root},
		Dir:        "/",
		ExtraFiles: []*os.File{prog},
		SysProcAttr: &syscall.SysProcAttr{
			Cloneflags:  uintptr(flags),
			UidMappings: []syscall.SysProcIDMap{{ContainerID: int(m.UID.ContainerID), HostID: int(m.UID.HostID), Size: int(m.UID.Size)}},
			GidMappings: []syscall.SysProcIDMap{{ContainerID: int(m.GID.ContainerID), HostID: int(m.GID.HostID), Size: int(m.GID.Size)}},
			// Go would write "deny" to setgroups, for good: runc could
			// then not set a container process's groups.
			GidMappingsEnableSetgroups: true,
			// The clone keeps the host's root (unmapped there, so
			// without privilege once it runs a program) unless it
			// becomes the namespace's root.
			Credential: &syscall.Credential{},
			Setsid:     true, // as startPause: outlives wharfd, untouched by its signals
		},
	}
	if !podPID {
		// Only a holder for a moment: a wharfd killed meanwhile takes it
		// along rather than leave it running. The signal comes when the
		// thread that started it ends: the thread stays this goroutine's
		// until the holder is killed (below), or a goroutine that locks
		// and ends its thread (setUpPodNamespaces) could end it first.
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL
	}
	if err := cmd.Start(); err != nil {
		return podNamespaces{}, fmt.Errorf("start %s in the pod's user namespace: %w", pause.Name, err)
	}
	pid := cmd.Process.Pid
	keep := false
	defer func() {
		if !keep {
			cmd.Process.Kill()
			cmd.Wait()
		}
	}()
	for _, k := range kinds {
		if err := unix.Mount(fmt.Sprintf("/proc/%d/ns/%s", pid, k), filepath.Join(dir, k), "", unix.MS_BIND, ""); err != nil {
			return podNamespaces{}, fmt.Errorf("bind-mount the pod's %s namespace: %w", k, err)
		}
	}
	if err := setUpPodNamespaces(ns.Net, ns.UTS, hostname); err != nil {
		return podNamespaces{}, err
	}
	if err := mountShm(filepath.Join(dir, "shm"), m); err != nil {
		return podNamespaces{}, err
	}
	ns.Shm = filepath.Join(dir, "shm")
	if podPID {
		keep = true
		go cmd.Wait()
		ns.PausePID = pid
	}
	return ns, nil
}

// pauseRoot is the empty directory the pause program confines itself
// to (package pause), beside the pods' namespace directories.
func pauseRoot(nsDir string) (string, error) {
	root := filepath.Join(filepath.Dir(filepath.Dir(nsDir)), "pause-root")
	return root, os.MkdirAll(root, 0o555)
}

// setUpPodNamespaces sets the host name of the UTS namespace at uts and
// brings lo up in the network namespace at net, from a thread that
// enters them (as the host's root, which may act in namespaces of any
// user namespace). The thread stays locked and ends with its goroutine.
func setUpPodNamespaces(net, uts, hostname string) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread leaves wharfd's namespaces
		errc <- func() error {
			if hostname != "" {
				if err := setnsPath(uts, unix.CLONE_NEWUTS); err != nil {
					return err
				}
				if err := unix.Sethostname([]byte(hostname)); err != nil {
					return fmt.Errorf("sethostname %q: %w", hostname, err)
				}
			}
			h, err := netns.GetFromPath(net)
			if err != nil {
				return err
			}
			defer h.Close()
			nh, err := netlink.NewHandleAt(h)
			if err != nil {
				return err
			}
			defer nh.Close()
			lo, err := nh.LinkByName("lo")
			if err != nil {
				return fmt.Errorf("pod loopback: %w", err)
			}
			if err := nh.LinkSetUp(lo); err != nil {
				return fmt.Errorf("pod loopback up: %w", err)
			}
			return nil
		}()
	}()
	return <-errc
}

// setnsPath makes the calling thread enter the namespace at path.
func setnsPath(path string, kind int) error {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	if err := unix.Setns(fd, kind); err != nil {
		return fmt.Errorf("enter %s: %w", path, err)
	}
	return nil
}
