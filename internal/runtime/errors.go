package runtime

import "github.com/containerd/errdefs"

// errInvalid marks failures caused by the container's own configuration
// (a missing or non-executable entrypoint): HTTP 400, as from dockerd.
var errInvalid = errdefs.ErrInvalidArgument
