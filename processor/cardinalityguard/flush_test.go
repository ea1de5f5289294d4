package cardinalityguard

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/metric/metricdata/metricdatatest"

	"github.com/otelcol-warden/otelcol-warden/processor/cardinalityguard/internal/metadatatest"
)

func TestFailedFlushIsCountedAndReturnedFromShutdown(t *testing.T) {
	tt := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tt.Shutdown(context.Background())) })
	tg := newTestGuardWith(t, metadatatest.NewSettings(tt), nil)
	fold := func(ts time.Duration) pmetric.Metrics {
		return numberMetrics("logins", sumKind{delta: true},
			point{attrs: map[string]any{"user_id": "u1"}, value: 1, start: ts - time.Second, ts: ts},
			point{attrs: map[string]any{"user_id": "u2"}, value: 2, start: ts - time.Second, ts: ts})
	}
	downstream := errors.New("remote write refused")
	tg.consume(t, fold(5*time.Second))
	tg.next = consumertest.NewErr(downstream)
	tg.now = t0.Add(30 * time.Second)
	require.ErrorIs(t, tg.flush(context.Background()), downstream)

	require.NoError(t, tg.Start(context.Background(), componenttest.NewNopHost()))
	tg.next = tg.sink
	tg.consume(t, fold(35*time.Second))
	tg.next = consumertest.NewErr(downstream)
	require.ErrorIs(t, tg.Shutdown(context.Background()), downstream, "the final flush error is returned")
	metadatatest.AssertEqualProcessorCardinalityGuardDatapointsDropped(t, tt, []metricdata.DataPoint[int64]{
		reasonPoint(reasonDownstreamError, 2),
	}, metricdatatest.IgnoreTimestamp())
}
