package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"

	"github.com/docker/cli/templates"
	"github.com/moby/moby/client"
)

// inspectFlags are `docker container inspect`'s flags; `docker inspect`
// has --type too (cli/command/container/inspect.go, system/inspect.go).
var inspectFlags = []flagSpec{
	{"format", 'f', false},
	{"size", 's', true},
}

var inspectTypeFlags = append([]flagSpec{{"type", 0, false}}, inspectFlags...)

// inspect is `docker inspect` for containers and `docker container
// inspect` (anyObject for the former, which runs templates on the
// container's value rather than on a pointer to it): docker/cli's
// inspect.Inspect on the way where every name is a container and every
// template runs. Names that are not containers (images, networks...) and
// every error are wharf-cli's.
func inspect(ctx context.Context, host string, anyObject bool, args []string, out io.Writer) bool {
	specs := inspectFlags
	if anyObject {
		specs = inspectTypeFlags
	}
	flags, refs, ok := parseFlags(args, specs, true)
	if !ok || len(refs) == 0 {
		return false
	}
	var format string
	var size bool
	for _, f := range flags {
		switch f.name {
		case "format":
			format = f.value
		case "size":
			size = f.value == "true"
		case "type":
			if f.value != "container" {
				return false
			}
		}
	}

	api, err := newClient(host)
	if err != nil {
		return false
	}
	defer api.Close()
	var raws [][]byte
	var values []any
	for _, ref := range refs {
		res, err := api.ContainerInspect(ctx, ref, client.ContainerInspectOptions{Size: size})
		if err != nil {
			return false
		}
		raws = append(raws, res.Raw)
		if anyObject {
			values = append(values, res.Container)
		} else {
			values = append(values, &res.Container)
		}
	}

	var buf bytes.Buffer
	switch format {
	case "", "json":
		// jsonInspector.Flush: the raw answers, as one indented or
		// compact JSON array.
		all := append([]byte{'['}, bytes.Join(raws, []byte{','})...)
		all = append(all, ']')
		if format == "" {
			err = json.Indent(&buf, all, "", "    ")
		} else {
			err = json.Compact(&buf, all)
		}
		if err != nil {
			return false
		}
		buf.WriteByte('\n')
	default:
		// TemplateInspector: the template on the typed value, else on
		// the raw JSON decoded, missing keys being errors.
		tmpl, err := templates.Parse(format)
		if err != nil {
			return false
		}
		for i, v := range values {
			var one bytes.Buffer
			if err := tmpl.Execute(&one, v); err != nil {
				one.Reset()
				var raw any
				dec := json.NewDecoder(bytes.NewReader(raws[i]))
				dec.UseNumber()
				if dec.Decode(&raw) != nil || tmpl.Option("missingkey=error").Execute(&one, raw) != nil {
					return false
				}
			}
			buf.Write(one.Bytes())
			buf.WriteByte('\n')
		}
	}
	_, _ = buf.WriteTo(out) // as in ps
	return true
}
