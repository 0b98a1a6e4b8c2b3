package config

// Network holds the bridge settings, with dockerd's daemon.json keys.
type Network struct {
	// BIP is the default bridge's address and prefix, e.g. "172.17.0.1/16";
	// empty picks the first default pool subnet free on the host.
	BIP string `json:"bip,omitempty"`
	// DefaultAddressPools are cut into subnets for networks created
	// without one; empty means dockerd's defaults.
	DefaultAddressPools []AddressPool `json:"default-address-pools,omitempty"`
	// IPTables lets the daemon manage iptables rules (NAT, ports).
	IPTables bool `json:"iptables"`
	// IPMasq masquerades traffic leaving the bridges.
	IPMasq bool `json:"ip-masq"`
	// IPv6 gives the default bridge IPv6 addresses from FixedCIDRv6 (an
	// IPv6 subnet, required: wharf has no default IPv6 pool).
	IPv6        bool   `json:"ipv6,omitempty"`
	FixedCIDRv6 string `json:"fixed-cidr-v6,omitempty"`
}

// AddressPool is one of default-address-pools.
type AddressPool struct {
	Base string `json:"base"`
	Size int    `json:"size"`
}
