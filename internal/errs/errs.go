// Package errs gives errors a kind (not found, conflict, invalid argument…)
// without changing their message, so the API can map them to an HTTP status
// while clients see docker's exact wording.
package errs

import (
	"errors"
	"fmt"
	"strings"

	"github.com/containerd/errdefs"
)

// kindError carries err's message and is also of class kind.
type kindError struct {
	err  error
	kind error
}

func (e kindError) Error() string   { return e.err.Error() }
func (e kindError) Unwrap() []error { return []error{e.err, e.kind} }

// Wrap returns err, classified as kind (one of the errdefs sentinels).
func Wrap(kind, err error) error {
	if err == nil {
		return nil
	}
	return kindError{err: err, kind: kind}
}

// NotFound formats a "not found" error (HTTP 404).
func NotFound(format string, a ...any) error {
	return Wrap(errdefs.ErrNotFound, fmt.Errorf(format, a...))
}

// Conflict formats a "conflict" error (HTTP 409).
func Conflict(format string, a ...any) error {
	return Wrap(errdefs.ErrConflict, fmt.Errorf(format, a...))
}

// Invalid formats an "invalid argument" error (HTTP 400).
func Invalid(format string, a ...any) error {
	return Wrap(errdefs.ErrInvalidArgument, fmt.Errorf(format, a...))
}

// InvalidReference is a 400 for an image reference that does not parse,
// in docker's words: "invalid reference format: ...", the prefix once
// (distribution/reference's errors often carry it already).
func InvalidReference(err error) error {
	if strings.HasPrefix(err.Error(), "invalid reference format") {
		return Wrap(errdefs.ErrInvalidArgument, err)
	}
	return Invalid("invalid reference format: %v", err)
}

// NotModified formats a "not modified" error (HTTP 304).
func NotModified(format string, a ...any) error {
	return Wrap(errdefs.ErrNotModified, fmt.Errorf(format, a...))
}

// Is reports whether err is of class kind.
func Is(err, kind error) bool { return errors.Is(err, kind) }
