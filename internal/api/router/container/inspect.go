package container

import (
	"encoding/json"
	"net/http"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
)

// withLegacyNetwork adds the top-level NetworkSettings fields (IPAddress,
// Gateway, MacAddress…, from the default bridge) that dockerd sends to
// clients of API < 1.52, such as the docker CLI 28 and its templates
// ({{.NetworkSettings.IPAddress}}). Newer clients ignore them.
func withLegacyNetwork(r *http.Request, resp container.InspectResponse) any {
	if resp.NetworkSettings == nil {
		return resp
	}
	data, err := json.Marshal(resp)
	if err != nil {
		return resp
	}
	var m map[string]any
	if json.Unmarshal(data, &m) != nil {
		return resp
	}
	ns, _ := m["NetworkSettings"].(map[string]any)
	if ns == nil {
		return resp
	}
	legacy := map[string]any{
		"Bridge": "", "HairpinMode": false, "LinkLocalIPv6Address": "", "LinkLocalIPv6PrefixLen": 0,
		"SecondaryIPAddresses": nil, "SecondaryIPv6Addresses": nil, "EndpointID": "", "Gateway": "",
		"GlobalIPv6Address": "", "GlobalIPv6PrefixLen": 0, "IPAddress": "", "IPPrefixLen": 0,
		"IPv6Gateway": "", "MacAddress": "",
	}
	if ep := resp.NetworkSettings.Networks[network.NetworkBridge]; ep != nil && ep.IPAddress.IsValid() {
		legacy["EndpointID"] = ep.EndpointID
		legacy["Gateway"] = ep.Gateway.String()
		legacy["IPAddress"] = ep.IPAddress.String()
		legacy["IPPrefixLen"] = ep.IPPrefixLen
		legacy["MacAddress"] = ep.MacAddress.String()
	}
	for k, v := range legacy {
		ns[k] = v
	}
	return m
}
