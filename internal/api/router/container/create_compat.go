package container

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"

	"github.com/containerd/platforms"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/mount"
	"github.com/moby/moby/api/types/network"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/wharf/wharf/internal/api/compat"
	"github.com/wharf/wharf/internal/errs"
)

// createForVersion reads a create request the way dockerd reads it at the
// request's API version (the gates are in internal/api/compat): fields an
// older version did not have are ignored, options it refused are refused,
// and the container-wide MacAddress of old clients moves to the main
// network's endpoint. It returns the warnings dockerd adds.
func createForVersion(ctx context.Context, req *createRequest) ([]string, error) {
	if req.HostConfig == nil {
		req.HostConfig = &container.HostConfig{}
	}
	if req.NetworkingConfig == nil {
		req.NetworkingConfig = &network.NetworkingConfig{}
	}
	hc, nc := req.HostConfig, req.NetworkingConfig
	before := func(id compat.ID) bool { return compat.Before(ctx, id) }

	if before(compat.RestartPolicyWords) {
		if err := legacyRestartPolicy(hc.RestartPolicy); err != nil {
			return nil, err
		}
	}
	if before(compat.CreateConsoleSize) {
		hc.ConsoleSize = [2]uint{}
	}
	for i := range hc.Mounts {
		m := &hc.Mounts[i]
		if before(compat.CreateMountOptionsCheck) {
			// Not validated then: drop what does not belong to the type.
			if m.Type != mount.TypeVolume {
				m.VolumeOptions = nil
			}
			if m.Type != mount.TypeTmpfs {
				m.TmpfsOptions = nil
			}
			if m.BindOptions != nil {
				m.BindOptions.CreateMountpoint = false
			}
		} else {
			switch {
			case m.VolumeOptions != nil && m.Type != mount.TypeVolume:
				return nil, errs.Invalid("VolumeOptions must not be specified on mount type %q", m.Type)
			case m.BindOptions != nil && m.Type != mount.TypeBind:
				return nil, errs.Invalid("BindOptions must not be specified on mount type %q", m.Type)
			case m.TmpfsOptions != nil && m.Type != mount.TypeTmpfs:
				return nil, errs.Invalid("TmpfsOptions must not be specified on mount type %q", m.Type)
			}
		}
		if before(compat.CreateVolumeSubpath) && m.VolumeOptions != nil && m.VolumeOptions.Subpath != "" {
			return nil, errs.Invalid("VolumeOptions.Subpath needs API v1.45 or newer")
		}
		if before(compat.CreateImageMount) && m.Type == mount.TypeImage {
			return nil, errs.Invalid(`Mount type "Image" needs API v1.48 or newer`)
		}
	}
	if before(compat.CreateAnnotations) {
		hc.Annotations = nil
	}
	if before(compat.CreateHealthStartInt) && req.Healthcheck != nil {
		req.Healthcheck.StartInterval = 0
	}
	if before(compat.CreateMultipleNetworks) && len(nc.EndpointsConfig) > 1 {
		names := make([]string, 0, len(nc.EndpointsConfig))
		for k := range nc.EndpointsConfig {
			names = append(names, k)
		}
		sort.Strings(names)
		return nil, errs.Invalid("Container cannot be created with multiple network endpoints: %s", strings.Join(names, ", "))
	}
	if before(compat.CreateGwPriority) {
		for _, ep := range nc.EndpointsConfig {
			if ep != nil {
				ep.GwPriority = 0
			}
		}
	}
	return containerMAC(ctx, req)
}

