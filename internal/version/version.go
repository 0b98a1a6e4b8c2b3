// Package version holds the daemon's version and the Engine API versions it speaks.
package version

// Version and GitCommit are set at build time from git describe
// (make build: -ldflags -X); a plain go build reports these.
var (
	// Version is wharf's own version, reported by /version and --version.
	Version = "0.1.0-dev"
	// GitCommit is the commit built from.
	GitCommit = "unknown"
)

const (
	// APIVersion is the newest Engine API version served (moby/moby/api v1.56).
	APIVersion = "1.56"
	// MinAPIVersion is the oldest Engine API version accepted.
	MinAPIVersion = "1.24"
)
