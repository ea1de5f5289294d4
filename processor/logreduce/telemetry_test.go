package logreduce

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/metric/metricdata/metricdatatest"

	"github.com/otelcol-warden/otelcol-warden/processor/logreduce/internal/metadatatest"
)

func TestSelfTelemetryCountsRecordsBytesAndSummaries(t *testing.T) {
	tt := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tt.Shutdown(context.Background())) })
	tr := newTestReducerWith(t, metadatatest.NewSettings(tt), func(c *Config) {
		c.KeepFirst = 1
		c.Limits.MaxServicesInTelemetry = 1
	})
	recs := repeat(4, "cart", "miss %d") // 6 bytes each
	recs = append(recs, rec{service: "cart", msg: "boom 1", sev: plog.SeverityNumberError}, rec{service: "late", msg: "hello"})
	tr.consume(t, logsOf(recs...))
	tr.endWindow(t)

	opts := []metricdatatest.Option{metricdatatest.IgnoreTimestamp()}
	svc := func(s string) attribute.Set { return attribute.NewSet(attribute.String("service", s)) }
	passed := func(s, reason string, n int64) metricdata.DataPoint[int64] {
		return metricdata.DataPoint[int64]{Value: n, Attributes: attribute.NewSet(attribute.String("service", s), attribute.String("reason", reason))}
	}
	metadatatest.AssertEqualProcessorLogReduceRecordsReceived(t, tt, []metricdata.DataPoint[int64]{
		{Value: 5, Attributes: svc("cart")}, {Value: 1, Attributes: svc(otherService)},
	}, opts...)
	metadatatest.AssertEqualProcessorLogReduceRecordsPassed(t, tt, []metricdata.DataPoint[int64]{
		passed("cart", "first_in_window", 1), passed("cart", "severity", 1), passed(otherService, "first_in_window", 1),
	}, opts...)
	metadatatest.AssertEqualProcessorLogReduceRecordsSuppressed(t, tt, []metricdata.DataPoint[int64]{{Value: 3, Attributes: svc("cart")}}, opts...)
	metadatatest.AssertEqualProcessorLogReduceBytesSuppressed(t, tt, []metricdata.DataPoint[int64]{{Value: 18, Attributes: svc("cart")}}, opts...)
	metadatatest.AssertEqualProcessorLogReduceBytesReceived(t, tt, []metricdata.DataPoint[int64]{
		{Value: 30, Attributes: svc("cart")}, {Value: 5, Attributes: svc(otherService)},
	}, opts...)
	metadatatest.AssertEqualProcessorLogReduceSummariesEmitted(t, tt, []metricdata.DataPoint[int64]{
		{Value: 1, Attributes: attribute.NewSet(attribute.String("trigger", "window"))},
	}, opts...)
	metadatatest.AssertEqualProcessorLogReduceTemplatesActive(t, tt, []metricdata.DataPoint[int64]{{Value: 3}}, opts...)
}
