package container

import (
	"context"
	"fmt"
	"os"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"

	"github.com/wharf/wharf/internal/api/backend"
	"github.com/wharf/wharf/internal/errs"
	"github.com/wharf/wharf/internal/image"
)

// CreateOptions is the body of POST /containers/create plus its name (the
// API layer's type).
type CreateOptions = backend.ContainerCreateOptions

// Create records a new container; nothing runs until Start.
func (s *Service) Create(ctx context.Context, o CreateOptions) (container.CreateResponse, error) {
	return s.create(ctx, o, nil)
}

// create is Create, for a pod's container when pod is not nil (pod.go).
func (s *Service) create(ctx context.Context, o CreateOptions, pod *Pod) (container.CreateResponse, error) {
	var resp container.CreateResponse
	if o.Config == nil {
		return resp, errs.Invalid("config cannot be empty in order to create a container")
	}
	if o.Config.Image == "" {
		return resp, errs.Invalid("No image specified")
	}
	if wd := o.Config.WorkingDir; wd != "" && !path.IsAbs(wd) {
		return resp, errs.Invalid("the working directory '%s' is invalid, it needs to be an absolute path", wd)
	}
	if err := validateConfig(o.Config); err != nil {
		return resp, err
	}
	hc := o.HostConfig
	if hc == nil {
		hc = &container.HostConfig{}
	}
	s.applyDefaults(hc)
	if err := validateHostConfig(hc); err != nil {
		return resp, err
	}
	bridgeDefaultEndpoint(hc, o.NetworkingConfig)
	if err := validateHostSettings(hc); err != nil {
		return resp, err
	}
	if err := validateSecurityOpts(hc.SecurityOpt); err != nil {
		return resp, err
	}
	if o.Name != "" {
		// Before the image lookup (dockerd checks it after): run --name
		// with a bad name fails at once instead of after a pull.
		if err := validateName(o.Name); err != nil {
			return resp, err
		}
	}
	if err := s.checkNetworkMode(hc); err != nil {
		return resp, err
	}
	if err := s.checkSharedNamespaces(hc); err != nil {
		return resp, err
	}
	if _, err := s.runtimeFor(hc.Runtime); err != nil {
		return resp, err
	}
	img, err := s.cfg.Images.Get(ctx, o.Config.Image)
	if err != nil {
		return resp, err
	}
	if err := checkPlatform(o.Platform, o.Config.Image, img); err != nil {
		return resp, err
	}
	cfg := *o.Config
	if err := mergeImageConfig(&cfg, img); err != nil {
		return resp, err
	}
	c := &Container{
		ID:         newID(),
		Created:    time.Now().UTC(),
		Config:     &cfg,
		HostConfig: hc,
		Networking: o.NetworkingConfig,
		ImageID:    img.ID,
		Runtime:    hc.Runtime,
		State:      container.State{Status: container.StateCreated},
		Pod:        pod,
		changed:    make(chan struct{}),
	}
	// Recorded as the image's user, then the image looked up again: an
	// image removal either sees this container or has finished, and then
	// the create fails here instead of making a container without an image.
	s.cfg.Uses.SetImage(c.ID, img.ID)
	if _, err := s.cfg.Images.Get(ctx, img.ID); err != nil {
		s.cfg.Uses.Remove(c.ID)
		return resp, err
	}
	if c.Runtime == "" {
		c.Runtime = s.cfg.DefaultRuntime
	}
	if hc.Runtime == "" {
		hc.Runtime = c.Runtime
	}
	if cfg.Hostname == "" && !hc.NetworkMode.IsHost() {
		cfg.Hostname = shortID(c.ID)
	}
	c.Path, c.Args = entrypointAndArgs(&cfg)

	name := o.Name
	if name == "" {
		name = s.generateName()
	}
	c.Name = "/" + strings.TrimPrefix(name, "/")
	// Found by its name from here on: held until it is complete.
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := s.reserveName(name, c); err != nil {
		s.cfg.Uses.Remove(c.ID)
		return resp, err
	}
	if err := s.prepareCreate(ctx, c); err != nil {
		c.removed = true
		s.forget(c)
		s.removeVolumes(context.WithoutCancel(ctx), c)
		os.RemoveAll(s.dir(c.ID))
		return resp, err
	}
	err = os.MkdirAll(s.dir(c.ID), 0o700)
	if err == nil {
		// The writable layer exists from creation on, as in docker.
		_, err = s.prepareRootfs(ctx, c)
	}
	if err == nil {
		err = s.save(c)
	}
	if err != nil {
		c.removed = true
		s.forget(c)
		s.removeVolumes(context.WithoutCancel(ctx), c)
		s.cfg.Layers.RemoveRW(ctx, c.ID)
		os.RemoveAll(s.dir(c.ID))
		return resp, err
	}
	s.mu.Lock()
	s.byID[c.ID] = c
	s.mu.Unlock()
	s.event(c, "create", nil)
	s.log.Debug("container created", "id", c.ID, "name", c.Name)
	return container.CreateResponse{ID: c.ID, Warnings: []string{}}, nil
}

