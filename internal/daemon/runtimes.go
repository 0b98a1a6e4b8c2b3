package daemon

import (
	"github.com/wharf/wharf/internal/container"
	"github.com/wharf/wharf/internal/runtime"
)

// conmon and runc are the container service's runtime.
var _ container.Runtime = (*runtime.Runtime)(nil)

// containerRuntimes is the runtimes as the container service takes them.
func containerRuntimes(runtimes map[string]*runtime.Runtime) map[string]container.Runtime {
	out := make(map[string]container.Runtime, len(runtimes))
	for name, rt := range runtimes {
		out[name] = rt
	}
	return out
}
