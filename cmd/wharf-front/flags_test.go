package main

import (
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/spf13/pflag"
)

// pflagParse parses args with pflag itself, as docker's command would:
// every value each flag was given, in order, and the arguments.
func pflagParse(args []string, specs []flagSpec, interspersed bool) ([]flagValue, []string, error) {
	fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
	fs.SetInterspersed(interspersed)
	fs.Usage = func() {}
	var got []flagValue
	for _, s := range specs {
		short := ""
		if s.short != 0 {
			short = string(s.short)
		}
		v := &recorder{name: s.long, isBool: s.isBool, got: &got}
		f := fs.VarPF(v, s.long, short, "")
		if s.isBool {
			f.NoOptDefVal = "true"
		}
	}
	err := fs.Parse(args)
	return got, fs.Args(), err
}

// recorder is a pflag.Value that records each value set, bool values the
// way pflag's bool flags parse them.
type recorder struct {
	name   string
	isBool bool
	got    *[]flagValue
}

func (r *recorder) Set(v string) error {
	if r.isBool {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return err
		}
		v = strconv.FormatBool(b)
	}
	*r.got = append(*r.got, flagValue{r.name, v})
	return nil
}
func (r *recorder) String() string { return "" }
func (r *recorder) Type() string {
	if r.isBool {
		return "bool"
	}
	return "string"
}

// checkLikePflag fails when parseFlags accepts args but pflag parses them
// otherwise (or refuses them).
func checkLikePflag(t *testing.T, args []string, specs []flagSpec, interspersed bool) bool {
	t.Helper()
	flags, positional, ok := parseFlags(args, specs, interspersed)
	if !ok {
		return false
	}
	want, wantArgs, err := pflagParse(args, specs, interspersed)
	if err != nil {
		t.Fatalf("parseFlags(%q) accepted what pflag refuses: %v", args, err)
	}
	if !slices.Equal(flags, want) || !slices.Equal(positional, wantArgs) {
		t.Fatalf("parseFlags(%q) = %v %q, pflag: %v %q", args, flags, positional, want, wantArgs)
	}
	return true
}

func TestParseFlagsLikePflag(t *testing.T) {
	for _, c := range []struct {
		args string
		ok   bool
	}{
		{"", true},
		{"-a", true},
		{"-aq", true},
		{"-qas", true},
		{"--all", true},
		{"--all=false", true},
		{"--all=0", true},
		{"--all=T", true},
		{"-a=false", true},
		{"-n 3", true},
		{"-n3", true},
		{"-n=3", true},
		{"-an3", true},
		{"-aqn 3", true},
		{"--last 3", true},
		{"--last=-1", true},
		{"-n -1", true},
		{"--format {{.ID}}", true},
		{"--format={{.ID}}", true},
		{"--format --all", true}, // the value is "--all"
		{"--format=", true},
		{"-f status=exited", true},
		{"-fstatus=exited", true},
		{"-f=status=exited", true},
		{"--filter name=x --filter name=y", true},
		{"-af name=x", true},
		{"--no-trunc -q", true},
		{"x", true}, // an argument: the caller decides
		{"- x", true},
		{"x -a y", true},
		// Left to wharf-cli.
		{"--", false},
		{"-- -a", false},
		{"-h", false},
		{"--help", false},
		{"--al", false},
		{"--ALL", false},
		{"--all=maybe", false},
		{"-a=", false},
		{"-a=x", false},
		{"-n", false},
		{"--last", false},
		{"--format", false},
		{"-f", false},
		{"-x", false},
		{"-ax", false},
		{"--=x", false},
		{"---all", false},
		{"-D", false},
		{"--debug", false},
	} {
		args := strings.Fields(c.args)
		if got := checkLikePflag(t, args, psFlags, true); got != c.ok {
			t.Errorf("parseFlags(%q) ok = %v, want %v", args, got, c.ok)
		}
	}
}

// FuzzParseFlags checks that whatever parseFlags accepts, pflag parses
// the same way.
func FuzzParseFlags(f *testing.F) {
	for _, s := range []string{"-aq\x00--format\x00{{.ID}}", "-n3\x00-fname=x", "--all=false\x00x", "-f=a=b\x00--last\x00-2", "--type=container\x00-s\x00web", "-e\x00A=1\x00-uroot\x00c\x00sh\x00-c\x00x", "-d=false\x00--privileged\x00-w/\x00c\x00-e\x00x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		args := strings.Split(s, "\x00")
		checkLikePflag(t, args, psFlags, true)
		checkLikePflag(t, args, inspectTypeFlags, true)
		checkLikePflag(t, args, execFlags, false)
	})
}

// TestExecFlagsLikePflag: exec's flags stop at the container, as docker's
// non-interspersed flag set does.
func TestExecFlagsLikePflag(t *testing.T) {
	for _, c := range []struct {
		args string
		ok   bool
	}{
		{"c true", true},
		{"-e A=1 -u 0:0 -w /tmp c sh -c x", true},
		{"-d c sleep 1", true},
		{"-i=false --tty=false c true", true},
		{"c ls -la", true}, // -la is the command's
		{"c -e A=1", true},
		{"- c", true},
		{"-x c true", false},
		{"--env-file f c true", false},
		{"--detach-keys ctrl-x c true", false},
		{"-- c true", false},
		{"-e", false},
	} {
		args := strings.Fields(c.args)
		if got := checkLikePflag(t, args, execFlags, false); got != c.ok {
			t.Errorf("parseFlags(%q) ok = %v, want %v", args, got, c.ok)
		}
	}
}
