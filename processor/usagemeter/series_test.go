// Copyright otelcol-warden authors
// SPDX-License-Identifier: Apache-2.0

package usagemeter

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

func seriesBatch(team string, first, n int) pmetric.Metrics {
	md := pmetric.NewMetrics()
	rm := md.ResourceMetrics().AppendEmpty()
	rm.Resource().Attributes().PutStr("k8s.namespace.name", team)
	rm.Resource().Attributes().PutStr("service.name", "api")
	m := rm.ScopeMetrics().AppendEmpty().Metrics().AppendEmpty()
	m.SetName("http.server.active_requests")
	dps := m.SetEmptySum().DataPoints()
	for i := first; i < first+n; i++ {
		dp := dps.AppendEmpty()
		dp.SetIntValue(1)
		dp.Attributes().PutInt("shard", int64(i))
		dp.Attributes().PutStr("http.route", "/orders")
	}
	return md
}

func TestActiveSeriesEstimate(t *testing.T) {
	cfg := createDefaultConfig().(*Config)
	cfg.Series.Buckets = 3
	tm := newTestMeter(t, "series", cfg, nil)
	ctx := context.Background()
	// 10,000 series of team a, sent twice (repeats are one series); 100 of team b.
	for range 2 {
		for i := 0; i < 10000; i += 500 {
			require.NoError(t, tm.metrics.ConsumeMetrics(ctx, seriesBatch("a", i, 500)))
		}
	}
	require.NoError(t, tm.metrics.ConsumeMetrics(ctx, seriesBatch("b", 0, 100)))
	got := seriesGauge(t, tm)
	assert.InDelta(t, 10000, got["a"], 10000*0.05, "HyperLogLog estimate within 5%%")
	assert.InDelta(t, 100, got["b"], 3)

	// After a whole window without data, the series are no longer active.
	for range cfg.Series.Buckets {
		tm.meter().rotateSeries()
	}
	got = seriesGauge(t, tm)
	assert.Zero(t, got["a"])
}

func seriesGauge(t *testing.T, tm *testMeter) map[string]int64 {
	t.Helper()
	m, err := tm.tel.GetMetric("otelcol_processor_usage_meter_series")
	require.NoError(t, err)
	out := map[string]int64{}
	for _, dp := range m.Data.(metricdata.Gauge[int64]).DataPoints {
		team, _ := dp.Attributes.Value("team")
		out[team.AsString()] = dp.Value
	}
	return out
}

func TestSeriesIdentityIgnoresAttributeOrder(t *testing.T) {
	a, b := pcommon.NewMap(), pcommon.NewMap()
	a.PutStr("x", "1")
	a.PutInt("y", 2)
	b.PutInt("y", 2)
	b.PutStr("x", "1")
	assert.Equal(t, seriesHash(7, "m", a), seriesHash(7, "m", b))
	c := pcommon.NewMap()
	c.PutStr("x", "1")
	c.PutStr("y", "2") // string "2" is not the integer 2
	assert.NotEqual(t, seriesHash(7, "m", a), seriesHash(7, "m", c))
	assert.NotEqual(t, seriesHash(7, "m", a), seriesHash(7, "n", a))
	assert.NotEqual(t, seriesHash(7, "m", a), seriesHash(8, "m", a))
}
