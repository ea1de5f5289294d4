package cardinalityguard

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/metric/metricdata/metricdatatest"

	"github.com/otelcol-warden/otelcol-warden/processor/cardinalityguard/internal/metadatatest"
)

func TestMaxMetricsDropsNewMetricsOnceFull(t *testing.T) {
	tt := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tt.Shutdown(context.Background())) })
	tg := newTestGuardWith(t, metadatatest.NewSettings(tt), func(c *Config) { c.State.MaxMetrics = 2 })
	for _, name := range []string{"m1", "m2", "m3", "m4"} {
		tg.consume(t, numberMetrics(name, sumKind{gauge: true},
			point{attrs: map[string]any{"a": "1"}, value: 1, ts: time.Second},
			point{attrs: map[string]any{"a": "2"}, value: 1, ts: time.Second}))
	}
	assert.Len(t, tg.budgets, 2)
	assert.Len(t, tg.numberPoints("m1"), 2)
	assert.Len(t, tg.numberPoints("m2"), 2)
	assert.Empty(t, tg.numberPoints("m3"))
	assert.Empty(t, tg.numberPoints("m4"))
	// A known metric keeps flowing once the table is full.
	tg.consume(t, numberMetrics("m1", sumKind{gauge: true}, point{attrs: map[string]any{"a": "3"}, value: 1, ts: 2 * time.Second}))
	assert.Len(t, tg.numberPoints("m1"), 3)
	metadatatest.AssertEqualProcessorCardinalityGuardDatapointsDropped(t, tt, []metricdata.DataPoint[int64]{
		reasonPoint(reasonStateFull, 4),
	}, metricdatatest.IgnoreTimestamp())
}
