// Package ipam chooses subnets for networks and addresses for endpoints.
// It keeps no state of its own: callers pass what is in use (read from
// their persisted records), so a crash can never leak an address.
package ipam

import (
	"errors"
	"fmt"
	"net/netip"
)

// ErrNoAddress means a pool has no free address left.
var ErrNoAddress = errors.New("no available IPv4 addresses on this network's address pools")

// ErrNoSubnet means no default pool has a free subnet left.
var ErrNoSubnet = errors.New("all predefined address pools have been fully subnetted")

// PoolSpec is one default address pool: Base cut into subnets of Size bits,
// as dockerd's default-address-pools.
type PoolSpec struct {
	Base netip.Prefix `json:"base"`
	Size int          `json:"size"`
}

// DefaultPools are dockerd's default local pools.
func DefaultPools() []PoolSpec {
	return []PoolSpec{
		{Base: netip.MustParsePrefix("172.17.0.0/16"), Size: 16},
		{Base: netip.MustParsePrefix("172.18.0.0/16"), Size: 16},
		{Base: netip.MustParsePrefix("172.19.0.0/16"), Size: 16},
		{Base: netip.MustParsePrefix("172.20.0.0/14"), Size: 16},
		{Base: netip.MustParsePrefix("172.24.0.0/14"), Size: 16},
		{Base: netip.MustParsePrefix("172.28.0.0/14"), Size: 16},
		{Base: netip.MustParsePrefix("192.168.0.0/16"), Size: 20},
	}
}

// Overlaps reports whether two prefixes share any address.
func Overlaps(a, b netip.Prefix) bool {
	return a.Overlaps(b)
}

// NextSubnet returns the first subnet of the pools that overlaps none of used.
func NextSubnet(pools []PoolSpec, used []netip.Prefix) (netip.Prefix, error) {
	for _, p := range pools {
		base := p.Base.Masked()
		if p.Size < base.Bits() || p.Size > 30 || !base.Addr().Is4() {
			continue
		}
		step := uint32(1) << (32 - p.Size)
		start := toU32(base.Addr())
		end := start + (uint32(1)<<(32-base.Bits()) - 1)
		for a := start; a >= start && a <= end; a += step {
			cand := netip.PrefixFrom(fromU32(a), p.Size)
			if !overlapsAny(cand, used) {
				return cand, nil
			}
			if a+step < a { // wrapped
				break
			}
		}
	}
	return netip.Prefix{}, ErrNoSubnet
}

func overlapsAny(p netip.Prefix, used []netip.Prefix) bool {
	for _, u := range used {
		if p.Overlaps(u) {
			return true
		}
	}
	return false
}

// Gateway returns the first usable address of subnet, docker's default gateway.
func Gateway(subnet netip.Prefix) netip.Addr {
	return subnet.Masked().Addr().Next()
}

// Validate checks a user-given subnet, gateway and range as dockerd does.
func Validate(subnet netip.Prefix, gateway netip.Addr, ipRange netip.Prefix) error {
	if !subnet.Addr().Is4() {
		return fmt.Errorf("only IPv4 subnets are supported: %s", subnet)
	}
	if subnet.Bits() > 30 {
		return fmt.Errorf("subnet %s is too small", subnet)
	}
	if subnet != subnet.Masked() {
		return fmt.Errorf("invalid subnet %s : it should be %s", subnet, subnet.Masked())
	}
	if gateway.IsValid() && !subnet.Contains(gateway) {
		return fmt.Errorf("no matching subnet for gateway %s", gateway)
	}
	if ipRange.IsValid() && (!subnet.Contains(ipRange.Addr()) || ipRange.Bits() < subnet.Bits()) {
		return fmt.Errorf("no matching subnet for range %s", ipRange)
	}
	return nil
}

// Allocate returns a free address in rng (or subnet when rng is not valid),
// skipping the network and broadcast addresses, the gateway and everything
// in used. want, when valid, is the only acceptable answer.
func Allocate(subnet, rng netip.Prefix, gateway netip.Addr, used map[netip.Addr]bool, want netip.Addr) (netip.Addr, error) {
	subnet = subnet.Masked()
	network := subnet.Addr()
	broadcast := fromU32(toU32(network) | (uint32(1)<<(32-subnet.Bits()) - 1))
	if want.IsValid() {
		switch {
		case !subnet.Contains(want):
			return netip.Addr{}, fmt.Errorf("no available IPv4 addresses on this network's address pools: %s (%s)", subnet, want)
		case want == network || want == broadcast || want == gateway:
			//lint:ignore ST1005 dockerd's wording
			return netip.Addr{}, errors.New("Address already in use")
		case used[want]:
			//lint:ignore ST1005 dockerd's wording
			return netip.Addr{}, errors.New("Address already in use")
		}
		return want, nil
	}
	if !rng.IsValid() {
		rng = subnet
	}
	rng = rng.Masked()
	for a := rng.Addr(); rng.Contains(a); a = a.Next() {
		if a == network || a == broadcast || a == gateway || used[a] {
			continue
		}
		return a, nil
	}
	return netip.Addr{}, ErrNoAddress
}

func toU32(a netip.Addr) uint32 {
	b := a.As4()
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
}

func fromU32(v uint32) netip.Addr {
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}
