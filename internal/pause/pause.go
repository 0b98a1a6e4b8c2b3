// Package pause is the process that holds a CRI pod's shared PID
// namespace (shareProcessNamespace): a PID namespace ends when its first
// process does, so a pod whose containers share one needs a process that
// lives as long as the pod. It is PID 1 there: it reaps the orphans the
// containers leave and does nothing else. wharf-exec-init runs it when
// started under Name (argv[0]); wharfd starts it (internal/cri).
package pause

import (
	"os"
	"os/signal"
	"syscall"
)

// Name is the argv[0] that makes wharf-exec-init the pause process.
const Name = "wharf-pause"

// Main waits for SIGTERM or SIGINT, reaping children meanwhile. It does
// not return.
func Main() {
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
