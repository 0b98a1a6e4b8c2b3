package executor

import (
	"context"

	"github.com/moby/swarmkit/v2/api"
)

// configureIngress gives this node its routing mesh sandbox on the
// ingress network at the address the managers allocated it (its node
// attachment), or removes it when the swarm has no ingress network any
// more, as dockerd's executor does with SetupIngress and ReleaseIngress.
func (e *Executor) configureIngress(ctx context.Context, node *api.Node) {
	if e.cfg.Overlay == nil || node == nil {
		return
	}
	atts := node.Attachments
	if node.Attachment != nil {
		atts = append(atts, node.Attachment)
	}
	for _, na := range atts {
		if na == nil || na.Network == nil || len(na.Addresses) == 0 || !na.Network.Spec.Ingress {
			continue
		}
		if err := e.cfg.Overlay.SetupIngress(ctx, na.Network, na.Addresses[0]); err != nil {
			e.cfg.Log.Warn("routing mesh: no ingress sandbox on this node", "err", err)
		}
		return
	}
	e.cfg.Overlay.ReleaseIngress()
}
