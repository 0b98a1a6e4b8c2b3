// Command wharf-exec-init starts a process of `wharf exec` inside its
// container with the RLIMIT_NOFILE the runtime failed to give it; see
// package execinit. wharfd runs it, through the runtime, from beside its
// own executable. It must stay free of cgo: it runs in containers that
// have no C library.
package main

import "github.com/wharf/wharf/internal/execinit"

func main() { execinit.Main() }
