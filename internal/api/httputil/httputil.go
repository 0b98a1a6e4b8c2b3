// Package httputil is what the API server and its routers share: the
// handler type, the request's API version, reading forms and bodies,
// writing JSON, and the streams (hijacked stdio, docker's stdcopy
// framing, JSON message streams).
package httputil

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"

	"github.com/wharf/wharf/internal/errs"
)

// APIFunc is a route's handler. A returned error is written by the server
// as docker's error JSON with the status of the error's kind (internal/errs),
// so a handler returns an error only before it has written anything.
type APIFunc func(w http.ResponseWriter, r *http.Request) error

type versionKey struct{}

// WithVersion returns ctx carrying the API version the client asked for.
func WithVersion(ctx context.Context, v string) context.Context {
	return context.WithValue(ctx, versionKey{}, v)
}

// VersionFromContext is the API version of the request ctx belongs to: the
// /vX.Y prefix, or the server's own version for an unversioned path. It is
// "" for a request that did not come through the API server.
func VersionFromContext(ctx context.Context) string {
	v, _ := ctx.Value(versionKey{}).(string)
	return v
}

// WriteJSON writes v as the response body with the given status.
func WriteJSON(w http.ResponseWriter, status int, v any) error {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	return json.NewEncoder(w).Encode(v)
}

// NoContent answers 204 No Content for a request whose backend call
// returned err, if err is nil; else it returns err, to be written as
// docker's error JSON.
func NoContent(w http.ResponseWriter, err error) error {
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// ReadJSON decodes the request body into v; an empty body leaves v as is.
// A body over the route's cap (router.Route.MaxBody) is an error the
// server answers with 413.
func ReadJSON(r *http.Request, v any) error {
	if r.Body == nil {
		return nil
	}
	err := json.NewDecoder(r.Body).Decode(v)
	if tooLarge := (*http.MaxBytesError)(nil); errors.As(err, &tooLarge) {
		return errs.Invalid("request body is larger than the limit of %d bytes: %w", tooLarge.Limit, err)
	}
	if err != nil && !errors.Is(err, io.EOF) {
		return errs.Invalid("invalid JSON: %v", err)
	}
	return nil
}

// ReadBody reads a request's body whole (the route's cap bounds it), for
// a handler that looks at it before decoding it (DecodeJSON).
func ReadBody(r *http.Request) ([]byte, error) {
	if r.Body == nil {
		return nil, nil
	}
	body, err := io.ReadAll(r.Body)
	if tooLarge := (*http.MaxBytesError)(nil); errors.As(err, &tooLarge) {
		return nil, errs.Invalid("request body is larger than the limit of %d bytes: %w", tooLarge.Limit, err)
	}
	if err != nil {
		return nil, errs.Invalid("reading the request: %v", err)
	}
	return body, nil
}

// DecodeJSON is ReadJSON for a body already read (and checked) whole: an
// empty one leaves v as it is.
func DecodeJSON(body []byte, v any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	if err := json.Unmarshal(body, v); err != nil {
		return errs.Invalid("invalid JSON: %v", err)
	}
	return nil
}
