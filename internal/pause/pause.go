// Package pause is the process that holds a CRI pod's shared PID
// namespace (shareProcessNamespace): a PID namespace ends when its first
// process does, so a pod whose containers share one needs a process that
// lives as long as the pod. It is PID 1 there: it reaps the orphans the
// containers leave and does nothing else. wharf-exec-init runs it when
// started under Name (argv[0]); wharfd starts it (internal/cri).
//
// The pod's containers see it, so it keeps nothing worth reaching: wharfd
// starts it in network, IPC and UTS namespaces of its own, and it
// confines itself before it waits (Confine).
package pause

import (
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"golang.org/x/sys/unix"
)

// Name is the argv[0] that makes wharf-exec-init the pause process.
const Name = "wharf-pause"

// nobody is the user it runs as once confined.
const nobody = 65534

// Main confines the process to the empty directory os.Args[1], then waits
// for SIGTERM or SIGINT, reaping children meanwhile. It does not return.
func Main() {
	if len(os.Args) != 2 {
		fmt.Fprintf(os.Stderr, "usage: %s EMPTY-DIR\n", Name)
		os.Exit(2)
	}
	if err := Confine(os.Args[1]); err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", Name, err)
		os.Exit(1)
	}
	sigs := make(chan os.Signal, 16)
	signal.Notify(sigs, syscall.SIGCHLD, syscall.SIGTERM, syscall.SIGINT)
	for sig := range sigs {
		if sig != syscall.SIGCHLD {
			os.Exit(0)
		}
		for {
			var ws syscall.WaitStatus
			pid, err := syscall.Wait4(-1, &ws, syscall.WNOHANG, nil)
			if pid <= 0 || err != nil {
				break
			}
		}
	}
}

// Confine makes root the empty directory dir, becomes nobody (which
// drops every capability) and forbids gaining privileges again: a
// container of the pod that could reach it through /proc finds an empty
// file system and an unprivileged process.
func Confine(dir string) error {
	if err := unix.Chroot(dir); err != nil {
		return fmt.Errorf("chroot %s: %w", dir, err)
	}
	if err := unix.Chdir("/"); err != nil {
		return err
	}
	// Go applies these to every thread of the process.
	if err := syscall.Setgroups(nil); err != nil {
		return fmt.Errorf("setgroups: %w", err)
	}
	if err := syscall.Setgid(nobody); err != nil {
		return fmt.Errorf("setgid: %w", err)
	}
	if err := syscall.Setuid(nobody); err != nil {
		return fmt.Errorf("setuid: %w", err)
	}
	return unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
}
