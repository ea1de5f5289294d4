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

// pathological returns unit repeated to size bytes.
func pathological(unit string, size int) string {
	return strings.Repeat(unit, size/len(unit)+1)[:size]
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
