package backend

import "github.com/moby/moby/api/types/registry"

// BuildOptions are POST /build's parameters.
type BuildOptions struct {
	Dockerfile  string // path in the context; "Dockerfile" if empty
	Tags        []string
	BuildArgs   map[string]*string
	Target      string
	NoCache     bool
	Labels      map[string]string
	NetworkMode string
	ExtraHosts  []string                       // "host:ip" lines for RUN containers' /etc/hosts
	CacheFrom   []string                       // images whose history the cache may match
	Pull        bool                           // pull base images even if present
	AuthConfigs map[string]registry.AuthConfig // by registry host, for pulls
	// Remove and ForceRemove are rm and forcerm: whether the stream tells
	// of intermediate containers' removal (they are removed either way).
	Remove, ForceRemove bool
}
