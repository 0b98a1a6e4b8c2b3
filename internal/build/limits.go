package build

import (
	"fmt"
	"unicode"
	"unicode/utf8"

	"github.com/moby/buildkit/frontend/dockerfile/shell"

	"github.com/wharf/wharf/internal/errs"
)

// The bounds on what a build takes in and makes, so that no Dockerfile or
// request can take the daemon's memory (a chain of ENV lines doubling a
// variable reaches gigabytes in twenty steps) or leave it images too big
// to load at start-up.
//
// Longer Dockerfile lines are already refused by buildkit's parser, as
// BuildKit does: "dockerfile line greater than max allowed size of 65535".
const (
	// maxFileSize bounds the Dockerfile and .dockerignore: BuildKit's
	// (dockerui.ReadFile's maxFileSize, containerd's 16 MiB
	// defaults.DefaultMaxRecvMsgSize), with its message.
	maxFileSize = 16 << 20

	// maxWordSize bounds a word after variable expansion (an ENV or
	// LABEL value, a path, a user), a build arg and a --label. Neither
	// dockerd nor BuildKit has one: 1 MiB is eight times what Linux lets
	// one argument or environment string be at execve (MAX_ARG_STRLEN,
	// 128 KiB), so no value a container could use is refused.
	maxWordSize = 1 << 20

	// maxExpansionWork bounds what the expansion of a word with pattern
	// replacements may build before its result is checked against
	// maxWordSize (see meteredEnv): BuildKit's 16 MiB again, the most
	// any message between its frontend and daemon may carry.
	maxExpansionWork = 16 << 20

	// maxConfigSize bounds an image config a step commits, history
	// included. Neither dockerd nor BuildKit has one; 4 MiB is the bound
	// on a manifest (docker distribution's, containerd's
	// MaxManifestSize, our registry's), a document fetched and held
	// like a config. Real configs are a few KiB, and the image store
	// keeps every config in memory, so each image a build leaves costs
	// at most this much.
	maxConfigSize = 4 << 20
)

// tooLarge is the error for what passes a limit, in BuildKit's words.
func tooLarge(what string, limit int) error {
	return errs.Invalid("%s exceeds maximum allowed size of %d bytes", what, limit)
}

// checkInputs refuses build args and labels of the request that pass
// maxWordSize.
func checkInputs(o Options) error {
	for k, v := range o.BuildArgs {
		if len(k) > maxWordSize || v != nil && len(*v) > maxWordSize {
			return tooLarge(fmt.Sprintf("build-arg %q", shortText(k)), maxWordSize)
		}
	}
	for k, v := range o.Labels {
		if len(k)+len(v) > maxWordSize {
			return tooLarge(fmt.Sprintf("label %q", shortText(k)), maxWordSize)
		}
	}
	return nil
}

// shortText is s cut to a length an error message can quote.
func shortText(s string) string {
	const most = 64
	if len(s) <= most {
		return s
	}
	cut := most
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "..."
}

// wordExpander expands the variables in Dockerfile words, as buildkit's
// lexer does, into words of at most limit bytes.
type wordExpander struct {
	lex   *shell.Lex
	vars  shell.EnvGetter
	limit int
}

func newWordExpander(lex *shell.Lex, vars []string, limit int) wordExpander {
	return wordExpander{lex: lex, vars: shell.EnvsFromSlice(vars), limit: limit}
}

// expand expands word. The lexer cannot be stopped half way, so what it
// may build is bounded from what it is given: every value it takes is
// metered (see meteredEnv) and, past the bound, it is handed empty values
// and the word is refused.
func (x wordExpander) expand(word string) (string, error) {
	env := &meteredEnv{EnvGetter: x.vars, literal: len(word), replacements: countReplacements(word)}
	// The estimate counts a reference as well as the value replacing it,
	// so it may pass the result by the word's own length.
	env.bound = x.limit + len(word)
	if env.replacements > 0 {
		env.bound = max(env.bound, maxExpansionWork)
	}
	out, _, err := x.lex.ProcessWord(word, env)
	if env.exceeded || len(out) > x.limit {
		return "", tooLarge(fmt.Sprintf("expansion of %q", shortText(word)), x.limit)
	}
	return out, err
}

// meteredEnv counts the bytes of the values the lexer substitutes into
// one word, and stops handing them out once the word could pass bound.
// Without ${name/pattern/replacement} the result is at most the word's
// length plus those bytes. Each replacement can multiply its input by
// its replacement text, itself made of the same word and values, so with
// n of them the result is at most (literal+values+1)^(n+1): a loose
// estimate, hence a looser bound (maxExpansionWork) for such words.
type meteredEnv struct {
	shell.EnvGetter
	literal      int // the word's length
	replacements int // the ${name/...} in the word
	bound        int
	values       int // the bytes of the values substituted so far
	exceeded     bool
}

func (e *meteredEnv) Get(name string) (string, bool) {
	v, ok := e.EnvGetter.Get(name)
	if e.exceeded {
		return "", ok
	}
	e.values += len(v)
	if e.worstCase() > e.bound {
		e.exceeded = true
		return "", ok
	}
	return v, ok
}

// worstCase is the most the word may expand to with the values so far,
// or more than bound once it passes bound.
func (e *meteredEnv) worstCase() int {
	if e.replacements == 0 {
		return e.literal + e.values
	}
	base, n := e.literal+e.values+1, 1
	for range e.replacements + 1 {
		if n > e.bound/base {
			return e.bound + 1
		}
		n *= base
	}
	return n
}

// countReplacements counts the ${name/ in word: the pattern replacements
// of buildkit's lexer. Escaped or quoted ones are counted too, which only
// makes the bound on the word stricter.
func countReplacements(word string) int {
	n := 0
	for i := 0; i+2 < len(word); i++ {
		if word[i] != '$' || word[i+1] != '{' {
			continue
		}
		rest := word[i+2:]
		name := nameLength(rest)
		if name > 0 && name < len(rest) && rest[name] == '/' {
			n++
		}
	}
	return n
}

// nameLength is the length of the variable name s starts with, as the
// lexer reads one: letters, digits and underscores, or one special
// parameter character.
func nameLength(s string) int {
	if s == "" {
		return 0
	}
	if r, size := utf8.DecodeRuneInString(s); isSpecialParam(r) {
		return size
	}
	for i, r := range s {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '_' {
			return i
		}
	}
	return len(s)
}

// isSpecialParam is the lexer's list of the shell's special parameters.
func isSpecialParam(r rune) bool {
	switch r {
	case '@', '*', '#', '?', '-', '$', '!', '0':
		return true
	}
	return false
}
