package piiscrub // import "github.com/otelcol-warden/otelcol-warden/processor/piiscrub"

import (
	"errors"
	"fmt"
	"regexp"
	"regexp/syntax"
	"strings"
)

// customPattern is a compiled user pattern with its literal prefilter.
type customPattern struct {
	re       *regexp.Regexp
	literals []string // every match contains all of these; checked with strings.Contains before the regex runs
}

// compilePattern compiles a user RE2 pattern and refuses the ones that can match the empty string (they would
// match everywhere) or that compile to a program larger than MaxProgramSize.
func compilePattern(expr string) (*customPattern, error) {
	if expr == "" {
		return nil, errors.New("empty pattern")
	}
	parsed, err := syntax.Parse(expr, syntax.Perl)
	if err != nil {
		return nil, fmt.Errorf("invalid RE2 pattern: %w", err)
	}
	simplified := parsed.Simplify()
	prog, err := syntax.Compile(simplified)
	if err != nil {
		return nil, fmt.Errorf("invalid RE2 pattern: %w", err)
	}
	if n := len(prog.Inst); n > MaxProgramSize {
		return nil, fmt.Errorf("pattern too large: %d instructions (limit %d)", n, MaxProgramSize)
	}
	if minLen(simplified) == 0 {
		return nil, errors.New("pattern can match the empty string")
	}
	re, err := regexp.Compile(expr)
	if err != nil {
		return nil, fmt.Errorf("invalid RE2 pattern: %w", err)
	}
	return &customPattern{re: re, literals: requiredLiterals(simplified)}, nil
}

// minLen is the length in bytes of the shortest string the expression can match (a lower bound: a
// character class counts one byte).
func minLen(re *syntax.Regexp) int {
	switch re.Op {
	case syntax.OpLiteral:
		n := 0
		for _, r := range re.Rune {
			n += len(string(r))
		}
		return n
	case syntax.OpCharClass, syntax.OpAnyChar, syntax.OpAnyCharNotNL:
		return 1
	case syntax.OpCapture, syntax.OpPlus:
		return minLen(re.Sub[0])
	case syntax.OpStar, syntax.OpQuest:
		return 0
	case syntax.OpRepeat:
		return re.Min * minLen(re.Sub[0])
	case syntax.OpConcat:
		n := 0
		for _, s := range re.Sub {
			n += minLen(s)
		}
		return n
	case syntax.OpAlternate:
		best := -1
		for _, s := range re.Sub {
			if m := minLen(s); best < 0 || m < best {
				best = m
			}
		}
		if best < 0 {
			return 0
		}
		return best
	default: // empty-width assertions, OpEmptyMatch, OpNoMatch
		return 0
	}
}

// requiredLiterals returns up to four case-sensitive literals of at least three bytes that every match must
// contain (the same idea as OTTL's extract_patterns prefilter). Case-folded literals and alternations give none.
func requiredLiterals(re *syntax.Regexp) []string {
	var out []string
	var walk func(r *syntax.Regexp)
	walk = func(r *syntax.Regexp) {
		if len(out) >= 4 {
			return
		}
		switch r.Op {
		case syntax.OpLiteral:
			if r.Flags&syntax.FoldCase == 0 && len(r.Rune) >= 3 {
				out = append(out, string(r.Rune))
			}
		case syntax.OpCapture:
			walk(r.Sub[0])
		case syntax.OpPlus:
			walk(r.Sub[0])
		case syntax.OpRepeat:
			if r.Min > 0 {
				walk(r.Sub[0])
			}
		case syntax.OpConcat:
			for _, s := range r.Sub {
				walk(s)
			}
		}
	}
	walk(re)
	return out
}

// mayMatch reports whether s passes the literal prefilter.
func (p *customPattern) mayMatch(s string) bool {
	for _, l := range p.literals {
		if !strings.Contains(s, l) {
			return false
		}
	}
	return true
}
