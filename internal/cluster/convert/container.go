package convert

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"strings"

	gogotypes "github.com/gogo/protobuf/types"
	"github.com/moby/moby/api/types/container"
	mounttypes "github.com/moby/moby/api/types/mount"
	types "github.com/moby/moby/api/types/swarm"
	swarmapi "github.com/moby/swarmkit/v2/api"
)

func containerSpecFromGRPC(c *swarmapi.ContainerSpec) *types.ContainerSpec {
	if c == nil {
		return nil
	}
	out := &types.ContainerSpec{
		Image:          c.Image,
		Labels:         c.Labels,
		Command:        c.Command,
		Args:           c.Args,
		Hostname:       c.Hostname,
		Env:            c.Env,
		Dir:            c.Dir,
		User:           c.User,
		Groups:         c.Groups,
		StopSignal:     c.StopSignal,
		TTY:            c.TTY,
		OpenStdin:      c.OpenStdin,
		ReadOnly:       c.ReadOnly,
		Hosts:          c.Hosts,
		Secrets:        secretReferencesFromGRPC(c.Secrets),
		Configs:        configReferencesFromGRPC(c.Configs),
		Sysctls:        c.Sysctls,
		CapabilityAdd:  c.CapabilityAdd,
		CapabilityDrop: c.CapabilityDrop,
		OomScoreAdj:    c.OomScoreAdj,
	}
	switch c.Isolation {
	case swarmapi.ContainerIsolationProcess:
		out.Isolation = container.IsolationProcess
	case swarmapi.ContainerIsolationHyperV:
		out.Isolation = container.IsolationHyperV
	default:
		out.Isolation = container.IsolationDefault
	}
	if c.Init != nil {
		v := c.Init.Value
		out.Init = &v
	}
	for _, u := range c.Ulimits {
		out.Ulimits = append(out.Ulimits, &container.Ulimit{Name: u.Name, Soft: u.Soft, Hard: u.Hard})
	}
	if d := c.DNSConfig; d != nil {
		out.DNSConfig = &types.DNSConfig{Search: d.Search, Options: d.Options}
		for _, ns := range d.Nameservers {
			if a, err := netip.ParseAddr(ns); err == nil {
				out.DNSConfig.Nameservers = append(out.DNSConfig.Nameservers, a)
			}
		}
	}
	if p := c.Privileges; p != nil {
		out.Privileges = &types.Privileges{NoNewPrivileges: p.NoNewPrivileges}
		if s := p.SELinuxContext; s != nil {
			out.Privileges.SELinuxContext = &types.SELinuxContext{Disable: s.Disable, User: s.User, Type: s.Type, Role: s.Role, Level: s.Level}
		}
		if s := p.Seccomp; s != nil {
			out.Privileges.Seccomp = &types.SeccompOpts{Profile: s.Profile}
			switch s.Mode {
			case swarmapi.Privileges_SeccompOpts_DEFAULT:
				out.Privileges.Seccomp.Mode = types.SeccompModeDefault
			case swarmapi.Privileges_SeccompOpts_UNCONFINED:
				out.Privileges.Seccomp.Mode = types.SeccompModeUnconfined
			case swarmapi.Privileges_SeccompOpts_CUSTOM:
				out.Privileges.Seccomp.Mode = types.SeccompModeCustom
			}
		}
		if a := p.Apparmor; a != nil {
			out.Privileges.AppArmor = &types.AppArmorOpts{}
			switch a.Mode {
			case swarmapi.Privileges_AppArmorOpts_DEFAULT:
				out.Privileges.AppArmor.Mode = types.AppArmorModeDefault
			case swarmapi.Privileges_AppArmorOpts_DISABLED:
				out.Privileges.AppArmor.Mode = types.AppArmorModeDisabled
			}
		}
	}
	for _, m := range c.Mounts {
		out.Mounts = append(out.Mounts, MountFromGRPC(m))
	}
	if c.StopGracePeriod != nil {
		g, _ := gogotypes.DurationFromProto(c.StopGracePeriod)
		out.StopGracePeriod = &g
	}
	if h := c.Healthcheck; h != nil {
		out.Healthcheck = HealthConfigFromGRPC(h)
	}
	return out
}

