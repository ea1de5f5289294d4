//go:build piiscrub_work

package piiscrub

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"go.opentelemetry.io/collector/pdata/pcommon"
)

// Linear time is shown by counting work, not by timing it. These tests need the counter that only builds with
// the piiscrub_work tag (work_counted.go): go test -tags piiscrub_work -run LinearWork ./processor/piiscrub/
// (make unit-test runs them). state.work counts the bytes the scanner passes
// over, every candidate it dispatches, the bytes each detector's search and validation looks at (context windows
// at their full size), URL splitting and decoding, user patterns, and every map entry and value walked. A
// super-linear path (a detector re-reading the rest of the string for every candidate, say) makes steps per
// byte grow with the input, which these tests catch at 1 MiB without a clock. BenchmarkPathological reports
// the speed in ns/byte.

// maxStepsPerByte is k in steps <= k*len(input). Measured: clean text ~1; the worst shape is a run of short
// space-separated digit groups ("12 12 12 ...", ~200: every group starts a candidate of up to 8 groups, tried
// at several lengths with context checks), then "1 " (~150) and "4111 " (~95); the rest stay under 50. The
// bound leaves some room for detector changes, while a quadratic path costs thousands of steps per byte at
// 1 MiB; the per-byte comparison between sizes in TestLinearWork is the sharper check.
const maxStepsPerByte = 256

// pathologicalUnits are repeated to build worst-case values: long digit runs, separators between digits,
// floods of '@', ':', '%', '/', '(', '+', JWT and Bearer prefixes, and long almost-matches of each detector.
var pathologicalUnits = []string{
	"9", "1.", "1 ", "1-", "12 ", "4111 ", "4111-", "4111 1111 ", "123-45-", "1.2.3.", "1.2.3.4 ", "10.1.2.0/24 ",
	"a@", "x@y.", "a@b.", "@", "@a.", ".", " ", "-", "- ", " -", "--", "_1", "a.", "a1.",
	":", "::", "a:", "fe80::", "1:2:3:", "::ffff:1.2.3.",
	"%", "%2", "%25", "/?%", "/", "//", "https://", "http://a@", "?token=", "&a=",
	"+", "+1 ", "+1-", "(", "(1", "(12) ", "(12) 1 ", "phone ", "phone 1 ", "ssn 1 ", "tel:+1 (", "x1",
	"eyJ", "eyJ.", "eyJa.", "eyJhbGciOiJIUzI1NiJ9.", "e30.e30.",
	"Bearer ", "bearer x", "Basic ", "Basic dXNlcjpwYXNz",
	"DE89 ", "DE89", "GB82WEST", "de", "pii:", "pii:email:k1:", "pii:email:k1:aaaaaaaaaaaaaaaaaaaaaaaaaa ",
	"version 1.2.3.4 ", "id=4111111111111111 ", "\xff", "é", "\xe2\x82",
}

// textSteps is the work counted for scrubbing s as a log body.
func textSteps(p *scrubProcessor, s string) int64 {
	st := p.getState(sigLogs)
	defer p.pool.Put(st)
	st.loc = locLogBody
	st.setKey("")
	before := st.work.n
	_, _ = st.scrubText(s)
	return st.work.n - before
}

// valueSteps is the work counted for scrubbing v under key (a log attribute).
func valueSteps(p *scrubProcessor, key string, v pcommon.Value) int64 {
	st := p.getState(sigLogs)
	defer p.pool.Put(st)
	st.loc = locLogAttr
	before := st.work.n
	m := pcommon.NewMap()
	v.CopyTo(m.PutEmpty(key))
	st.scrubAttrs(m, 0)
	return st.work.n - before
}

func assertLinear(t *testing.T, steps int64, size int, what string) {
	t.Helper()
	assert.LessOrEqualf(t, steps, int64(maxStepsPerByte*size), "%s: %d steps for %d bytes (%.1f per byte)", what, steps, size, float64(steps)/float64(size))
}

// TestLinearWork: for every pathological shape, the counted work is at most maxStepsPerByte per byte as a large
// log body (1 MiB; 256 KiB under -race, which is ~10x slower), and per byte it does not grow from 16 KiB to the
// large size (a super-linear path would). At 16 KiB the same shapes also go through a URL attribute and a
// phone-like key (context for every number), with a user pattern.
func TestLinearWork(t *testing.T) {
	large := 1 << 20
	if raceEnabled {
		large = 256 << 10
	}
	const small = 16 << 10
	p := newTestProcessor(t, testConfig(t))
	clean := pathological("the quick brown fox ", large)
	assert.GreaterOrEqual(t, textSteps(p, clean), int64(len(clean)), "the counter counts")
	for _, unit := range pathologicalUnits {
		ss, sb := textSteps(p, pathological(unit, small)), textSteps(p, pathological(unit, large))
		assertLinear(t, sb, large, fmt.Sprintf("body %q x %d", unit, large))
		perSmall, perBig := float64(ss)/float64(small), float64(sb)/float64(large)
		assert.LessOrEqualf(t, perBig, perSmall*1.01+0.01, "unit %q: %.2f steps per byte at %d bytes vs %.2f at %d", unit, perBig, large, perSmall, small)
	}
	pp := newTestProcessor(t, testConfig(t, func(c *Config) {
		c.Patterns = []PatternConfig{{Name: "digits", Regex: `[0-9]{3}`, Action: ActionRedact}}
	}))
	for _, unit := range pathologicalUnits {
		in := pathological(unit, small)
		assertLinear(t, textSteps(pp, in), len(in), fmt.Sprintf("body with a pattern %q", unit))
		for _, key := range []string{"url.full", "user.phone"} {
			assertLinear(t, valueSteps(pp, key, pcommon.NewValueStr(in)), len(in)+len(key), fmt.Sprintf("%s %q", key, unit))
		}
	}
}

// TestLinearWorkNested: deeply nested bodies (maps and lists down to the depth limit, and far beyond it) cost a
// bounded amount of work per node and per byte.
func TestLinearWorkNested(t *testing.T) {
	p := newTestProcessor(t, testConfig(t))
	for _, shape := range []struct {
		name  string
		depth int
		fan   int
	}{{"deep maps", 63, 1}, {"deep lists", 63, 1}, {"wide", 3, 40}, {"beyond the limit", 20000, 1}} {
		t.Run(shape.name, func(t *testing.T) {
			v := pcommon.NewValueEmpty()
			nodes, size := buildNested(v, shape.depth, shape.fan, shape.name == "deep lists")
			steps := valueSteps(p, "body", v)
			assertLinear(t, steps, size+nodes, fmt.Sprintf("%s: %d nodes, %d bytes", shape.name, nodes, size))
		})
	}
}

// buildNested fills v with a tree of the given depth and fan-out whose leaves hold pathological strings, and
// returns its node count and text size.
func buildNested(v pcommon.Value, depth, fan int, lists bool) (nodes, size int) {
	leaf := pathological("4111 1111 a@b. +1 (12) ", 256)
	var fill func(v pcommon.Value, d int)
	fill = func(v pcommon.Value, d int) {
		nodes++
		if d == depth {
			v.SetStr(leaf)
			size += len(leaf)
			return
		}
		if lists {
			sl := v.SetEmptySlice()
			for i := 0; i < fan; i++ {
				fill(sl.AppendEmpty(), d+1)
			}
			return
		}
		m := v.SetEmptyMap()
		for i := 0; i < fan; i++ {
			k := fmt.Sprintf("k%d.phone", i)
			size += len(k)
			fill(m.PutEmpty(k), d+1)
		}
	}
	fill(v, 0)
	return nodes, size
}
