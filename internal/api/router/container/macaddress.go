package container

import (
	"bytes"
	"net"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/client/pkg/versions"

	"github.com/wharf/wharf/internal/errs"
)

// migrateMACAddress moves the container-wide Config.MacAddress of API
// 1.43 and older (and deprecated since) to the endpoint of the network
// the container starts on, as dockerd's handleMACAddressBC does. It
// returns dockerd's deprecation warning for newer clients still sending
// it.
func migrateMACAddress(macText string, hc *container.HostConfig, nc *network.NetworkingConfig, version string) (string, error) {
	var mac network.HardwareAddr
	if macText != "" {
		hw, err := net.ParseMAC(macText)
		if err != nil {
			return "", errs.Invalid("invalid MAC address %s", macText)
		}
		mac = network.HardwareAddr(hw)
	}
	mode := hc.NetworkMode
	if mode == "" || mode.IsDefault() {
		mode = network.NetworkBridge
	}
	onBridge := mode.IsBridge() || mode.IsUserDefined()
	if versions.LessThan(version, "1.44") {
		if mac == nil {
			// The old API had no endpoint MAC address: it ignored one.
			for _, ep := range nc.EndpointsConfig {
				if ep != nil {
					ep.MacAddress = nil
				}
			}
			return "", nil
		}
		if !onBridge {
			return "", errs.Invalid("conflicting options: mac-address and the network mode")
		}
		ep, err := endpointForMode(version, mode, nc)
		if err != nil {
			return "", err
		}
		ep.MacAddress = mac
		return "", nil
	}
	if mac == nil {
		return "", nil
	}
	if onBridge {
		ep, err := endpointForMode(version, mode, nc)
		if err != nil {
			return "", errs.Invalid("unable to migrate container-wide MAC address to a specific network: %v", err)
		}
		if len(ep.MacAddress) == 0 {
			ep.MacAddress = mac
		} else if !bytes.Equal(ep.MacAddress, mac) {
			return "", errs.Invalid("the container-wide MAC address must match the endpoint-specific MAC address for the main network, or be left empty")
		}
	}
	return "The container-wide MacAddress field is now deprecated. It should be specified in EndpointsConfig instead.", nil
}

// endpointForMode is the endpoint settings of the network mode names,
// made when there are none (dockerd's epConfigForNetMode).
func endpointForMode(version string, mode container.NetworkMode, nc *network.NetworkingConfig) (*network.EndpointSettings, error) {
	name := mode.NetworkName()
	if len(nc.EndpointsConfig) == 0 {
		es := &network.EndpointSettings{}
		nc.EndpointsConfig = map[string]*network.EndpointSettings{name: es}
		return es, nil
	}
	if versions.LessThan(version, "1.44") {
		// Older clients send at most one endpoint: the one to use.
		for k, ep := range nc.EndpointsConfig {
			if ep == nil {
				ep = &network.EndpointSettings{}
				nc.EndpointsConfig[k] = ep
			}
			return ep, nil
		}
	}
	ep, ok := nc.EndpointsConfig[name]
	if !ok || ep == nil {
		return nil, errs.Invalid("HostConfig.NetworkMode must match the identity of a network in NetworkSettings.Networks")
	}
	return ep, nil
}
