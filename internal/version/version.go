// Package version holds the daemon's version and the Engine API versions it speaks.
package version

// Version and GitCommit are set at build time from git describe
// (make build: -ldflags -X); a plain go build reports these.
var (
	// Version is wharf's own version, reported by /version and --version.
	Version = "0.1.0-dev"
	// GitCommit is the commit built from.
	GitCommit = "unknown"
	// BuildTime is when the binary was built, as dockerd writes it
	// ("2006-01-02T15:04:05.000000000+00:00"); "" when not stamped.
	BuildTime = ""
)

const (
	// APIVersion is the newest Engine API version served (moby/moby/api v1.56).
	APIVersion = "1.56"
	// MinAPIVersion is the oldest Engine API version accepted: dockerd
	// 20.10's (engine 25 raised it to 1.24). docker-compose 1.29 speaks
	// 1.21 for a version-1 compose file. Versions before 1.24 get 1.24's
	// shapes, the oldest internal/api/compat models; dockerd's pre-1.24
	// differences (inspect before 1.20, HostConfig at start) are for
	// clients older than any still in use.
	MinAPIVersion = "1.12"
)