// forget drops c from the indexes: it uses nothing any more.
func (s *Service) forget(c *Container) {
	s.mu.Lock()
	if s.byName[c.Name] == c {
		delete(s.byName, c.Name)
	}
	delete(s.byID, c.ID)
	s.mu.Unlock()
	s.cfg.Uses.Remove(c.ID)
}

// bridgeDefaultEndpoint files the endpoint settings the docker CLI sends
// for its network "default" under the network that is, bridge, as
// dockerd does: ps and inspect would show both names otherwise.
func bridgeDefaultEndpoint(hc *container.HostConfig, nc *NetworkingConfig) {
	if nc == nil || !hc.NetworkMode.IsBridge() {
		return
	}
	if ep, ok := nc.EndpointsConfig[network.NetworkDefault]; ok {
		delete(nc.EndpointsConfig, network.NetworkDefault)
		if _, ok := nc.EndpointsConfig[network.NetworkBridge]; !ok {
			nc.EndpointsConfig[network.NetworkBridge] = ep
		}
	}
}

func validateHostConfig(hc *container.HostConfig) error {
	switch mode := hc.NetworkMode; {
	case mode == "" || mode.IsDefault():
		hc.NetworkMode = network.NetworkBridge
	case mode.IsHost(), mode.IsNone(), mode == network.NetworkBridge:
	case mode.IsContainer(), mode.IsUserDefined(): // checkNetworkMode (network.go)
	default:
		return errs.NotFound("network %s not found", mode)
	}
	if err := validateRestartPolicy(hc); err != nil {
		return err
	}
	if err := validateDeviceCgroupRules(hc.DeviceCgroupRules); err != nil {
		return err
	}
	if hc.RestartPolicy.Name == "" {
		hc.RestartPolicy.Name = container.RestartPolicyDisabled
	}
	if hc.AutoRemove && hc.RestartPolicy.Name != container.RestartPolicyDisabled {
		return errs.Invalid("can't create 'AutoRemove' container with restart policy")
	}
	if hc.ShmSize < 0 {
		return errs.Invalid("SHM size can not be less than 0")
	}
	// Checked as dockerd does (it answered 500 for these; they are 400s).
	if !hc.Isolation.IsDefault() {
		return errs.Invalid("Invalid isolation: %q - linux only supports 'default'", hc.Isolation)
	}
	if err := validateCPUList(hc.CpusetCpus); err != nil {
		return errs.Invalid("Invalid value %s for cpuset cpus: %v", hc.CpusetCpus, err)
	}
	if err := validateCPUList(hc.CpusetMems); err != nil {
		return errs.Invalid("Invalid value %s for cpuset mems: %v", hc.CpusetMems, err)
	}
	return validateLogConfig(&hc.LogConfig)
}

