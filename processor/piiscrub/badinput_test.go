package piiscrub

import (
	"context"
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
