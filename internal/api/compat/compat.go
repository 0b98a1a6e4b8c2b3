// Package compat answers every Engine API version in that version's
// shape. Its table (gates.go) is moby's API changelog
// (api/docs/CHANGELOG.md) cut down to the changes Wharf's routes serve:
// each gate names the route, the version that brought the change and the
// changelog's words.
//
// A gate either rewrites a response for older clients (its Old function
// works on the JSON object the newest version sends, so a handler builds
// only the newest shape and writes it through WriteJSON or Shape), or it
// changes how a request is read, and the handler asks Before. Clients of
// the newest version never pay for the rewriting: with no gate applying,
// the value is encoded as it is.
package compat

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"

	"github.com/moby/moby/client/pkg/versions"

	"github.com/wharf/wharf/internal/api/httputil"
)

// ID names a gate in the table.
type ID string

// Gate is one change of the API.
type Gate struct {
	ID ID
	// Since is the first API version with the new behaviour; requests of
	// older versions get the old one.
	Since string
	// Route is the method and path the change concerns, as the routers
	// spell it ("GET /images/{name}/json").
	Route string
	// Change says what changed, in the changelog's words.
	Change string
	// Old turns one JSON object of the route's newest response (each
	// element when the response is a list) into what clients before Since
	// were sent. Nil for a gate about reading requests.
	Old func(obj map[string]any)
	// Always applies Old at every version: a deliberate departure from
	// dockerd, for clients that take the server's newest version yet
	// read what it dropped; Change says why.
	Always bool
}

// Before reports whether the request of ctx speaks an API version older
// than the one gate id came with. A request with no version (not served
// through the API server) is of the newest version.
func Before(ctx context.Context, id ID) bool {
	g := lookup(id)
	v := httputil.VersionFromContext(ctx)
	return v != "" && versions.LessThan(v, g.Since)
}

func lookup(id ID) *Gate {
	for i := range table {
		if table[i].ID == id {
			return &table[i]
		}
	}
	// Only a misspelt constant gets here; the tests call every handler.
	panic("compat: no gate " + string(id))
}

// applying lists the response gates of route older than version, newest
// change first, so each is undone in the reverse of the order it came in.
func applying(route, version string) []*Gate {
	if version == "" {
		return nil
	}
	var out []*Gate
	for i := range table {
		g := &table[i]
		if g.Route == route && g.Old != nil && (g.Always || versions.LessThan(version, g.Since)) {
			out = append(out, g)
		}
	}
	return out
}

// Shape returns v as a client of ctx's API version expects the response
// of route: v itself when no gate applies, else its JSON rewritten by
// each applying gate. A value that does not encode is returned as is,
// for the encoder to report.
func Shape(ctx context.Context, route string, v any) any {
	gates := applying(route, httputil.VersionFromContext(ctx))
	if len(gates) == 0 {
		return v
	}
	data, err := json.Marshal(v)
	if err != nil {
		return v
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber() // sizes and nanoseconds keep every digit
	var doc any
	if err := dec.Decode(&doc); err != nil {
		return v
	}
	each := func(o any) {
		if m, ok := o.(map[string]any); ok {
			for _, g := range gates {
				g.Old(m)
			}
		}
	}
	if list, ok := doc.([]any); ok {
		for _, o := range list {
			each(o)
		}
	} else {
		each(doc)
	}
	return doc
}

// WriteJSON writes v, shaped for the request's API version, as the
// response to route.
func WriteJSON(w http.ResponseWriter, r *http.Request, status int, route string, v any) error {
	return httputil.WriteJSON(w, status, Shape(r.Context(), route, v))
}
