package main

import (
	"strconv"
	"strings"
)

// flagSpec is one flag of a front command, as docker's pflag set has it.
type flagSpec struct {
	long   string
	short  byte // 0: none
	isBool bool // false: takes a value
}

// flagValue is one occurrence of a flag on the command line.
type flagValue struct {
	name  string // long name
	value string // for a bool flag, "true" or "false"
}

// parseFlags parses args as pflag parses a command's flags (--x, --x=v,
// --x v; -x, -xyz, -xv, -x=v, -x v), for the flags specs, interspersed with
// arguments or, when not interspersed (`exec`), only before the first
// argument. It reports false for anything else (an unknown flag, --, a
// missing value, a bool flag's bad value, -h): wharf-cli's to answer.
func parseFlags(args []string, specs []flagSpec, interspersed bool) (flags []flagValue, positional []string, ok bool) {
	long := func(name string) *flagSpec {
		for i := range specs {
			if specs[i].long == name {
				return &specs[i]
			}
		}
		return nil
	}
	short := func(c byte) *flagSpec {
		for i := range specs {
			if c != 0 && specs[i].short == c {
				return &specs[i]
			}
		}
		return nil
	}
	// set records spec's value v (explicit: given with =, or a value
	// flag's); a bool flag's must parse as pflag's does.
	set := func(spec *flagSpec, v string, explicit bool) bool {
		if spec.isBool {
			if !explicit {
				v = "true"
			}
			b, err := strconv.ParseBool(v)
			if err != nil {
				return false
			}
			v = strconv.FormatBool(b)
		}
		flags = append(flags, flagValue{spec.long, v})
		return true
	}
	for len(args) > 0 {
		a := args[0]
		args = args[1:]
		switch {
		case len(a) < 2 || a[0] != '-':
			positional = append(positional, a)
			if !interspersed {
				return flags, append(positional, args...), true
			}
		case a[1] == '-':
			name, v, hasValue := strings.Cut(a[2:], "=")
			spec := long(name)
			if spec == nil {
				return nil, nil, false // also "--" and "--=x"
			}
			if !spec.isBool && !hasValue {
				if len(args) == 0 {
					return nil, nil, false
				}
				v, args, hasValue = args[0], args[1:], true
			}
			if !set(spec, v, hasValue) {
				return nil, nil, false
			}
		default:
			for s := a[1:]; s != ""; {
				spec := short(s[0])
				switch {
				case spec == nil:
					return nil, nil, false
				case len(s) > 2 && s[1] == '=':
					if !set(spec, s[2:], true) {
						return nil, nil, false
					}
					s = ""
				case spec.isBool:
					set(spec, "", false)
					s = s[1:]
				case len(s) > 1:
					set(spec, s[1:], true)
					s = ""
				case len(args) > 0:
					set(spec, args[0], true)
					args, s = args[1:], ""
				default:
					return nil, nil, false
				}
			}
		}
	}
	return flags, positional, true
}
