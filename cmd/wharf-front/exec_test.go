package main

import (
	"slices"
	"strings"
	"testing"
)

func TestExecOptions(t *testing.T) {
	env := map[string]string{"HOME": "/root", "EMPTY": ""}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	for _, c := range []struct {
		args    string
		ok      bool
		ref     string
		cmd     string
		env     string
		user    string
		dir     string
		detach  bool
		privile bool
	}{
		{args: "c true", ok: true, ref: "c", cmd: "true"},
		{args: "-e A=1 -eB= --env HOME -e EMPTY -e NOPE -u 1:2 -w /tmp --privileged c sh -c x", ok: true, ref: "c", cmd: "sh -c x",
			env: "A=1 B= HOME=/root EMPTY= NOPE", user: "1:2", dir: "/tmp", privile: true},
		{args: "-d c sleep 9", ok: true, ref: "c", cmd: "sleep 9", detach: true},
		{args: "-i=false -t=0 c true", ok: true, ref: "c", cmd: "true"},
		// wharf-cli's.
		{args: "c"},
		{args: "-i c true"},
		{args: "-t c true"},
		{args: "-it c sh"},
		{args: "-e =x c true"},
		{args: "--env-file f c true"},
		{args: "-h"},
	} {
		ref, opts, detach, ok := execOptions(strings.Fields(c.args), lookup)
		if ok != c.ok {
			t.Errorf("%q: ok = %v, want %v", c.args, ok, c.ok)
			continue
		}
		if !ok {
			continue
		}
		if ref != c.ref || strings.Join(opts.Cmd, " ") != c.cmd || opts.User != c.user || opts.WorkingDir != c.dir ||
			detach != c.detach || opts.Privileged != c.privile || !slices.Equal(opts.Env, strings.Fields(c.env)) ||
			opts.AttachStdout == detach || opts.AttachStderr == detach || opts.AttachStdin || opts.TTY {
			t.Errorf("%q: %q %+v detach=%v", c.args, ref, opts, detach)
		}
	}
}
