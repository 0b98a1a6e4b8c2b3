package api

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"

	"github.com/containerd/errdefs/pkg/errhttp"
	"github.com/wharf/wharf/internal/filters"

	"github.com/wharf/wharf/internal/errs"
)

// writeJSON writes v as the response body with the given status.
func writeJSON(w http.ResponseWriter, status int, v any) error {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	return json.NewEncoder(w).Encode(v)
}

// writeBody writes v as JSON after the headers have been sent.
func writeBody(w http.ResponseWriter, v any) error {
	return json.NewEncoder(w).Encode(v)
}

// writeError writes docker's {"message": ...} error body. The docker CLI
// prints the raw body unless Content-Type is application/json.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	status := errhttp.ToHTTP(err)
	if status == http.StatusInternalServerError {
		s.log.Error("api error", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"message": err.Error()})
}

// readJSON decodes the request body into v; an empty body leaves v as is.
func readJSON(r *http.Request, v any) error {
	if r.Body == nil {
		return nil
	}
	err := json.NewDecoder(r.Body).Decode(v)
	if err != nil && !errors.Is(err, io.EOF) {
		return errs.Invalid("invalid JSON: %v", err)
	}
	return nil
}

// boolValue reads a boolean query parameter the way dockerd does:
// absent, "", "0", "no", "false" and "none" are false.
func boolValue(r *http.Request, k string) bool {
	switch strings.ToLower(strings.TrimSpace(r.URL.Query().Get(k))) {
	case "", "0", "no", "false", "none":
		return false
	}
	return true
}

// intValue reads an integer query parameter, def when absent.
func intValue(r *http.Request, k string, def int) (int, error) {
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

// filtersValue parses the "filters" query parameter.
func filtersValue(r *http.Request) (filters.Args, error) {
	f, err := filters.Parse(r.URL.Query().Get("filters"))
	if err != nil {
		return f, errs.Invalid("%v", err)
	}
	return f, nil
}

// hijack takes over the connection for a raw stream (attach, exec start).
// Clients that asked to upgrade get 101 Switching Protocols, as from dockerd.
func hijack(w http.ResponseWriter, r *http.Request, contentType string) (net.Conn, *bufio.ReadWriter, error) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		return nil, nil, fmt.Errorf("connection cannot be hijacked")
	}
	conn, rw, err := hj.Hijack()
	if err != nil {
		return nil, nil, err
	}
	// The request body may still hold buffered client bytes; they belong to the stream.
	if r.Header.Get("Upgrade") != "" {
		fmt.Fprintf(rw, "HTTP/1.1 101 UPGRADED\r\nContent-Type: %s\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n", contentType)
	} else {
		fmt.Fprintf(rw, "HTTP/1.1 200 OK\r\nContent-Type: %s\r\n\r\n", contentType)
	}
	if err := rw.Flush(); err != nil {
		conn.Close()
		return nil, nil, err
	}
	return conn, rw, nil
}
