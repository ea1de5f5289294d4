package piiscrub

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/metric/metricdata/metricdatatest"

	"github.com/otelcol-warden/otelcol-warden/processor/piiscrub/internal/metadatatest"
)

func newTelemetryProcessor(t *testing.T, cfg *Config) (*scrubProcessor, *componenttest.Telemetry) {
	tel := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tel.Shutdown(context.Background())) })
	p, err := newScrubProcessor(cfg, metadatatest.NewSettings(tel))
	require.NoError(t, err)
	return p, tel
}

func oneLog(body func(pcommon.Value)) plog.Logs {
	ld := plog.NewLogs()
	lr := ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords().AppendEmpty()
	lr.SetTimestamp(pcommonTS(time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)))
	body(lr.Body())
	return ld
}

func TestFailClosedDropsUnprocessableRecords(t *testing.T) {
	deep := func(v pcommon.Value) {
		m := v.SetEmptyMap()
		for i := 0; i < 100; i++ {
			m = m.PutEmptyMap("level")
		}
		m.PutStr("email", "jane@example.com")
	}
	huge := func(v pcommon.Value) { v.SetStr(strings.Repeat("x", 2<<20) + " jane@example.com") }
	for name, tc := range map[string]struct {
		body   func(pcommon.Value)
		reason string
	}{"too deep": {deep, "too_deep"}, "oversize": {huge, "oversize_value"}} {
		t.Run(name, func(t *testing.T) {
			p, tel := newTelemetryProcessor(t, testConfig(t, func(c *Config) { c.Limits.MaxValueBytes = 1 << 20 }))
			_, err := p.processLogs(context.Background(), oneLog(tc.body))
			assert.ErrorIs(t, err, errSkip(), "the only record was dropped")
			metadatatest.AssertEqualProcessorPiiScrubRecordsDropped(t, tel, []metricdata.DataPoint[int64]{{
				Value: 1, Attributes: attribute.NewSet(attribute.String("signal", "logs"), attribute.String("reason", tc.reason)),
			}}, metricdatatest.IgnoreTimestamp())

			// fail_closed: false exports the record, counted as an error.
			p2, tel2 := newTelemetryProcessor(t, testConfig(t, func(c *Config) { c.FailClosed = false; c.Limits.MaxValueBytes = 1 << 20 }))
			ld, err := p2.processLogs(context.Background(), oneLog(tc.body))
			require.NoError(t, err)
			assert.Equal(t, 1, ld.LogRecordCount())
			metadatatest.AssertEqualProcessorPiiScrubErrors(t, tel2, []metricdata.DataPoint[int64]{{
				Value: 1, Attributes: attribute.NewSet(attribute.String("signal", "logs"), attribute.String("reason", tc.reason)),
			}}, metricdatatest.IgnoreTimestamp())
		})
	}
}

func TestFailClosedKeepsOtherRecords(t *testing.T) {
	p := newTestProcessor(t, testConfig(t, func(c *Config) { c.Limits.MaxValueBytes = 64 }))
	td := ptrace.NewTraces()
	spans := td.ResourceSpans().AppendEmpty().ScopeSpans().AppendEmpty().Spans()
	spans.AppendEmpty().SetName("ok jane@example.com")
	spans.AppendEmpty().SetName(strings.Repeat("y", 100))
	out, err := p.processTraces(context.Background(), td)
	require.NoError(t, err)
	require.Equal(t, 1, out.SpanCount())
	assert.Equal(t, "ok {email}", out.ResourceSpans().At(0).ScopeSpans().At(0).Spans().At(0).Name())
}

func TestBadInputNoPanic(t *testing.T) {
	p := newTestProcessor(t, testConfig(t))
	inputs := []string{
		"", "\xff\xfe\xfd@\xff.com", "jane@example.com\xff", strings.Repeat("9", 1<<20), strings.Repeat("1.", 1<<18),
		strings.Repeat("a@", 1<<18), strings.Repeat(":", 1<<18), strings.Repeat("eyJ.", 1<<16), strings.Repeat("+1 ", 1<<17),
		strings.Repeat("https://", 1<<16), strings.Repeat("/?%", 1<<16), strings.Repeat("(1", 1<<17), strings.Repeat("Bearer ", 1<<16),
		strings.Repeat("4111 ", 1<<17), strings.Repeat("DE89 ", 1<<17),
	}
	for _, in := range inputs {
		_ = scrubString(p, in)
	}
}

