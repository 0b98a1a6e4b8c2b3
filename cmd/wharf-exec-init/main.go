// Command wharf-exec-init starts a process of `wharf exec` inside its
// container with the RLIMIT_NOFILE the runtime failed to give it; see
// package execinit. wharfd runs it, through the runtime, from beside its
// own executable. It must stay free of cgo: it runs in containers that
// have no C library.
//
// Started as wharf-pause (argv[0]) it is instead the process that holds
// a CRI pod's shared PID namespace (package pause): the same small static
// program, so wharfd needs no second one beside it.
package main

import (
	"os"
	"path/filepath"

	"github.com/wharf/wharf/internal/execinit"
	"github.com/wharf/wharf/internal/pause"
)

func main() {
	if filepath.Base(os.Args[0]) == pause.Name {
		pause.Main()
	}
	execinit.Main()
}
