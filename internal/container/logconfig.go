package container

import (
	"bytes"
	"errors"
	"os"
	"strings"
	"text/template"

	"github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/container"

	"github.com/wharf/wharf/internal/errs"
	"github.com/wharf/wharf/internal/logger"
	"github.com/wharf/wharf/internal/runtime"
)

// defaultLogDriver is what a container gets without --log-driver, as
// dockerd's default; SDKs read a container's output back only from a
// json-file or journald container.
const defaultLogDriver = "json-file"

// journalSocket is where journald listens; without it the journald
// driver cannot start a container, as dockerd's.
const journalSocket = "/run/systemd/journal/socket"

// errLogsNotReadable is docker's answer to `logs` of a container whose
// driver keeps nothing to read back.
var errLogsNotReadable = errs.Wrap(errdefs.ErrNotImplemented, errors.New("configured logging driver does not support reading"))

// validateLogConfig fills in the default driver and refuses drivers and
// options dockerd would refuse. Every container's output is kept in its
// own log file (conmon's k8s-file), rotated as its options say: json-file
// and local name that file, journald also sends each line to the journal
// (the file is dockerd's "dual logging" cache), none makes `logs` refuse
// to read it.
func validateLogConfig(lc *container.LogConfig) error {
	if lc.Type == "" {
		lc.Type = defaultLogDriver
	}
	if err := logger.ValidateLogOpts(lc.Type, lc.Config); err != nil {
		return errs.Invalid("%s", err.Error())
	}
	if tag := lc.Config["tag"]; tag != "" {
		if _, err := template.New("").Parse(tag); err != nil {
			return errs.Invalid("invalid log tag %q: %v", tag, err)
		}
	}
	return nil
}

// logRotation is how c's log file is rotated.
func logRotation(c *Container) logger.Rotation {
	if c.HostConfig == nil {
		return logger.Rotation{MaxFile: 1}
	}
	return logger.RotationFor(c.HostConfig.LogConfig.Type, c.HostConfig.LogConfig.Config)
}

// logOptions are conmon's logging settings for c's next run.
func (s *Service) logOptions(c *Container) (runtime.LogOptions, error) {
	lc := c.HostConfig.LogConfig
	o := runtime.LogOptions{Name: strings.TrimPrefix(c.Name, "/")}
	if lc.Type != "journald" {
		return o, nil
	}
	if _, err := os.Stat(journalSocket); err != nil {
		return o, errs.Invalid("failed to initialize logging driver: journald is not enabled on this host")
	}
	o.Journald = true
	tag, err := logTag(c, lc.Config["tag"])
	if err != nil {
		return o, err
	}
	o.Tag = tag
	return o, nil
}

// logTag expands a log-opt tag template as docker's loggerutils does;
// "" is docker's default, {{.ID}}.
func logTag(c *Container, text string) (string, error) {
	if text == "" {
		text = "{{.ID}}"
	}
	tmpl, err := template.New("tag").Parse(text)
	if err != nil {
		return "", errs.Invalid("invalid log tag %q: %v", text, err)
	}
	image := ""
	if c.Config != nil {
		image = c.Config.Image
	}
	var b bytes.Buffer
	err = tmpl.Execute(&b, struct {
		ID, FullID, Name, ImageID, ImageFullID, ImageName, DaemonName string
	}{shortID(c.ID), c.ID, strings.TrimPrefix(c.Name, "/"), shortID(strings.TrimPrefix(c.ImageID, "sha256:")),
		c.ImageID, image, "wharf"})
	if err != nil {
		return "", errs.Invalid("invalid log tag %q: %v", text, err)
	}
	return b.String(), nil
}
