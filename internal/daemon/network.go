package daemon

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"path/filepath"

	"github.com/wharf/wharf/internal/config"
	"github.com/wharf/wharf/internal/events"
	"github.com/wharf/wharf/internal/network"
	"github.com/wharf/wharf/internal/network/ipam"
)

// newNetworks builds the network service from the daemon's settings.
func newNetworks(ctx context.Context, cfg config.Config, bus events.Logger, log *slog.Logger) (*network.Service, error) {
	var pools []ipam.PoolSpec
	for _, p := range cfg.DefaultAddressPools {
		base, err := netip.ParsePrefix(p.Base)
		if err != nil || p.Size < base.Bits() || p.Size > 30 {
			return nil, fmt.Errorf("invalid default-address-pools entry %q/%d", p.Base, p.Size)
		}
		pools = append(pools, ipam.PoolSpec{Base: base, Size: p.Size})
	}
	s, err := network.New(ctx, network.Config{
		Root:     filepath.Join(cfg.Root, "network"),
		RunRoot:  filepath.Join(cfg.ExecRoot, "netns"),
		ClaimDir: "/run/wharf-ipam",
		BIP:      cfg.BIP,
		IPv6:     cfg.IPv6, FixedCIDRv6: cfg.FixedCIDRv6,
		Pools:    pools,
		IPTables: cfg.IPTables,
		IPMasq:   cfg.IPMasq,
		Events:   bus,
		Log:      log,
	})
	if err != nil {
		return nil, fmt.Errorf("networks: %w", err)
	}
	return s, nil
}
