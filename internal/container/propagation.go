package container

import (
	"slices"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// rootfsPropagation is the root mount's propagation the binds need, as
// dockerd and containerd set it: a shared bind needs a shared root (else
// its mounts never reach the host), a slave one at least a slave root;
// "" leaves runc's default (rprivate).
func rootfsPropagation(mounts []specs.Mount) string {
	prop := ""
	for _, m := range mounts {
		switch {
		case slices.Contains(m.Options, "rshared") || slices.Contains(m.Options, "shared"):
			return "rshared"
		case slices.Contains(m.Options, "rslave") || slices.Contains(m.Options, "slave"):
			prop = "rslave"
		}
	}
	return prop
}
