package main

import (
	"bytes"
	"context"
	"io"
	"strconv"
	"strings"

	"github.com/docker/cli/cli/command/formatter"
	"github.com/docker/cli/templates"
	"github.com/moby/moby/client"
)

// psFlags are `docker ps`'s flags (cli/command/container/list.go).
var psFlags = []flagSpec{
	{"quiet", 'q', true},
	{"size", 's', true},
	{"all", 'a', true},
	{"no-trunc", 0, true},
	{"latest", 'l', true},
	{"last", 'n', false},
	{"format", 0, false},
	{"filter", 'f', false},
}

// ps is `docker ps` (runPs and buildContainerListOptions in docker/cli's
// cli/command/container/list.go, step by step), writing to out only when
// all went well.
func ps(ctx context.Context, host, psFormat string, args []string, out io.Writer) bool {
	flags, positional, ok := parseFlags(args, psFlags, true)
	if !ok || len(positional) > 0 {
		return false
	}
	var quiet, size, sizeChanged, all, noTrunc, nLatest bool
	last, format := -1, ""
	filters := make(client.Filters)
	for _, f := range flags {
		switch f.name {
		case "quiet":
			quiet = f.value == "true"
		case "size":
			size, sizeChanged = f.value == "true", true
		case "all":
			all = f.value == "true"
		case "no-trunc":
			noTrunc = f.value == "true"
		case "latest":
			nLatest = f.value == "true"
		case "last":
			n, err := strconv.ParseInt(f.value, 0, 64)
			if err != nil {
				return false
			}
			last = int(n)
		case "format":
			format = f.value
		case "filter":
			if f.value == "" {
				continue
			}
			name, val, ok := strings.Cut(f.value, "=")
			if !ok {
				return false
			}
			filters.Add(strings.ToLower(strings.TrimSpace(name)), strings.TrimSpace(val))
		}
	}
	if format == "" {
		format = psFormat
	} else if quiet {
		return false // docker warns that it ignores the format: wharf-cli's words
	}

	opts := client.ContainerListOptions{All: all, Limit: last, Size: size, Filters: filters}
	if nLatest && last == -1 {
		opts.Limit = 1
	}
	if format != "" {
		tmpl, err := templates.Parse(format)
		if err != nil {
			return false
		}
		fields := formatter.NewContainerContext()
		if err := tmpl.Execute(io.Discard, fields); err != nil {
			return false
		}
		if _, ok := fields.FieldsUsed["Size"]; ok && !quiet && !opts.Size && !sizeChanged {
			opts.Size = true
		}
	}

	api, err := newClient(host)
	if err != nil {
		return false
	}
	defer api.Close()
	res, err := api.ContainerList(ctx, opts)
	if err != nil {
		return false
	}
	var buf bytes.Buffer
	fc := formatter.Context{
		Output: &buf,
		Format: formatter.NewContainerFormat(format, quiet, opts.Size),
		Trunc:  !noTrunc,
	}
	if err := formatter.ContainerWrite(fc, res.Items); err != nil {
		return false
	}
	// Once written, the command is done: docker, too, exits 0 whatever
	// writing its output gave.
	_, _ = buf.WriteTo(out)
	return true
}
