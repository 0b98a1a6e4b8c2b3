// Package system answers GET /version and /info: the engine's version, and
// the host and daemon as docker describes them, with the counts of
// containers and images from their services.
package system

import (
	"context"
	"os"
	goruntime "runtime"
	"strings"
	"sync/atomic"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/swarm"
	"github.com/moby/moby/api/types/system"
	"golang.org/x/sys/unix"

	"github.com/wharf/wharf/internal/api/backend"
	"github.com/wharf/wharf/internal/filters"
	"github.com/wharf/wharf/internal/version"
)

// Containers lists the containers, for their counts by state.
type Containers interface {
	List(ctx context.Context, o backend.ContainerListOptions) ([]container.Summary, error)
}

// Images counts the images: all of them, intermediate ones (a classic
// build's steps, hidden from the list) included, as dockerd's
// CountImages counts its store.
type Images interface {
	Count(ctx context.Context) int
}

// Swarm is this node's part in Swarm mode, for /info's Swarm block.
type Swarm interface {
	Info(ctx context.Context) swarm.Info
}

// Config is what the system service reports on.
type Config struct {
	Root           string            // the data root (DockerRootDir)
	DefaultRuntime string            // the runtime containers get unless they choose
	Runtimes       map[string]string // the runtimes found: name → path
	Debug          bool
	Containers     Containers
	Images         Images
	Swarm          Swarm // nil: Swarm mode is not built in ("inactive")
}

// Service answers /version and /info.
type Service struct {
	cfg      Config
	settings atomic.Pointer[Settings] // settings.go
}

// New returns the system service over cfg.
func New(cfg Config) *Service {
	return &Service{cfg: cfg}
}

// Version answers GET /version.
func (s *Service) Version(ctx context.Context) (system.VersionResponse, error) {
	kernel := kernelVersion()
	return system.VersionResponse{
		Platform: system.PlatformInfo{Name: "Wharf Engine"},
		Components: []system.ComponentVersion{{
			Name: "Engine", Version: version.Version,
			Details: map[string]string{
				"ApiVersion": version.APIVersion, "MinAPIVersion": version.MinAPIVersion,
				"GitCommit": version.GitCommit, "GoVersion": goruntime.Version(), "Os": "linux", "Arch": goruntime.GOARCH, "KernelVersion": kernel,
				"BuildTime": version.BuildTime,
			},
		}},
		Version:       version.Version,
		APIVersion:    version.APIVersion,
		MinAPIVersion: version.MinAPIVersion,
		GoVersion:     goruntime.Version(),
		Os:            "linux",
		Arch:          goruntime.GOARCH,
		KernelVersion: kernel,
		GitCommit:     version.GitCommit,
		BuildTime:     version.BuildTime,
	}, nil
}

// Info answers GET /info.
func (s *Service) Info(ctx context.Context) (system.Info, error) {
	list, err := s.cfg.Containers.List(ctx, backend.ContainerListOptions{All: true, Filters: filters.Args{}})
	if err != nil {
		return system.Info{}, err
	}
	info := system.Info{
		ID:                 "wharf",
		Containers:         len(list),
		Driver:             "overlay2",
		DriverStatus:       driverStatus(s.cfg.Root),
		MemoryLimit:        true,
		SwapLimit:          true,
		CPUCfsPeriod:       true,
		CPUCfsQuota:        true,
		CPUShares:          true,
		CPUSet:             true,
		PidsLimit:          true,
		IPv4Forwarding:     true,
		Debug:              s.cfg.Debug,
		NGoroutines:        goruntime.NumGoroutine(),
		SystemTime:         time.Now().Format(time.RFC3339Nano),
		LoggingDriver:      "k8s-file",
		CgroupDriver:       "cgroupfs",
		CgroupVersion:      cgroupVersion(),
		KernelVersion:      kernelVersion(),
		OperatingSystem:    osName(),
		OSType:             "linux",
		Architecture:       arch(),
		IndexServerAddress: "https://index.docker.io/v1/",
		NCPU:               goruntime.NumCPU(),
		MemTotal:           memTotal(),
		DockerRootDir:      s.cfg.Root,
		Name:               hostname(),
		ServerVersion:      version.Version,
		Runtimes:           map[string]system.RuntimeWithStatus{},
		DefaultRuntime:     s.cfg.DefaultRuntime,
		SecurityOptions:    []string{"name=seccomp,profile=builtin"},
		Labels:             []string{},
		Warnings:           []string{},
	}
	for _, c := range list {
		switch c.State {
		case container.StateRunning:
			info.ContainersRunning++
		case container.StatePaused:
			info.ContainersPaused++
		default:
			info.ContainersStopped++
		}
	}
	info.Swarm = swarm.Info{LocalNodeState: swarm.LocalNodeStateInactive}
	if s.cfg.Swarm != nil {
		info.Swarm = s.cfg.Swarm.Info(ctx)
	}
	info.Images = s.cfg.Images.Count(ctx)
	for name, path := range s.cfg.Runtimes {
		info.Runtimes[name] = system.RuntimeWithStatus{Runtime: system.Runtime{Path: path}}
	}
	s.reportSettings(&info)
	return info, nil
}

func kernelVersion() string {
	var u unix.Utsname
	if unix.Uname(&u) != nil {
		return ""
	}
	return unix.ByteSliceToString(u.Release[:])
}

func arch() string {
	var u unix.Utsname
	if unix.Uname(&u) != nil {
		return goruntime.GOARCH
	}
	return unix.ByteSliceToString(u.Machine[:])
}

func hostname() string {
	h, _ := os.Hostname()
	return h
}

func memTotal() int64 {
	var si unix.Sysinfo_t
	if unix.Sysinfo(&si) != nil {
		return 0
	}
	return int64(si.Totalram) * int64(si.Unit)
}

func osName() string {
	data, err := os.ReadFile("/etc/os-release")
	if err != nil {
		return "Linux"
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "PRETTY_NAME="); ok {
			return strings.Trim(v, `"`)
		}
	}
	return "Linux"
}

// cgroupVersion is "2" on a unified host, "1" on a legacy or hybrid one.
func cgroupVersion() string {
	var st unix.Statfs_t
	if unix.Statfs("/sys/fs/cgroup", &st) == nil && st.Type == unix.CGROUP2_SUPER_MAGIC {
		return "2"
	}
	return "1"
}