// validateCPUList checks a cpuset list ("0-2,4"), moby's ParseUintList
// syntax; empty is none.
func validateCPUList(list string) error {
	if list == "" {
		return nil
	}
	for _, part := range strings.Split(list, ",") {
		lo, hi, isRange := strings.Cut(part, "-")
		a, err1 := strconv.ParseUint(lo, 10, 16)
		b, err2 := a, error(nil)
		if isRange {
			b, err2 = strconv.ParseUint(hi, 10, 16)
		}
		if err1 != nil || err2 != nil || b < a {
			return fmt.Errorf("invalid format: %s", list)
		}
	}
	return nil
}

// mergeImageConfig fills what the user left unset from the image, as
// dockerd's merge does: an entrypoint given by the user drops the image's
// CMD; env and labels are merged key by key, the user's winning.
func mergeImageConfig(cfg *container.Config, img *image.Image) error {
	ic := img.Config.Config
	if cfg.User == "" {
		cfg.User = ic.User
	}
	if cfg.WorkingDir == "" {
		cfg.WorkingDir = ic.WorkingDir
	}
	cfg.Env = mergeEnv(ic.Env, cfg.Env)
	if len(cfg.Entrypoint) == 0 {
		if len(cfg.Cmd) == 0 {
			cfg.Cmd = ic.Cmd
		}
		if cfg.Entrypoint == nil {
			cfg.Entrypoint = ic.Entrypoint
		}
	}
	// --entrypoint "" means "no entrypoint at all".
	if len(cfg.Entrypoint) == 1 && cfg.Entrypoint[0] == "" {
		cfg.Entrypoint = nil
	}
	if len(cfg.Entrypoint) == 0 && len(cfg.Cmd) == 0 {
		return errs.Invalid("no command specified")
	}
	if len(ic.Labels) > 0 {
		labels := map[string]string{}
		for k, v := range ic.Labels {
			labels[k] = v
		}
		for k, v := range cfg.Labels {
			labels[k] = v
		}
		cfg.Labels = labels
	}
	if cfg.Labels == nil {
		cfg.Labels = map[string]string{}
	}
	if cfg.StopSignal == "" {
		cfg.StopSignal = ic.StopSignal
	}
	if cfg.Healthcheck == nil && ic.Healthcheck != nil {
		cfg.Healthcheck = ic.Healthcheck
	}
	for p := range ic.ExposedPorts {
		port, err := network.ParsePort(p)
		if err != nil {
			continue
		}
		if cfg.ExposedPorts == nil {
			cfg.ExposedPorts = network.PortSet{}
		}
		cfg.ExposedPorts[port] = struct{}{}
	}
	for v := range ic.Volumes {
		if cfg.Volumes == nil {
			cfg.Volumes = map[string]struct{}{}
		}
		cfg.Volumes[v] = struct{}{}
	}
	if cfg.Env == nil {
		cfg.Env = []string{}
	}
	return nil
}

// mergeEnv overlays user on base by variable name, keeping base's order.
func mergeEnv(base, user []string) []string {
	out := append([]string(nil), base...)
	index := map[string]int{}
	for i, kv := range out {
		k, _, _ := strings.Cut(kv, "=")
		index[k] = i
	}
	for _, kv := range user {
		k, _, _ := strings.Cut(kv, "=")
		if i, ok := index[k]; ok {
			out[i] = kv
			continue
		}
		index[k] = len(out)
		out = append(out, kv)
	}
	return out
}

// entrypointAndArgs is docker's Path/Args split of ENTRYPOINT + CMD.
func entrypointAndArgs(cfg *container.Config) (string, []string) {
	argv := append(append([]string{}, cfg.Entrypoint...), cfg.Cmd...)
	if len(argv) == 0 {
		return "", []string{}
	}
	return argv[0], argv[1:]
}
