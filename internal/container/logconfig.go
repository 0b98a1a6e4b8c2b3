package container

import (
	"errors"
	"slices"

	"github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/container"

	"github.com/wharf/wharf/internal/errs"
)

// defaultLogDriver is what a container gets without --log-driver, as
// dockerd's default; SDKs read a container's output back only from a
// json-file or journald container.
const defaultLogDriver = "json-file"

// errLogsNotReadable is docker's answer to `logs` of a container whose
// driver keeps nothing to read back.
var errLogsNotReadable = errs.Wrap(errdefs.ErrNotImplemented, errors.New("configured logging driver does not support reading"))

// validateLogConfig fills in the default driver and refuses drivers and
// options dockerd would refuse. Every container's output is kept in its
// own log file (conmon's); json-file and local name that file, none
// makes `logs` refuse to read it.
func validateLogConfig(lc *container.LogConfig) error {
	if lc.Type == "" {
		lc.Type = defaultLogDriver
	}
	var known []string
	switch lc.Type {
	case "json-file":
		known = []string{"max-file", "max-size", "compress", "labels", "labels-regex", "env", "env-regex", "tag"}
	case "local":
		known = []string{"max-file", "max-size", "compress"}
	case "none":
	default:
		return errs.Invalid("logger: no log driver named '%s' is registered", lc.Type)
	}
	for opt := range lc.Config {
		if !slices.Contains(known, opt) {
			return errs.Invalid("unknown log opt '%s' for %s log driver", opt, lc.Type)
		}
	}
	return nil
}