// MountFromGRPC is a swarmkit mount as the Engine API spells it (also what
// the executor hands the container service).
func MountFromGRPC(m swarmapi.Mount) mounttypes.Mount {
	out := mounttypes.Mount{
		Target:   m.Target,
		Source:   m.Source,
		Type:     mounttypes.Type(strings.ToLower(swarmapi.Mount_MountType_name[int32(m.Type)])),
		ReadOnly: m.ReadOnly,
	}
	if b := m.BindOptions; b != nil {
		out.BindOptions = &mounttypes.BindOptions{
			Propagation:            mounttypes.Propagation(strings.ToLower(swarmapi.Mount_BindOptions_MountPropagation_name[int32(b.Propagation)])),
			NonRecursive:           b.NonRecursive,
			CreateMountpoint:       b.CreateMountpoint,
			ReadOnlyNonRecursive:   b.ReadOnlyNonRecursive,
			ReadOnlyForceRecursive: b.ReadOnlyForceRecursive,
		}
	}
	if v := m.VolumeOptions; v != nil {
		out.VolumeOptions = &mounttypes.VolumeOptions{NoCopy: v.NoCopy, Labels: v.Labels, Subpath: v.Subpath}
		if v.DriverConfig != nil {
			out.VolumeOptions.DriverConfig = &mounttypes.Driver{Name: v.DriverConfig.Name, Options: v.DriverConfig.Options}
		}
	}
	if t := m.TmpfsOptions; t != nil {
		out.TmpfsOptions = &mounttypes.TmpfsOptions{SizeBytes: t.SizeBytes, Mode: t.Mode}
		if t.Options != "" {
			_ = json.Unmarshal([]byte(t.Options), &out.TmpfsOptions.Options)
		}
	}
	return out
}

// HealthConfigFromGRPC is a task's health check as a container takes it.
func HealthConfigFromGRPC(h *swarmapi.HealthConfig) *container.HealthConfig {
	interval, _ := gogotypes.DurationFromProto(h.Interval)
	timeout, _ := gogotypes.DurationFromProto(h.Timeout)
	start, _ := gogotypes.DurationFromProto(h.StartPeriod)
	startInterval, _ := gogotypes.DurationFromProto(h.StartInterval)
	return &container.HealthConfig{
		Test: h.Test, Interval: interval, Timeout: timeout, Retries: int(h.Retries),
		StartPeriod: start, StartInterval: startInterval,
	}
}

func healthConfigToGRPC(h *container.HealthConfig) *swarmapi.HealthConfig {
	return &swarmapi.HealthConfig{
		Test:          h.Test,
		Interval:      gogotypes.DurationProto(h.Interval),
		Timeout:       gogotypes.DurationProto(h.Timeout),
		Retries:       int32(h.Retries),
		StartPeriod:   gogotypes.DurationProto(h.StartPeriod),
		StartInterval: gogotypes.DurationProto(h.StartInterval),
	}
}

func secretReferencesFromGRPC(in []*swarmapi.SecretReference) []*types.SecretReference {
	out := make([]*types.SecretReference, 0, len(in))
	for _, s := range in {
		f := s.GetFile()
		if f == nil {
			continue // only file targets exist for secrets
		}
		out = append(out, &types.SecretReference{
			SecretID: s.SecretID, SecretName: s.SecretName,
			File: &types.SecretReferenceFileTarget{Name: f.Name, UID: f.UID, GID: f.GID, Mode: f.Mode},
		})
	}
	return out
}