// containerMAC handles the container-wide Config.MacAddress: before 1.44
// it is the main endpoint's address (and an endpoint's own is ignored);
// until 1.52 it is moved there with a warning; since, it is refused.
func containerMAC(ctx context.Context, req *createRequest) ([]string, error) {
	hc, nc := req.HostConfig, req.NetworkingConfig
	old := compat.Before(ctx, compat.CreateEndpointMAC)
	if len(req.MacAddress) == 0 {
		if old {
			for _, ep := range nc.EndpointsConfig {
				if ep != nil {
					ep.MacAddress = nil
				}
			}
		}
		return nil, nil
	}
	if !compat.Before(ctx, compat.CreateNoContainerMAC) {
		return nil, errs.Invalid("container-wide MAC address no longer supported; use endpoint-specific MAC address instead")
	}
	mac := req.MacAddress
	mode := hc.NetworkMode
	if mode == "" || mode.IsDefault() {
		mode = container.NetworkMode(network.NetworkBridge)
	}
	if !mode.IsBridge() && !mode.IsUserDefined() {
		if old {
			return nil, errs.Invalid("conflicting options: mac-address and the network mode")
		}
		return []string{"The container-wide MacAddress field is now deprecated. It should be specified in EndpointsConfig instead."}, nil
	}
	ep, err := mainEndpoint(old, mode, nc)
	if err != nil {
		return nil, err
	}
	if len(ep.MacAddress) != 0 && !old && !slices.Equal(ep.MacAddress, mac) {
		return nil, errs.Invalid("the container-wide MAC address must match the endpoint-specific MAC address for the main network, or be left empty")
	}
	ep.MacAddress = mac
	if old {
		return nil, nil
	}
	return []string{"The container-wide MacAddress field is now deprecated. It should be specified in EndpointsConfig instead."}, nil
}

// mainEndpoint is the endpoint settings of the network the container's
// network mode names, made if there are none (moby's epConfigForNetMode).
func mainEndpoint(old bool, mode container.NetworkMode, nc *network.NetworkingConfig) (*network.EndpointSettings, error) {
	name := mode.NetworkName()
	if len(nc.EndpointsConfig) == 0 {
		ep := &network.EndpointSettings{}
		nc.EndpointsConfig = map[string]*network.EndpointSettings{name: ep}
		return ep, nil
	}
	if old {
		// At most one endpoint then, which is the main one.
		for k, ep := range nc.EndpointsConfig {
			if ep == nil {
				ep = &network.EndpointSettings{}
				nc.EndpointsConfig[k] = ep
			}
			return ep, nil
		}
	}
	ep, ok := nc.EndpointsConfig[name]
	if !ok {
		return nil, errs.Invalid("%v", fmt.Errorf("unable to migrate container-wide MAC address to a specific network: %w",
			errors.New("HostConfig.NetworkMode must match the identity of a network in NetworkSettings.Networks")))
	}
	if ep == nil {
		ep = &network.EndpointSettings{}
		nc.EndpointsConfig[name] = ep
	}
	return ep, nil
}

// createPlatform reads the "platform" parameter (os[/arch[/variant]]),
// which clients send since API 1.41; older ones' is ignored, as dockerd.
func createPlatform(r *http.Request) (*ocispec.Platform, error) {
	v := r.URL.Query().Get("platform")
	if v == "" || compat.Before(r.Context(), compat.CreatePlatform) {
		return nil, nil
	}
	p, err := platforms.Parse(v)
	if err != nil {
		return nil, errs.Invalid("%v", err)
	}
	return &p, nil
}

// legacyRestartPolicy refuses an invalid restart policy in dockerd 20.10's
// words (verifyContainerSettings); a valid one passes on to the newer
// check.
func legacyRestartPolicy(p container.RestartPolicy) error {
	switch p.Name {
	case container.RestartPolicyAlways, container.RestartPolicyUnlessStopped, container.RestartPolicyDisabled:
		if p.MaximumRetryCount != 0 {
			return errs.Invalid("maximum retry count cannot be used with restart policy '%s'", p.Name)
		}
	case container.RestartPolicyOnFailure:
		if p.MaximumRetryCount < 0 {
			return errs.Invalid("maximum retry count cannot be negative")
		}
	case "":
	default:
		return errs.Invalid("invalid restart policy '%s'", p.Name)
	}
	return nil
}
