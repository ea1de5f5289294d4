package cardinalityguard

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/metric/metricdata/metricdatatest"

	"github.com/otelcol-warden/otelcol-warden/processor/cardinalityguard/internal/metadatatest"
)

func TestSelfTelemetryReportsSeriesFoldsAndOffenders(t *testing.T) {
	tt := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tt.Shutdown(context.Background())) })
	tg := newTestGuardWith(t, metadatatest.NewSettings(tt), func(c *Config) { c.MaxSeriesPerMetric = 2 })
	tg.consume(t, numberMetrics("orders", sumKind{},
		point{attrs: map[string]any{"shop": "a"}, value: 1, start: time.Second, ts: 2 * time.Second},
		point{attrs: map[string]any{"shop": "b"}, value: 1, start: time.Second, ts: 2 * time.Second},
		point{attrs: map[string]any{"shop": "c"}, value: 1, start: time.Second, ts: 2 * time.Second},
		point{attrs: map[string]any{"shop": "a", "user_id": "u1"}, value: 1, start: time.Second, ts: 2 * time.Second}))
	tg.flushAt(t, 30*time.Second)
	tg.logReport()

	opts := []metricdatatest.Option{metricdatatest.IgnoreTimestamp()}
	reason := func(r string, n int64) metricdata.DataPoint[int64] {
		return metricdata.DataPoint[int64]{Value: n, Attributes: attribute.NewSet(attribute.String("reason", r))}
	}
	metadatatest.AssertEqualProcessorCardinalityGuardDatapointsReceived(t, tt, []metricdata.DataPoint[int64]{{Value: 4}}, opts...)
	// a and b pass through; c overflows; the user_id point takes a over (a's pass-through stops).
	metadatatest.AssertEqualProcessorCardinalityGuardDatapointsFolded(t, tt, []metricdata.DataPoint[int64]{
		reason(reasonSeriesLimit, 1), reason(reasonLabelDropped, 1),
	}, opts...)
	metadatatest.AssertEqualProcessorCardinalityGuardDatapointsEmitted(t, tt, []metricdata.DataPoint[int64]{{Value: 2 + 2}}, opts...) // a and b, then the overflow and the taken-over a
	metadatatest.AssertEqualProcessorCardinalityGuardSeriesActive(t, tt, []metricdata.DataPoint[int64]{{Value: 2}}, opts...)
	metadatatest.AssertEqualProcessorCardinalityGuardSeriesLimit(t, tt, []metricdata.DataPoint[int64]{{Value: 2}}, opts...)
	metadatatest.AssertEqualProcessorCardinalityGuardTopSeries(t, tt, []metricdata.DataPoint[int64]{
		{Value: 2, Attributes: attribute.NewSet(attribute.String("metric_name", "orders"))},
	}, opts...)
}
