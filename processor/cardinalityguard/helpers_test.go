package cardinalityguard

import (
	"context"
	"testing"
	"time"

	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/collector/processor/processortest"

	"github.com/otelcol-warden/otelcol-warden/processor/cardinalityguard/internal/metadata"
)

// t0 is the fake processor start; test points start after it unless a test says otherwise.
var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func at(d time.Duration) pcommon.Timestamp { return pcommon.NewTimestampFromTime(t0.Add(d)) }

type testGuard struct {
	*guard
	sink *consumertest.MetricsSink
	now  time.Time
}

func newTestGuard(t testing.TB, mutate func(*Config)) *testGuard {
	t.Helper()
	return newTestGuardWith(t, processortest.NewNopSettings(metadata.Type), mutate)
}

func newTestGuardWith(t testing.TB, set processor.Settings, mutate func(*Config)) *testGuard {
	t.Helper()
	cfg := createDefaultConfig().(*Config)
	if mutate != nil {
		mutate(cfg)
	}
	require.NoError(t, confmap.Validate(cfg))
	sink := new(consumertest.MetricsSink)
	g, err := newGuard(cfg, set, sink)
	require.NoError(t, err)
	tg := &testGuard{guard: g, sink: sink, now: t0}
	g.now = func() time.Time { return tg.now }
	g.startWall, g.startTime = t0, pcommon.NewTimestampFromTime(t0)
	return tg
}

func (tg *testGuard) consume(t testing.TB, md pmetric.Metrics) {
	t.Helper()
	require.NoError(t, tg.ConsumeMetrics(context.Background(), md))
}

// flushAt advances the fake clock to t0+d and flushes.
func (tg *testGuard) flushAt(t testing.TB, d time.Duration) {
	t.Helper()
	tg.now = t0.Add(d)
	require.NoError(t, tg.flush(context.Background()))
}

// point is one number data point of a test input.
type point struct {
	attrs     map[string]any
	value     float64
	start, ts time.Duration
}

type sumKind struct {
	gauge, delta, nonMonotonic bool
}

func numberMetrics(name string, kind sumKind, pts ...point) pmetric.Metrics {
	md := pmetric.NewMetrics()
	rm := md.ResourceMetrics().AppendEmpty()
	rm.Resource().Attributes().PutStr("service.name", "checkout")
	m := rm.ScopeMetrics().AppendEmpty().Metrics().AppendEmpty()
	m.SetName(name)
	var dps pmetric.NumberDataPointSlice
	if kind.gauge {
		dps = m.SetEmptyGauge().DataPoints()
	} else {
		s := m.SetEmptySum()
		s.SetIsMonotonic(!kind.nonMonotonic)
		s.SetAggregationTemporality(pmetric.AggregationTemporalityCumulative)
		if kind.delta {
			s.SetAggregationTemporality(pmetric.AggregationTemporalityDelta)
		}
		dps = s.DataPoints()
	}
	for _, p := range pts {
		dp := dps.AppendEmpty()
		_ = dp.Attributes().FromRaw(p.attrs)
		dp.SetDoubleValue(p.value)
		if !kind.gauge {
			dp.SetStartTimestamp(at(p.start))
		}
		dp.SetTimestamp(at(p.ts))
	}
	return md
}

// emitted is one number point seen downstream.
type emitted struct {
	attrs map[string]any
	value float64
	start pcommon.Timestamp
	ts    pcommon.Timestamp
}

func (tg *testGuard) numberPoints(name string) []emitted {
	var out []emitted
	for _, md := range tg.sink.AllMetrics() {
		for _, rm := range md.ResourceMetrics().All() {
			for _, sm := range rm.ScopeMetrics().All() {
				for _, m := range sm.Metrics().All() {
					if m.Name() != name {
						continue
					}
					dps := pmetric.NewNumberDataPointSlice()
					switch m.Type() {
					case pmetric.MetricTypeSum:
						dps = m.Sum().DataPoints()
					case pmetric.MetricTypeGauge:
						dps = m.Gauge().DataPoints()
					}
					for _, dp := range dps.All() {
						v := dp.DoubleValue()
						if dp.ValueType() == pmetric.NumberDataPointValueTypeInt {
							v = float64(dp.IntValue())
						}
						out = append(out, emitted{attrs: dp.Attributes().AsRaw(), value: v, start: dp.StartTimestamp(), ts: dp.Timestamp()})
					}
				}
			}
		}
	}
	return out
}

func reasonPoint(r string, n int64) metricdata.DataPoint[int64] {
	return metricdata.DataPoint[int64]{Value: n, Attributes: attribute.NewSet(attribute.String("reason", r))}
}
