package httputil

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	"github.com/wharf/wharf/internal/errs"
	"github.com/wharf/wharf/internal/filters"
)

// BoolValue reads a boolean query parameter the way dockerd does:
// absent, "", "0", "no", "false" and "none" are false.
func BoolValue(r *http.Request, k string) bool {
	switch strings.ToLower(strings.TrimSpace(r.URL.Query().Get(k))) {
	case "", "0", "no", "false", "none":
		return false
	}
	return true
}

// IntValue reads an integer query parameter, def when absent.
func IntValue(r *http.Request, k string, def int) (int, error) {
	s := r.URL.Query().Get(k)
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, errs.Invalid("invalid value for %s: %q", k, s)
	}
	return n, nil
}

// FiltersValue parses the "filters" query parameter.
func FiltersValue(r *http.Request) (filters.Args, error) {
	f, err := filters.Parse(r.URL.Query().Get("filters"))
	if err != nil {
		return f, errs.Invalid("%v", err)
	}
	return f, nil
}

// FiltersHandler is the handler of a list or prune route whose only
// parameter is "filters": it answers with fn's result as JSON.
func FiltersHandler[T any](fn func(ctx context.Context, f filters.Args) (T, error)) APIFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		f, err := FiltersValue(r)
		if err != nil {
			return err
		}
		v, err := fn(r.Context(), f)
		if err != nil {
			return err
		}
		return WriteJSON(w, http.StatusOK, v)
	}
}

// TerminalSize reads the "h" and "w" parameters of a resize request.
func TerminalSize(r *http.Request) (height, width uint, err error) {
	h, err := IntValue(r, "h", 0)
	if err != nil {
		return 0, 0, err
	}
	wd, err := IntValue(r, "w", 0)
	if err != nil {
		return 0, 0, err
	}
	if h < 0 || wd < 0 {
		return 0, 0, errs.Invalid("invalid terminal size")
	}
	return uint(h), uint(wd), nil
}

// DecodeHeader decodes header name of r, base64url-encoded JSON (as
// X-Registry-Auth and X-Registry-Config are), into v. Clients differ on
// padding, so both forms are read. An absent header leaves v as is.
func DecodeHeader(r *http.Request, name string, v any) error {
	header := r.Header.Get(name)
	if header == "" {
		return nil
	}
	b, err := base64.URLEncoding.DecodeString(header)
	if err != nil {
		b, err = base64.RawURLEncoding.DecodeString(strings.TrimRight(header, "="))
	}
	if err == nil {
		err = json.Unmarshal(b, v)
	}
	if err != nil {
		return errs.Invalid("invalid %s header: %v", name, err)
	}
	return nil
}
