package piiscrub

import (
	"context"
	"testing"

	"github.com/otelcol-warden/otelcol-warden/processor/piiscrub/internal/metadatatest"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/metric/metricdata/metricdatatest"
)

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
