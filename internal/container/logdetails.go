package container

import (
	"maps"
	"net/url"
	"regexp"
	"slices"
	"strings"
)

// logDetails is what `logs --details` puts before each line: the log
// options' extra attributes (labels, labels-regex, env, env-regex, and
// tag when set), as key=value pairs, query-escaped, comma-separated and
// sorted by key, as dockerd writes a json-file log's attrs. dockerd
// stores them with each line; they are worked out from the container's
// labels and environment here, which do not change after create.
func logDetails(c *Container) []byte {
	if c.HostConfig == nil || c.Config == nil {
		return nil
	}
	opts := c.HostConfig.LogConfig.Config
	attrs := map[string]string{}
	for _, l := range splitList(opts["labels"]) {
		if v, ok := c.Config.Labels[l]; ok {
			attrs[l] = v
		}
	}
	if re, err := regexp.Compile(opts["labels-regex"]); err == nil && opts["labels-regex"] != "" {
		for k, v := range c.Config.Labels {
			if re.MatchString(k) {
				attrs[k] = v
			}
		}
	}
	env := map[string]string{}
	for _, e := range c.Config.Env {
		if k, v, ok := strings.Cut(e, "="); ok {
			env[k] = v
		}
	}
	for _, k := range splitList(opts["env"]) {
		if v, ok := env[k]; ok {
			attrs[k] = v
		}
	}
	if re, err := regexp.Compile(opts["env-regex"]); err == nil && opts["env-regex"] != "" {
		for k, v := range env {
			if re.MatchString(k) {
				attrs[k] = v
			}
		}
	}
	if opts["tag"] != "" {
		if tag, err := logTag(c, opts["tag"]); err == nil {
			attrs["tag"] = tag
		}
	}
	var b []byte
	for i, k := range slices.Sorted(maps.Keys(attrs)) {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, url.QueryEscape(k)+"="+url.QueryEscape(attrs[k])...)
	}
	return b
}

func splitList(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}
