package backend

// SwarmUpdateFlags are the rotations POST /swarm/update asks for.
type SwarmUpdateFlags struct {
	RotateWorkerToken, RotateManagerToken, RotateManagerUnlockKey bool
}

// ServiceUpdateOptions are the query parameters and auth header of POST
// /services/{id}/update.
type ServiceUpdateOptions struct {
	EncodedRegistryAuth string
	RegistryAuthFrom    string // "spec" or "previous-spec"
	Rollback            string // "" or "previous"
}
