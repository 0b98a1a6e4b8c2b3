package backend

import "github.com/moby/moby/api/types/registry"

// ImagePullOptions are the parameters of a pull besides the reference.
type ImagePullOptions struct {
	Platform string // "os/arch[/variant]"; empty: linux/<this arch>
	Auth     registry.AuthConfig
}

// ImagePushOptions are the parameters of a push besides the reference.
type ImagePushOptions struct {
	Auth registry.AuthConfig
}
