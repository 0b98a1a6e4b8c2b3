package network

import (
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"strings"

	"github.com/wharf/wharf/internal/api/compat"
	"github.com/wharf/wharf/internal/errs"
)

// looseIPAM is a create request's IPAM configs as sent, before the
// addresses are parsed: moby's types parse them while decoding, so a bad
// one would otherwise be refused in the JSON decoder's words.
type looseIPAM struct {
	IPAM *struct {
		Config []struct {
			Subnet, IPRange, Gateway string
			AuxAddress               map[string]string `json:"AuxiliaryAddresses"`
		}
	}
}

// checkIPAMAddresses refuses unparsable IPAM addresses in dockerd's words:
// engine 25's up-front check from API 1.44, 20.10's (libnetwork's)
// before. Anything else is left to the decoder and the network service.
func checkIPAMAddresses(ctx context.Context, body []byte) error {
	var req looseIPAM
	if json.Unmarshal(body, &req) != nil || req.IPAM == nil {
		return nil
	}
	old := compat.Before(ctx, compat.IPAMWords)
	var bad []string
	for _, c := range req.IPAM.Config {
		if _, err := netip.ParsePrefix(c.Subnet); err != nil && c.Subnet != "" {
			if old {
				return errs.Invalid("Invalid subnet %s : invalid CIDR address: %s", c.Subnet, c.Subnet)
			}
			bad = append(bad, fmt.Sprintf("invalid subnet %s: invalid CIDR block notation", c.Subnet))
			continue
		}
		if _, err := netip.ParsePrefix(c.IPRange); err != nil && c.IPRange != "" {
			if old {
				return errs.Invalid("failed to parse pool request for address space \"LocalDefault\" pool %q subpool %q: Invalid Address SubPool", c.Subnet, c.IPRange)
			}
			bad = append(bad, fmt.Sprintf("invalid ip-range %s: invalid CIDR block notation", c.IPRange))
		}
		if _, err := netip.ParseAddr(c.Gateway); err != nil && c.Gateway != "" {
			if old {
				return errs.Invalid("invalid gateway address %s in Ipam configuration", c.Gateway)
			}
			bad = append(bad, fmt.Sprintf("invalid gateway %s: invalid address", c.Gateway))
		}
		for name, a := range c.AuxAddress {
			if _, err := netip.ParseAddr(a); err != nil {
				bad = append(bad, fmt.Sprintf("invalid auxiliary address %s: invalid address", name))
			}
		}
	}
	if len(bad) == 0 {
		return nil
	}
	return errs.Invalid("invalid network config:\n%s", strings.Join(bad, "\n"))
}
