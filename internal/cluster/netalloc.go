package cluster

import (
	"github.com/wharf/wharf/internal/network/overlay"
)

// The managers' network allocator is overlay's: swarm networks get
// subnets from the swarm's default address pool and VXLAN IDs, services
// their VIPs, tasks and nodes their addresses (moby's cnmallocator).
type networkProvider = overlay.Provider
