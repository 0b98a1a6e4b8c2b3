package backend

import "time"

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

// ServiceLogsOptions are the query parameters of GET /services/{id}/logs
// and /tasks/{id}/logs.
type ServiceLogsOptions struct {
	Stdout, Stderr bool
	Follow         bool
	Timestamps     bool
	Details        bool // prefix each line with its task's attributes, as the CLI asks
	Tail           int  // -1 for all
	Since          time.Time
}
