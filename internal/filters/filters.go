// Package filters parses the Engine API's "filters" query parameter and
// matches values against it the way dockerd does.
package filters

import (
	"encoding/json"
	"fmt"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/wharf/wharf/internal/errs"
)

// Args maps a filter term to its set of values; an item matches when every
// term has at least one value that matches.
type Args map[string]map[string]bool

// Parse decodes the JSON the docker client sends: {"term":{"value":true}},
// or the older {"term":["value"]} form.
func Parse(s string) (Args, error) {
	a := Args{}
	if s == "" {
		return a, nil
	}
	if err := json.Unmarshal([]byte(s), &a); err == nil {
		return a, nil
	}
	var old map[string][]string
	if err := json.Unmarshal([]byte(s), &old); err != nil {
		return nil, fmt.Errorf("invalid filter '%s'", s)
	}
	for k, vs := range old {
		for _, v := range vs {
			a.Add(k, v)
		}
	}
	return a, nil
}

// Add adds value to term.
func (a Args) Add(term, value string) {
	if a[term] == nil {
		a[term] = map[string]bool{}
	}
	a[term][value] = true
}

// Has reports whether term is filtered on at all.
func (a Args) Has(term string) bool { return len(a[term]) > 0 }

// Get returns term's values, sorted.
func (a Args) Get(term string) []string {
	var vs []string
	for v := range a[term] {
		vs = append(vs, v)
	}
	sort.Strings(vs)
	return vs
}

// Validate rejects terms not in allowed, with dockerd's message.
func (a Args) Validate(allowed ...string) error {
	for term := range a {
		found := false
		for _, k := range allowed {
			if k == term {
				found = true
			}
		}
		if !found {
			return fmt.Errorf("invalid filter '%s'", term)
		}
	}
	return nil
}

// Exact reports whether term is unset or one of its values equals v.
func (a Args) Exact(term, v string) bool {
	if !a.Has(term) {
		return true
	}
	return a[term][v]
}

// Prefix reports whether term is unset or one of its values is a prefix of v.
func (a Args) Prefix(term, v string) bool {
	if !a.Has(term) {
		return true
	}
	for p := range a[term] {
		if strings.HasPrefix(v, p) {
			return true
		}
	}
	return false
}

// Glob reports whether term is unset or one of its values, as a shell
// pattern, matches v.
func (a Args) Glob(term, v string) bool {
	if !a.Has(term) {
		return true
	}
	for p := range a[term] {
		if ok, _ := path.Match(p, v); ok || p == v {
			return true
		}
	}
	return false
}

// Labels reports whether labels satisfy every "label" value: "key" needs
// the key present, "key=value" needs that value, and "key!=value" needs a
// different value or no key.
func (a Args) Labels(term string, labels map[string]string) bool {
	for f := range a[term] {
		if k, v, ok := strings.Cut(f, "!="); ok {
			if got, present := labels[k]; present && got == v {
				return false
			}
			continue
		}
		k, v, hasValue := strings.Cut(f, "=")
		got, present := labels[k]
		if !present || (hasValue && got != v) {
			return false
		}
	}
	return true
}

// Time is the term's timestamp value (see Timestamp), or the zero time
// when the term is absent.
func (a Args) Time(term string) (time.Time, error) {
	if !a.Has(term) {
		return time.Time{}, nil
	}
	return Timestamp(a.Get(term)[0])
}

// Timestamp reads a since/until filter value as docker does: RFC 3339, a
// Go duration before now ("10m"), or Unix seconds ("0" is the epoch).
func Timestamp(v string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return t, nil
	}
	var sec int64
	for _, c := range v {
		if c < '0' || c > '9' {
			if d, err := time.ParseDuration(v); err == nil {
				return time.Now().Add(-d), nil
			}
			return time.Time{}, errs.Invalid("invalid timestamp %q", v)
		}
		sec = sec*10 + int64(c-'0')
	}
	return time.Unix(sec, 0), nil
}