func secretReferencesToGRPC(in []*types.SecretReference) []*swarmapi.SecretReference {
	out := make([]*swarmapi.SecretReference, 0, len(in))
	for _, s := range in {
		ref := &swarmapi.SecretReference{SecretID: s.SecretID, SecretName: s.SecretName}
		if s.File != nil {
			ref.Target = &swarmapi.SecretReference_File{File: &swarmapi.FileTarget{Name: s.File.Name, UID: s.File.UID, GID: s.File.GID, Mode: s.File.Mode}}
		}
		out = append(out, ref)
	}
	return out
}

func configReferencesFromGRPC(in []*swarmapi.ConfigReference) []*types.ConfigReference {
	out := make([]*types.ConfigReference, 0, len(in))
	for _, c := range in {
		ref := &types.ConfigReference{ConfigID: c.ConfigID, ConfigName: c.ConfigName}
		switch {
		case c.GetRuntime() != nil:
			ref.Runtime = &types.ConfigReferenceRuntimeTarget{}
		case c.GetFile() != nil:
			f := c.GetFile()
			ref.File = &types.ConfigReferenceFileTarget{Name: f.Name, UID: f.UID, GID: f.GID, Mode: f.Mode}
		default:
			continue
		}
		out = append(out, ref)
	}
	return out
}

func configReferencesToGRPC(in []*types.ConfigReference) ([]*swarmapi.ConfigReference, error) {
	out := make([]*swarmapi.ConfigReference, 0, len(in))
	for _, c := range in {
		ref := &swarmapi.ConfigReference{ConfigID: c.ConfigID, ConfigName: c.ConfigName}
		switch {
		case c.Runtime == nil && c.File == nil:
			return nil, errors.New("invalid Config: either File or Runtime should be set")
		case c.Runtime != nil && c.File != nil:
			return nil, errors.New("invalid Config: cannot specify both File and Runtime")
		case c.Runtime != nil:
			ref.Target = &swarmapi.ConfigReference_Runtime{Runtime: &swarmapi.RuntimeTarget{}}
		default:
			ref.Target = &swarmapi.ConfigReference_File{File: &swarmapi.FileTarget{Name: c.File.Name, UID: c.File.UID, GID: c.File.GID, Mode: c.File.Mode}}
		}
		out = append(out, ref)
	}
	return out, nil
}

