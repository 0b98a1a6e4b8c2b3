// Package version holds the daemon's version and the Engine API versions it speaks.
package version

const (
	// Version is wharf's own version, reported by /version.
	Version = "0.1.0"
	// APIVersion is the newest Engine API version served (moby/moby/api v1.56).
	APIVersion = "1.56"
	// MinAPIVersion is the oldest Engine API version accepted.
	MinAPIVersion = "1.24"
)
