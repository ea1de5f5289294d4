// Copyright otelcol-warden authors
// SPDX-License-Identifier: Apache-2.0

package tailpolicy // import "github.com/otelcol-warden/otelcol-warden/processor/tailpolicy"

import (
	"math/bits"
	"regexp"
	"regexp/syntax"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// userAgentMatcher says whether a user agent matches any of
// synthetic.user_agent_patterns, with the verdict regexp.MatchString would give.
//
// It runs on every span with a user agent, which is nearly every HTTP server
// span, so patterns that are literals or alternations of literals (optionally
// case-insensitive as a whole, like the default `(?i)synthetic|pingdom|...`)
// are not run through regexp: Go's engine backtracks such an unanchored
// case-insensitive alternation at every position (75% of the CPU of a
// collector under load, issue 10). Their literals go into two literal sets
// searched in one pass over the input, one exact and one ASCII case-folded.
// Hand-written because no library in our module graph does that search on a
// string without copying it (github.com/coregx/ahocorasick v0.3.1, the one
// Aho-Corasick module served, is case-sensitive on []byte); for a handful of
// short literals a first-byte table is all the automaton needed. Any other
// pattern (classes, anchors, repetition) is matched with regexp.
type userAgentMatcher struct {
	exact  literalSet
	folded literalSet
	// foldedRegexps are the case-insensitive literal patterns as compiled
	// regexps, used only for a user agent with non-ASCII bytes: (?i) follows
	// Unicode folding there (`ſ` matches `s`, the Kelvin sign `k`).
	foldedRegexps []*regexp.Regexp
	// regexps are the patterns that are not literal alternations.
	regexps []*regexp.Regexp
}

// maxPatternLiterals bounds the literals one pattern may expand to before it
// is left to regexp; literalSet indexes at most 64 literals.
const maxPatternLiterals = 64

func newUserAgentMatcher(patterns []string) (*userAgentMatcher, error) {
	m := &userAgentMatcher{}
	for _, p := range patterns {
		re, err := regexp.Compile(p)
		if err != nil {
			return nil, err
		}
		lits, folded, ok := patternLiterals(p)
		set := &m.exact
		if folded {
			set = &m.folded
		}
		if !ok || len(set.literals)+len(lits) > maxPatternLiterals {
			m.regexps = append(m.regexps, re)
			continue
		}
		set.add(lits, folded)
		if folded {
			m.foldedRegexps = append(m.foldedRegexps, re)
		}
	}
	return m, nil
}

func (m *userAgentMatcher) empty() bool {
	return len(m.exact.literals) == 0 && len(m.folded.literals) == 0 && len(m.regexps) == 0
}

func (m *userAgentMatcher) match(ua string) bool {
	if m.exact.contains(ua) {
		return true
	}
	if len(m.folded.literals) > 0 {
		if isASCII(ua) {
			if m.folded.contains(ua) {
				return true
			}
		} else {
			for _, re := range m.foldedRegexps {
				if re.MatchString(ua) {
					return true
				}
			}
		}
	}
	for _, re := range m.regexps {
		if re.MatchString(ua) {
			return true
		}
	}
	return false
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// literalSet finds whether any of its literals occurs in a string: one pass
// over the string, a table from (lower-cased) byte to the literals that start
// with it, a comparison only where one does.
type literalSet struct {
	literals []string // lower-cased when folded
	fold     bool
	any      bool // an empty literal: every string matches
	first    [256]uint64
}

func (s *literalSet) add(lits []string, fold bool) {
	s.fold = fold
	for _, l := range lits {
		if l == "" {
			s.any = true
			continue
		}
		if fold {
			l = strings.ToLower(l) // ASCII only (patternLiterals)
		}
		s.first[l[0]] |= 1 << len(s.literals)
		s.literals = append(s.literals, l)
	}
}

func (s *literalSet) contains(str string) bool {
	if s.any {
		return true
	}
	if len(s.literals) == 0 {
		return false
	}
	for i := 0; i < len(str); i++ {
		c := str[i]
		if s.fold {
			c = lowerASCII(c)
		}
		for cand := s.first[c]; cand != 0; cand &= cand - 1 {
			lit := s.literals[bits.TrailingZeros64(cand)]
			if len(str)-i < len(lit) {
				continue
			}
			if s.fold {
				if equalLowerASCII(str[i:i+len(lit)], lit) {
					return true
				}
			} else if str[i:i+len(lit)] == lit {
				return true
			}
		}
	}
	return false
}

func lowerASCII(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + ('a' - 'A')
	}
	return c
}

// equalLowerASCII: s equals the lower-case lit ignoring ASCII case.
func equalLowerASCII(s, lit string) bool {
	for i := 0; i < len(lit); i++ {
		if lowerASCII(s[i]) != lit[i] {
			return false
		}
	}
	return true
}

// patternLiterals returns the literals a pattern is an alternation of, and
// whether it is case-insensitive, or ok=false when it is anything else (or
// mixes case-sensitive and case-insensitive letters, or folds non-ASCII
// letters). Matching "any literal is a substring" then gives exactly the
// verdict of the unanchored regexp.
func patternLiterals(pattern string) (lits []string, folded, ok bool) {
	re, err := syntax.Parse(pattern, syntax.Perl)
	if err != nil {
		return nil, false, false
	}
	var mode caseMode
	lits, ok = expandLiterals(re.Simplify(), &mode)
	if !ok {
		return nil, false, false
	}
	for _, l := range lits {
		if strings.ContainsRune(l, utf8.RuneError) {
			// regexp reads invalid UTF-8 in the input as U+FFFD; Contains does not.
			return nil, false, false
		}
	}
	return lits, mode == caseFolded, true
}

// caseMode is how the letters of a pattern's literals compare; a pattern
// whose literals have no letters is neutral and matches exactly.
type caseMode int

const (
	caseNeutral caseMode = iota
	caseExact
	caseFolded
)

func (m *caseMode) join(other caseMode) bool {
	switch {
	case other == caseNeutral || other == *m:
	case *m == caseNeutral:
		*m = other
	default:
		return false
	}
	return true
}

// expandLiterals expands a literal-only expression into its strings.
func expandLiterals(re *syntax.Regexp, mode *caseMode) ([]string, bool) {
	switch re.Op {
	case syntax.OpEmptyMatch:
		return []string{""}, true
	case syntax.OpLiteral:
		return literalOf(re, mode)
	case syntax.OpCharClass:
		return classLiterals(re, mode)
	case syntax.OpCapture:
		return expandLiterals(re.Sub[0], mode)
	case syntax.OpAlternate:
		var out []string
		for _, sub := range re.Sub {
			l, ok := expandLiterals(sub, mode)
			if !ok || len(out)+len(l) > maxPatternLiterals {
				return nil, false
			}
			out = append(out, l...)
		}
		return out, true
	case syntax.OpConcat:
		out := []string{""}
		for _, sub := range re.Sub {
			l, ok := expandLiterals(sub, mode)
			if !ok || len(out)*len(l) > maxPatternLiterals {
				return nil, false
			}
			next := make([]string, 0, len(out)*len(l))
			for _, a := range out {
				for _, b := range l {
					next = append(next, a+b)
				}
			}
			out = next
		}
		return out, true
	}
	return nil, false
}

func literalOf(re *syntax.Regexp, mode *caseMode) ([]string, bool) {
	lit := string(re.Rune)
	m := caseNeutral
	if hasCase(re.Rune) {
		m = caseExact
		if re.Flags&syntax.FoldCase != 0 {
			if !isASCII(lit) {
				return nil, false
			}
			m = caseFolded
		}
	}
	return []string{lit}, mode.join(m)
}

// classLiterals expands a small character class: the class the parser makes
// of one case-insensitive ASCII letter (as in a factored
// `(?i)s(?:ynthetic|ite24x7)`) is that letter folded; any other class of at
// most 8 runes is its runes, matched exactly.
func classLiterals(re *syntax.Regexp, mode *caseMode) ([]string, bool) {
	var runes []rune
	for i := 0; i+1 < len(re.Rune); i += 2 {
		for r := re.Rune[i]; r <= re.Rune[i+1]; r++ {
			if len(runes) == 8 {
				return nil, false
			}
			runes = append(runes, r)
		}
	}
	if len(runes) == 0 {
		return nil, false
	}
	if c := rune(lowerASCII(byte(runes[0]))); runes[0] < utf8.RuneSelf && 'a' <= c && c <= 'z' {
		orbit := []rune{c}
		for f := unicode.SimpleFold(c); f != c; f = unicode.SimpleFold(f) {
			orbit = append(orbit, f)
		}
		slices.Sort(orbit)
		if slices.Equal(orbit, runes) {
			return []string{string(c)}, mode.join(caseFolded)
		}
	}
	m := caseNeutral
	if hasCase(runes) {
		m = caseExact
	}
	out := make([]string, len(runes))
	for i, r := range runes {
		out[i] = string(r)
	}
	return out, mode.join(m)
}

// hasCase: some rune has another case (so FoldCase changes what it matches).
func hasCase(rs []rune) bool {
	for _, r := range rs {
		if unicode.SimpleFold(r) != r {
			return true
		}
	}
	return false
}
