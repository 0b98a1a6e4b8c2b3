package build

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/shell"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
)

// runCommand parses a one-stage Dockerfile and returns its only RUN.
func runCommand(t *testing.T, df string) *instructions.RunCommand {
	t.Helper()
	stages, _, err := parseDockerfile([]byte("FROM busybox\n" + df))
	if err != nil {
		t.Fatal(err)
	}
	return stages[0].Commands[0].(*instructions.RunCommand)
}

func TestRunArgvHeredoc(t *testing.T) {
	bash := dockerspec.DockerOCIImageConfig{}
	bash.Shell = []string{"/bin/bash", "-c"}
	for _, tc := range []struct {
		name, df string
		cfg      dockerspec.DockerOCIImageConfig
		argv     []string
		script   *inlineScript
	}{
		{name: "plain", df: "RUN echo hi", argv: []string{"/bin/sh", "-c", "echo hi"}},
		{name: "exec form", df: `RUN ["echo", "hi"]`, argv: []string{"echo", "hi"}},
		{
			name: "one heredoc runs as the command",
			df:   "RUN <<EOF\necho a\necho b\nEOF",
			argv: []string{"/bin/sh", "-c", "echo a\necho b\n"},
		},
		{
			name: "in the stage's SHELL",
			df:   "RUN <<EOF\necho a\nEOF", cfg: bash,
			argv: []string{"/bin/bash", "-c", "echo a\n"},
		},
		{
			name: "chomped",
			df:   "RUN <<-EOF\n\techo a\n\tEOF",
			argv: []string{"/bin/sh", "-c", "echo a\n"},
		},
		{
			name:   "shebang runs as a script",
			df:     "RUN <<SCRIPT\n#!/usr/bin/env python3\nprint(1)\nSCRIPT",
			argv:   []string{"/bin/sh", "-c", "/dev/pipes/SCRIPT"},
			script: &inlineScript{name: "SCRIPT", data: "#!/usr/bin/env python3\nprint(1)\n"},
		},
		{
			name: "heredoc to a command goes to the shell",
			df:   "RUN <<EOF bash\necho a\nEOF",
			argv: []string{"/bin/sh", "-c", "<<EOF bash\necho a\nEOF"},
		},
		{
			name: "several heredocs",
			df:   "RUN cat <<A > /a && cat <<B > /b\none\nA\ntwo\nB",
			argv: []string{"/bin/sh", "-c", "cat <<A > /a && cat <<B > /b\none\nA\ntwo\nB"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			argv, script, err := runArgv(&tc.cfg, runCommand(t, tc.df))
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(argv, tc.argv) {
				t.Errorf("argv %q, want %q", argv, tc.argv)
			}
			if (script == nil) != (tc.script == nil) || script != nil && *script != *tc.script {
				t.Errorf("script %+v, want %+v", script, tc.script)
			}
		})
	}
}

func TestRunArgvScriptName(t *testing.T) {
	_, _, err := runArgv(&dockerspec.DockerOCIImageConfig{}, runCommand(t, "RUN <<../x\n#!/bin/sh\n../x"))
	if err == nil || !strings.Contains(err.Error(), "invalid heredoc name") {
		t.Fatalf("err = %v", err)
	}
}

func TestParseTrigger(t *testing.T) {
	for expr, want := range map[string]string{
		"RUN echo hi":            "",
		"COPY a /b":              "",
		"ONBUILD RUN echo hi":    "Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed",
		"FROM busybox":           "FROM isn't allowed as an ONBUILD trigger",
		"maintainer me":          "MAINTAINER isn't allowed as an ONBUILD trigger",
		"BOGUS x":                "unknown instruction: BOGUS",
		"RUN a\nRUN b":           "onbuild trigger should be a single expression",
		"":                       "file with no instructions",
		"COPY only-one-arg-here": "COPY requires at least two arguments",
	} {
		c, err := parseTrigger(expr)
		switch {
		case want == "" && err != nil:
			t.Errorf("%q: %v", expr, err)
		case want == "" && c == nil:
			t.Errorf("%q: no command", expr)
		case want != "" && (err == nil || !strings.Contains(err.Error(), want)):
			t.Errorf("%q: error %v, want %q", expr, err, want)
		}
	}
}