func containerToGRPC(c *types.ContainerSpec) (*swarmapi.ContainerSpec, error) {
	out := &swarmapi.ContainerSpec{
		Image:          c.Image,
		Labels:         c.Labels,
		Command:        c.Command,
		Args:           c.Args,
		Hostname:       c.Hostname,
		Env:            c.Env,
		Dir:            c.Dir,
		User:           c.User,
		Groups:         c.Groups,
		StopSignal:     c.StopSignal,
		TTY:            c.TTY,
		OpenStdin:      c.OpenStdin,
		ReadOnly:       c.ReadOnly,
		Hosts:          c.Hosts,
		Secrets:        secretReferencesToGRPC(c.Secrets),
		Sysctls:        c.Sysctls,
		CapabilityAdd:  c.CapabilityAdd,
		CapabilityDrop: c.CapabilityDrop,
		OomScoreAdj:    c.OomScoreAdj,
	}
	switch {
	case c.Isolation.IsHyperV():
		return nil, errors.New("invalid Isolation: hyperv is Windows-only")
	case c.Isolation.IsProcess():
		out.Isolation = swarmapi.ContainerIsolationProcess
	default:
		out.Isolation = swarmapi.ContainerIsolationDefault
	}
	if c.Init != nil {
		out.Init = &gogotypes.BoolValue{Value: *c.Init}
	}
	for _, u := range c.Ulimits {
		out.Ulimits = append(out.Ulimits, &swarmapi.ContainerSpec_Ulimit{Name: u.Name, Soft: u.Soft, Hard: u.Hard})
	}
	if d := c.DNSConfig; d != nil {
		out.DNSConfig = &swarmapi.ContainerSpec_DNSConfig{Search: d.Search, Options: d.Options}
		for _, ns := range d.Nameservers {
			out.DNSConfig.Nameservers = append(out.DNSConfig.Nameservers, ns.String())
		}
	}
	if c.StopGracePeriod != nil {
		out.StopGracePeriod = gogotypes.DurationProto(*c.StopGracePeriod)
	}
	if p := c.Privileges; p != nil {
		if p.CredentialSpec != nil {
			return nil, errors.New("invalid CredentialSpec: credential specs are Windows-only")
		}
		out.Privileges = &swarmapi.Privileges{NoNewPrivileges: p.NoNewPrivileges}
		if s := p.SELinuxContext; s != nil {
			out.Privileges.SELinuxContext = &swarmapi.Privileges_SELinuxContext{Disable: s.Disable, User: s.User, Type: s.Type, Role: s.Role, Level: s.Level}
		}
		if s := p.Seccomp; s != nil {
			out.Privileges.Seccomp = &swarmapi.Privileges_SeccompOpts{Profile: s.Profile}
			switch s.Mode {
			case types.SeccompModeDefault:
				out.Privileges.Seccomp.Mode = swarmapi.Privileges_SeccompOpts_DEFAULT
			case types.SeccompModeUnconfined:
				out.Privileges.Seccomp.Mode = swarmapi.Privileges_SeccompOpts_UNCONFINED
			case types.SeccompModeCustom:
				out.Privileges.Seccomp.Mode = swarmapi.Privileges_SeccompOpts_CUSTOM
			}
		}
		if a := p.AppArmor; a != nil {
			out.Privileges.Apparmor = &swarmapi.Privileges_AppArmorOpts{}
			if a.Mode == types.AppArmorModeDisabled {
				out.Privileges.Apparmor.Mode = swarmapi.Privileges_AppArmorOpts_DISABLED
			}
		}
	}
	if c.Configs != nil {
		configs, err := configReferencesToGRPC(c.Configs)
		if err != nil {
			return nil, err
		}
		out.Configs = configs
	}
	for _, m := range c.Mounts {
		mount := swarmapi.Mount{Target: m.Target, Source: m.Source, ReadOnly: m.ReadOnly}
		if t, ok := swarmapi.Mount_MountType_value[strings.ToUpper(string(m.Type))]; ok {
			mount.Type = swarmapi.Mount_MountType(t)
		} else if m.Type != "" {
			return nil, fmt.Errorf("invalid MountType: %q", m.Type)
		}
		if b := m.BindOptions; b != nil {
			mount.BindOptions = &swarmapi.Mount_BindOptions{
				NonRecursive: b.NonRecursive, CreateMountpoint: b.CreateMountpoint,
				ReadOnlyNonRecursive: b.ReadOnlyNonRecursive, ReadOnlyForceRecursive: b.ReadOnlyForceRecursive,
			}
			if p, ok := swarmapi.Mount_BindOptions_MountPropagation_value[strings.ToUpper(string(b.Propagation))]; ok {
				mount.BindOptions.Propagation = swarmapi.Mount_BindOptions_MountPropagation(p)
			} else if b.Propagation != "" {
				return nil, fmt.Errorf("invalid MountPropagation: %q", b.Propagation)
			}
		}
		if v := m.VolumeOptions; v != nil {
			mount.VolumeOptions = &swarmapi.Mount_VolumeOptions{NoCopy: v.NoCopy, Labels: v.Labels, Subpath: v.Subpath}
			if v.DriverConfig != nil {
				mount.VolumeOptions.DriverConfig = &swarmapi.Driver{Name: v.DriverConfig.Name, Options: v.DriverConfig.Options}
			}
		}
		if t := m.TmpfsOptions; t != nil {
			mount.TmpfsOptions = &swarmapi.Mount_TmpfsOptions{SizeBytes: t.SizeBytes, Mode: t.Mode}
			if len(t.Options) > 0 {
				b, _ := json.Marshal(t.Options)
				mount.TmpfsOptions.Options = string(b)
			}
		}
		out.Mounts = append(out.Mounts, mount)
	}
	if c.Healthcheck != nil {
		out.Healthcheck = healthConfigToGRPC(c.Healthcheck)
	}
	return out, nil
}