func TestInvalidUTF8IsCounted(t *testing.T) {
	p, tel := newTelemetryProcessor(t, testConfig(t))
	ld, err := p.processLogs(context.Background(), oneLog(func(v pcommon.Value) { v.SetStr("mail \xff jane@example.com") }))
	require.NoError(t, err)
	assert.Contains(t, ld.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(0).Body().Str(), "mail \xff pii:email:")
	metadatatest.AssertEqualProcessorPiiScrubErrors(t, tel, []metricdata.DataPoint[int64]{{
		Value: 1, Attributes: attribute.NewSet(attribute.String("signal", "logs"), attribute.String("reason", "invalid_utf8")),
	}}, metricdatatest.IgnoreTimestamp())
}

// Linear time is shown by counting work, not by timing it: state.work counts the bytes the scanner passes
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

// pathological returns unit repeated to size bytes.
func pathological(unit string, size int) string {
	return strings.Repeat(unit, size/len(unit)+1)[:size]
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

// BenchmarkPathological: the scanner's speed on each pathological shape, 1 MiB values, in ns/byte (ns/op divided
// by the value size; b.SetBytes gives MB/s too).
func BenchmarkPathological(b *testing.B) {
	p := newTestProcessor(b, testConfig(b))
	for _, unit := range []string{"9", "1 ", "4111 ", "a@", "x@y.", "::", "%2", "/?%", "+1 ", "(12) 1 ", "eyJa.", "Bearer ", "DE89 ", "pii:", "phone 1 "} {
		in := pathological(unit, 1<<20)
		b.Run(fmt.Sprintf("%q", unit), func(b *testing.B) {
			st := p.getState(sigLogs)
			defer p.pool.Put(st)
			st.loc = locLogBody
			b.SetBytes(int64(len(in)))
			b.ReportAllocs()
			for b.Loop() {
				_, _ = st.scrubText(in)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(in)), "ns/byte")
		})
	}
}

func TestTelemetry(t *testing.T) {
	p, tel := newTelemetryProcessor(t, testConfig(t))
	td := ptrace.NewTraces()
	span := td.ResourceSpans().AppendEmpty().ScopeSpans().AppendEmpty().Spans().AppendEmpty()
	span.SetName("GET /u/jane@example.com")
	span.Attributes().PutStr("client.address", "203.0.113.7")
	span.Attributes().PutStr("user.email", "jane@example.com")
	span.Events().AppendEmpty().Attributes().PutStr("exception.message", "for jane@example.com")
	td.ResourceSpans().At(0).ScopeSpans().At(0).Spans().AppendEmpty().SetName("clean")
	_, err := p.processTraces(context.Background(), td)
	require.NoError(t, err)
	det := func(ent, act, loc string) metricdata.DataPoint[int64] {
		return metricdata.DataPoint[int64]{Value: 1, Attributes: attribute.NewSet(
			attribute.String("entity", ent), attribute.String("action", act), attribute.String("signal", "traces"), attribute.String("location", loc))}
	}
	metadatatest.AssertEqualProcessorPiiScrubDetections(t, tel, []metricdata.DataPoint[int64]{
		det("email", "redact", "span_name"), det("ip", "hash", "span_attr"), det("key_rule", "delete", "span_attr"), det("email", "hash", "event_attr"),
	}, metricdatatest.IgnoreTimestamp())
	sig := attribute.NewSet(attribute.String("signal", "traces"))
	metadatatest.AssertEqualProcessorPiiScrubRecordsProcessed(t, tel, []metricdata.DataPoint[int64]{{Value: 2, Attributes: sig}}, metricdatatest.IgnoreTimestamp())
	metadatatest.AssertEqualProcessorPiiScrubRecordsScrubbed(t, tel, []metricdata.DataPoint[int64]{{Value: 1, Attributes: sig}}, metricdatatest.IgnoreTimestamp())
}