func TestProxyArgs(t *testing.T) {
	s := func(v string) *string { return &v }
	buildArgs := map[string]*string{
		"HTTP_PROXY": s("http://p:3128"), "https_proxy": s("http://q"), "NO_PROXY": s("declared"),
		"ALL_PROXY": s("in-env"), "ftp_proxy": nil, "OTHER": s("x"),
	}
	st := &stageState{args: map[string]string{"NO_PROXY": "declared", "A": "1"}, argKeys: []string{"NO_PROXY", "A"}}
	st.cfg.Env = []string{"ALL_PROXY=env", "A=from-env"}
	// Undeclared proxies, not set by ENV, given a value: environment only.
	if got := proxyEnv(st, buildArgs); !slices.Equal(got, []string{"HTTP_PROXY=http://p:3128", "https_proxy=http://q"}) {
		t.Errorf("proxyEnv: %q", got)
	}
	// Declared ones are build args like any other: in the history too.
	if got := declaredArgEnv(st); !slices.Equal(got, []string{"NO_PROXY=declared"}) {
		t.Errorf("declaredArgEnv: %q", got)
	}
	d := &declaredArgs{}
	d.add("NO_PROXY")
	if got := d.unused(buildArgs); !slices.Equal(got, []string{"OTHER"}) {
		t.Errorf("unused: %q", got)
	}
}

func TestStagePlan(t *testing.T) {
	p, err := parse([]byte(`FROM busybox AS a
RUN a
FROM busybox AS b
RUN b
RUN b2
FROM busybox AS unused
FROM a AS c
COPY --from=b /x /x
COPY --from=0 /y /y
FROM busybox AS d
COPY --from=c /z /z
`))
	if err != nil {
		t.Fatal(err)
	}
	r := &run{stages: p.stages, metaArgs: p.metaArgs}
	plan := r.plan(4)
	if !slices.Equal(plan.order, []int{0, 1, 3, 4}) {
		t.Errorf("order %v", plan.order)
	}
	for i, want := range map[int][]int{0: nil, 1: nil, 3: {0, 1}, 4: {3}} {
		if !slices.Equal(plan.deps[i], want) {
			t.Errorf("deps of %d: %v, want %v", i, plan.deps[i], want)
		}
	}
	// Steps are numbered as in a serial build of the needed stages.
	for i, want := range map[int]int{0: 1, 1: 3, 3: 6, 4: 9} {
		if plan.first[i] != want {
			t.Errorf("first step of %d: %d, want %d", i, plan.first[i], want)
		}
	}
	if plan.steps != 10 {
		t.Errorf("steps %d", plan.steps)
	}
}

func TestOrderedOutput(t *testing.T) {
	var out bytes.Buffer
	o := newOrderedOutput(&out, 3)
	w0, w1, w2 := o.writer(0), o.writer(1), o.writer(2)
	w2.Write([]byte("2a "))
	w0.Write([]byte("0a "))
	w1.Write([]byte("1a "))
	o.finish(2, false)
	if out.String() != "0a " {
		t.Fatalf("before stage 0 ends: %q", out.String())
	}
	o.finish(0, false)
	w1.Write([]byte("1b "))
	o.finish(1, false)
	if want := "0a 1a 1b 2a "; out.String() != want {
		t.Fatalf("%q, want %q", out.String(), want)
	}

	// A failed stage's output goes out at once.
	out.Reset()
	o = newOrderedOutput(&out, 2)
	o.writer(1).Write([]byte("failing "))
	o.finish(1, true)
	if out.String() != "failing " {
		t.Fatalf("failed stage: %q", out.String())
	}
}

// TestOrderedOutputHeldBounded: the output of a stage held back while an
// earlier one is shown is clipped, as BuildKit clips a step's log, so a
// stage printing without end cannot take the daemon's memory.
func TestOrderedOutputHeldBounded(t *testing.T) {
	var out bytes.Buffer
	o := newOrderedOutput(&out, 2)
	line := bytes.Repeat([]byte("y\n"), 512)
	for range 10 << 10 { // 10 MiB
		if n, err := o.writer(1).Write(line); n != len(line) || err != nil {
			t.Fatalf("write: %d %v", n, err)
		}
	}
	o.finish(0, false)
	if out.Len() > 2<<20+100 || !strings.HasSuffix(out.String(), "\n[output clipped, log limit 2MiB reached]\n") {
		t.Errorf("%d bytes held, ending %q", out.Len(), out.String()[max(0, out.Len()-60):])
	}
	// The stage shown streams, whatever its size.
	o.writer(1).Write(line)
	if !strings.HasSuffix(out.String(), "reached]\n"+string(line)) {
		t.Error("the stage shown does not stream")
	}
}

