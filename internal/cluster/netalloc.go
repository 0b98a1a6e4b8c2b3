package cluster

import (
	swarmapi "github.com/moby/swarmkit/v2/api"
	"github.com/moby/swarmkit/v2/manager/allocator/networkallocator"
)

// Until overlay networks exist, the managers allocate no network
// resources: swarmkit's inert allocator, with two corrections so that
// what does work works quietly:
//   - a task counts as allocated only once it carries its service's
//     endpoint, so swarmkit copies the endpoint (the published mode=host
//     ports) into every task, where the executor reads them;
//   - node attachments to the ingress network succeed without an
//     address, instead of failing (and logging an error) for every node
//     on every allocator pass.

type nodeLocalProvider struct {
	networkallocator.InertProvider
}

func (nodeLocalProvider) NewAllocator(*networkallocator.Config) (networkallocator.NetworkAllocator, error) {
	return nodeLocalAllocator{}, nil
}

type nodeLocalAllocator struct {
	networkallocator.Inert
}

func (nodeLocalAllocator) IsTaskAllocated(t *swarmapi.Task) bool {
	return networkallocator.Inert{}.IsTaskAllocated(t) && t.Endpoint != nil
}

func (nodeLocalAllocator) AllocateAttachment(*swarmapi.Node, *swarmapi.NetworkAttachment) error {
	return nil
}

func (nodeLocalAllocator) IsAttachmentAllocated(*swarmapi.Node, *swarmapi.NetworkAttachment) bool {
	return true
}