func TestParseErrorWording(t *testing.T) {
	for df, want := range map[string]string{
		"FROM busybox\nBOGUS x\n":             "Dockerfile parse error line 2: unknown instruction: BOGUS",
		"FROM busybox\n\nrunn x\n":            "Dockerfile parse error line 3: unknown instruction: RUNN",
		"FROM busybox\nONBUILD FROM x\n":      "Dockerfile parse error line 2: FROM isn't allowed as an ONBUILD trigger",
		"FROM busybox\nCOPY x\n":              "Dockerfile parse error line 2: COPY requires at least two arguments",
		"FROM busybox\nRUN <<EOF\necho\n":     "unterminated heredoc",
		"# escape=`\nFROM busybox\nBOGUS x\n": "Dockerfile parse error line 3: unknown instruction: BOGUS",
	} {
		_, err := parse([]byte(df))
		if err == nil || !strings.HasPrefix(err.Error(), want) && !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want %q", df, err, want)
		}
	}
	if _, err := parse([]byte("FROM busybox\nBOGUS x\n")); err.Error() != "Dockerfile parse error line 2: unknown instruction: BOGUS" {
		t.Errorf("unknown instruction: %q", err)
	}
}

func TestParseDirectives(t *testing.T) {
	p, err := parse([]byte("# syntax=docker/dockerfile:1\n# escape=`\nFROM busybox\nRUN echo a `\n  b\nENV P=C:\\dir\n"))
	if err != nil {
		t.Fatal(err)
	}
	if p.escape != '`' {
		t.Errorf("escape %q", p.escape)
	}
	rc := p.stages[0].Commands[0].(*instructions.RunCommand)
	if got := strings.Join(rc.CmdLine, " "); got != "echo a   b" {
		t.Errorf("continued RUN: %q", got)
	}
	r := &run{escape: p.escape}
	st := &stageState{args: map[string]string{}}
	env := p.stages[0].Commands[1]
	if err := r.expand(st, env); err != nil {
		t.Fatal(err)
	}
	if got := env.(*instructions.EnvCommand).Env[0].Value; got != `C:\dir` {
		t.Errorf("ENV with escape=`: %q", got)
	}
}

func FuzzParseDockerfile(f *testing.F) {
	for _, seed := range []string{
		"FROM busybox\nRUN echo hi\n",
		"# escape=`\nFROM busybox AS a\nRUN echo `\n  b\nFROM a\nCOPY --from=a /x /y\n",
		"FROM busybox\nRUN <<EOF\necho\nEOF\nCOPY <<A <<B /dst/\na\nA\nb\nB\n",
		"ARG X=1\nFROM ${X}\nONBUILD RUN x\nHEALTHCHECK CMD true\n",
		"FROM busybox\nRUN <<-EOF bash\n\tcat\n\tEOF\n",
		"FROM\n",
		"\\\n",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, df []byte) {
		p, err := parse(df)
		if err != nil {
			return
		}
		// What parses must plan, expand and assemble without panicking
		// too, and no expanded word may pass its bound.
		r := &run{stages: p.stages, metaArgs: p.metaArgs, escape: p.escape}
		if err := r.resolveMetaArgs(); err != nil {
			return
		}
		r.plan(len(p.stages) - 1)
		for _, s := range p.stages {
			st := &stageState{args: map[string]string{}}
			for _, c := range s.Commands {
				if rc, ok := c.(*instructions.RunCommand); ok {
					_, _, _ = runArgv(&st.cfg, rc)
				}
				if r.expand(st, c) != nil {
					continue
				}
				if _, err := applyConfig(&st.cfg, c); err != nil {
					continue
				}
				for _, kv := range st.cfg.Env {
					if len(kv) > 2*maxWordSize+1 {
						t.Fatalf("ENV of %d bytes", len(kv))
					}
				}
			}
		}
	})
}

// FuzzExpandWord: buildkit's lexer under the builder's bounds never
// panics and never returns more than the bound.
func FuzzExpandWord(f *testing.F) {
	for _, seed := range [][2]string{
		{"$A$B", "x"},
		{"${A:-$B}${B:+word}", "x"},
		{"${A//x/$B}", "xxxxxxxx"},
		{"${A///$A}", "abcdef"},
		{"${A%%*x}${A#?}", "axbx"},
		{"'$A' \\$B \"$A\"", "q"},
		{"${A/", "x"},
		{"${@/x/y}${1/x/y}${é/x/y}", "x"},
	} {
		f.Add(seed[0], seed[1])
	}
	const limit = 4 << 10
	f.Fuzz(func(t *testing.T, word, value string) {
		x := newWordExpander(shell.NewLex('\\'), []string{"A=" + value, "B=" + value + value}, limit)
		out, err := x.expand(word)
		if err == nil && len(out) > limit {
			t.Fatalf("expanded %q to %d bytes", word, len(out))
		}
	})
}
