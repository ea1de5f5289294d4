package cardinalityguard

import (
	"context"
	"encoding/json"
	"math"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/metric/metricdata/metricdatatest"

	"github.com/otelcol-warden/otelcol-warden/processor/cardinalityguard/internal/metadatatest"
)

func TestPassThroughLeavesCleanSeriesUntouched(t *testing.T) {
	tg := newTestGuard(t, nil)
	md := numberMetrics("http.server.requests", sumKind{},
		point{attrs: map[string]any{"http.route": "/users/{id}", "http.response.status_code": int64(200)}, value: 5, start: time.Second, ts: 10 * time.Second})
	want := pmetric.NewMetrics()
	md.CopyTo(want)
	tg.consume(t, md)
	require.Len(t, tg.sink.AllMetrics(), 1)
	assert.Equal(t, want, tg.sink.AllMetrics()[0])
	tg.flushAt(t, 30*time.Second)
	assert.Len(t, tg.sink.AllMetrics(), 1, "nothing to re-aggregate")
}

func TestDeniedLabelFoldsCumulativeCountersBySummingIncreases(t *testing.T) {
	tg := newTestGuard(t, nil)
	user := func(id string, v float64, ts time.Duration) point {
		return point{attrs: map[string]any{"user_id": id, "http.route": "/cart"}, value: v, start: time.Second, ts: ts}
	}
	tg.consume(t, numberMetrics("orders", sumKind{}, user("u1", 3, 10*time.Second), user("u2", 5, 10*time.Second)))
	assert.Empty(t, tg.sink.AllMetrics(), "folded points wait for the flush")
	tg.flushAt(t, 30*time.Second)
	// u1 +2, u2 resets (start changed) to 1, u3 new with 4.
	tg.consume(t, numberMetrics("orders", sumKind{}, user("u1", 5, 40*time.Second), user("u3", 4, 40*time.Second),
		point{attrs: map[string]any{"user_id": "u2", "http.route": "/cart"}, value: 1, start: 35 * time.Second, ts: 40 * time.Second}))
	tg.flushAt(t, 60*time.Second)
	// u1 goes down without a new start: a reset too.
	tg.consume(t, numberMetrics("orders", sumKind{}, user("u1", 2, 70*time.Second)))
	tg.flushAt(t, 90*time.Second)

	pts := tg.numberPoints("orders")
	require.Len(t, pts, 3)
	for _, p := range pts {
		assert.Equal(t, map[string]any{"http.route": "/cart"}, p.attrs)
		assert.Equal(t, at(time.Second), p.start, "stable start time")
	}
	assert.Equal(t, []float64{8, 8 + 2 + 1 + 4, 15 + 2}, []float64{pts[0].value, pts[1].value, pts[2].value})
	assert.Equal(t, []pcommon.Timestamp{at(30 * time.Second), at(60 * time.Second), at(90 * time.Second)}, []pcommon.Timestamp{pts[0].ts, pts[1].ts, pts[2].ts})
}

func TestInputsStartedBeforeTheProcessorContributeOnlyIncreases(t *testing.T) {
	tg := newTestGuard(t, nil)
	old := func(v float64, ts time.Duration) point {
		return point{attrs: map[string]any{"session_id": "s1"}, value: v, start: -time.Hour, ts: ts}
	}
	tg.consume(t, numberMetrics("c", sumKind{}, old(1000, 10*time.Second)))
	tg.consume(t, numberMetrics("c", sumKind{}, old(1010, 20*time.Second)))
	tg.flushAt(t, 30*time.Second)
	pts := tg.numberPoints("c")
	require.Len(t, pts, 1)
	assert.Equal(t, 10.0, pts[0].value, "history before the processor started is not counted again after a restart")
}

func TestURLPathNormalisationFoldsRoutes(t *testing.T) {
	tg := newTestGuard(t, nil)
	var pts []point
	for i := range 50 {
		pts = append(pts, point{attrs: map[string]any{"url.path": "/users/" + strconv.Itoa(i) + "/orders"}, value: 1, start: time.Second, ts: 5 * time.Second})
	}
	tg.consume(t, numberMetrics("hits", sumKind{delta: true}, pts...))
	tg.flushAt(t, 30*time.Second)
	out := tg.numberPoints("hits")
	require.Len(t, out, 1)
	assert.Equal(t, map[string]any{"url.path": "/users/{id}/orders"}, out[0].attrs)
	assert.Equal(t, 50.0, out[0].value, "delta sums are summed")
}

func TestPerLabelLimitReplacesNewValuesWithSentinel(t *testing.T) {
	tg := newTestGuard(t, func(c *Config) { c.MaxValuesPerLabel = 2 })
	var pts []point
	for _, tenant := range []string{"a", "b", "c", "d"} {
		pts = append(pts, point{attrs: map[string]any{"tenant": tenant, "region": "eu"}, value: 1, start: time.Second, ts: 5 * time.Second})
	}
	tg.consume(t, numberMetrics("jobs", sumKind{delta: true}, pts...))
	tg.flushAt(t, 30*time.Second)
	got := map[string]float64{}
	for _, p := range tg.numberPoints("jobs") {
		assert.Equal(t, "eu", p.attrs["region"], "other labels stay")
		got[p.attrs["tenant"].(string)] += p.value
	}
	assert.Equal(t, map[string]float64{"a": 1, "b": 1, Sentinel: 2}, got)
}

func TestSeriesCapFoldsIntoOverflowSeries(t *testing.T) {
	tg := newTestGuard(t, func(c *Config) { c.MaxSeriesPerMetric = 3; c.MaxValuesPerLabel = 0 })
	var pts []point
	for i := range 10 {
		pts = append(pts, point{attrs: map[string]any{"pod": "p" + strconv.Itoa(i)}, value: float64(i), start: time.Second, ts: 5 * time.Second})
	}
	tg.consume(t, numberMetrics("up", sumKind{}, pts...))
	tg.flushAt(t, 30*time.Second)
	out := tg.numberPoints("up")
	require.Len(t, out, 4, "3 admitted series + 1 overflow")
	total := 0.0
	var overflow *emitted
	for i := range out {
		total += out[i].value
		if _, ok := out[i].attrs[OverflowAttribute]; ok {
			overflow = &out[i]
		}
	}
	require.NotNil(t, overflow)
	assert.Equal(t, map[string]any{OverflowAttribute: true}, overflow.attrs)
	assert.Equal(t, 45.0, total, "nothing lost or double counted")
}

func TestGaugeAggregations(t *testing.T) {
	for _, tc := range []struct {
		agg  string
		want float64
	}{{GaugeLast, 7}, {GaugeSum, 7 + 2}, {GaugeMin, 2}, {GaugeMax, 7}} {
		t.Run(tc.agg, func(t *testing.T) {
			tg := newTestGuard(t, func(c *Config) { c.GaugeAggregation = tc.agg })
			tg.consume(t, numberMetrics("mem", sumKind{gauge: true},
				point{attrs: map[string]any{"request_id": "r1"}, value: 5, ts: 10 * time.Second},
				point{attrs: map[string]any{"request_id": "r2"}, value: 2, ts: 11 * time.Second},
				point{attrs: map[string]any{"request_id": "r1"}, value: 7, ts: 12 * time.Second}))
			tg.flushAt(t, 30*time.Second)
			out := tg.numberPoints("mem")
			require.Len(t, out, 1)
			assert.Equal(t, tc.want, out[0].value)
		})
	}
}

func TestPassThroughSeriesTakenOverByAFoldRestartsWithoutDoubleCounting(t *testing.T) {
	tg := newTestGuard(t, nil)
	anon := func(v float64, ts time.Duration) point {
		return point{attrs: map[string]any{"route": "/a"}, value: v, start: time.Second, ts: ts}
	}
	tg.consume(t, numberMetrics("req", sumKind{}, anon(10, 10*time.Second)))
	require.Len(t, tg.numberPoints("req"), 1, "clean series passes through")
	tg.consume(t, numberMetrics("req", sumKind{}, point{attrs: map[string]any{"route": "/a", "user_id": "u9"}, value: 4, start: 15 * time.Second, ts: 20 * time.Second}))
	tg.consume(t, numberMetrics("req", sumKind{}, anon(13, 25*time.Second)))
	tg.flushAt(t, 30*time.Second)
	pts := tg.numberPoints("req")
	require.Len(t, pts, 2)
	assert.Equal(t, 13.0+4, pts[1].value, "the taken-over series continues from its last pass-through value, u9 adds 4")
	assert.Equal(t, pts[0].start, pts[1].start, "no reset is declared")
	assert.Greater(t, pts[1].ts, pts[0].ts)
}

func TestBadInputIsCountedAndDropped(t *testing.T) {
	tt := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tt.Shutdown(context.Background())) })
	tg := newTestGuardWith(t, metadatatest.NewSettings(tt), nil)
	md := numberMetrics("c", sumKind{},
		point{attrs: map[string]any{"a": "1"}, value: math.NaN(), start: time.Second, ts: 2 * time.Second},
		point{attrs: map[string]any{"a": "2"}, value: math.Inf(1), start: time.Second, ts: 2 * time.Second},
		point{attrs: map[string]any{"a": "3"}, value: -1, start: time.Second, ts: 2 * time.Second})
	many := map[string]any{}
	for i := range 10000 {
		many["k"+strconv.Itoa(i)] = i
	}
	dp := md.ResourceMetrics().At(0).ScopeMetrics().At(0).Metrics().At(0).Sum().DataPoints().AppendEmpty()
	_ = dp.Attributes().FromRaw(many)
	dp.SetDoubleValue(1)
	noName := md.ResourceMetrics().At(0).ScopeMetrics().At(0).Metrics().AppendEmpty()
	noName.SetEmptyGauge().DataPoints().AppendEmpty().SetIntValue(1)
	h := md.ResourceMetrics().At(0).ScopeMetrics().At(0).Metrics().AppendEmpty()
	h.SetName("latency")
	hdp := h.SetEmptyHistogram().DataPoints().AppendEmpty()
	hdp.ExplicitBounds().FromRaw([]float64{1, 2})
	hdp.BucketCounts().FromRaw([]uint64{1, 1})
	hdp.SetCount(2)
	e := md.ResourceMetrics().At(0).ScopeMetrics().At(0).Metrics().AppendEmpty()
	e.SetName("expo")
	edp := e.SetEmptyExponentialHistogram().DataPoints().AppendEmpty()
	edp.Positive().BucketCounts().FromRaw([]uint64{1})
	edp.SetCount(5)

	tg.consume(t, md)
	assert.Empty(t, tg.sink.AllMetrics())
	tg.flushAt(t, time.Minute)
	assert.Empty(t, tg.sink.AllMetrics())
	reason := func(r string, n int64) metricdata.DataPoint[int64] {
		return metricdata.DataPoint[int64]{Value: n, Attributes: attribute.NewSet(attribute.String("reason", r))}
	}
	metadatatest.AssertEqualProcessorCardinalityGuardDatapointsDropped(t, tt, []metricdata.DataPoint[int64]{
		reason(reasonNonFinite, 2), reason(reasonNegativeCounter, 1), reason(reasonTooManyAttributes, 1),
		reason(reasonEmptyName, 1), reason(reasonInvalidHistogram, 2),
	}, metricdatatest.IgnoreTimestamp())
	metadatatest.AssertEqualProcessorCardinalityGuardDatapointsReceived(t, tt, []metricdata.DataPoint[int64]{{Value: 7}}, metricdatatest.IgnoreTimestamp())
}

func TestExemplarsLoseDeniedAttributes(t *testing.T) {
	tg := newTestGuard(t, nil)
	md := numberMetrics("c", sumKind{}, point{attrs: map[string]any{"route": "/a", "user_id": "u1"}, value: 1, start: time.Second, ts: 2 * time.Second})
	ex := md.ResourceMetrics().At(0).ScopeMetrics().At(0).Metrics().At(0).Sum().DataPoints().At(0).Exemplars().AppendEmpty()
	ex.FilteredAttributes().PutStr("user.email", "a@b.c")
	ex.FilteredAttributes().PutStr("shard", "7")
	ex.SetDoubleValue(1)
	tg.consume(t, md)
	tg.flushAt(t, 30*time.Second)
	out := tg.sink.AllMetrics()[0].ResourceMetrics().At(0).ScopeMetrics().At(0).Metrics().At(0).Sum().DataPoints().At(0)
	require.Equal(t, 1, out.Exemplars().Len())
	assert.Equal(t, map[string]any{"shard": "7"}, out.Exemplars().At(0).FilteredAttributes().AsRaw())
}

func TestDryRunForwardsDataUnchanged(t *testing.T) {
	tg := newTestGuard(t, func(c *Config) { c.Mode = ModeDryRun; c.MaxSeriesPerMetric = 1 })
	md := numberMetrics("c", sumKind{},
		point{attrs: map[string]any{"user_id": "u1"}, value: 1, start: time.Second, ts: 2 * time.Second},
		point{attrs: map[string]any{"user_id": "u2", "url.path": "/x/1"}, value: 1, start: time.Second, ts: 2 * time.Second},
		point{attrs: map[string]any{"user_id": "u2"}, value: math.NaN(), start: time.Second, ts: 2 * time.Second})
	want := pmetric.NewMetrics()
	md.CopyTo(want)
	tg.consume(t, md)
	tg.flushAt(t, 30*time.Second)
	require.Len(t, tg.sink.AllMetrics(), 1)
	assert.Equal(t, want.DataPointCount(), tg.sink.AllMetrics()[0].DataPointCount())
	assert.Equal(t, "u1", tg.numberPoints("c")[0].attrs["user_id"])
}

func TestSummariesAreNotFolded(t *testing.T) {
	for _, tc := range []struct {
		policy string
		kept   int
	}{{SummaryRefuse, 2}, {SummaryDrop, 0}} {
		t.Run(tc.policy, func(t *testing.T) {
			tg := newTestGuard(t, func(c *Config) { c.Summary = tc.policy })
			md := pmetric.NewMetrics()
			m := md.ResourceMetrics().AppendEmpty().ScopeMetrics().AppendEmpty().Metrics().AppendEmpty()
			m.SetName("rpc.latency")
			dps := m.SetEmptySummary().DataPoints()
			for _, u := range []string{"u1", "u2"} {
				dp := dps.AppendEmpty()
				dp.Attributes().PutStr("user_id", u)
				dp.SetCount(1)
			}
			tg.consume(t, md)
			tg.flushAt(t, 30*time.Second)
			n := 0
			for _, md := range tg.sink.AllMetrics() {
				n += md.DataPointCount()
			}
			assert.Equal(t, tc.kept, n)
		})
	}
}

func TestAutoModeDropsFlaggedLabelAfterDetection(t *testing.T) {
	tg := newTestGuard(t, func(c *Config) {
		c.Mode = ModeAuto
		c.MaxValuesPerLabel = 0
		c.MaxSeriesPerMetric = 0
		c.Detection.MaxNewValuesPerWindow = 100
	})
	burst := func(from, n int, ts time.Duration) pmetric.Metrics {
		var pts []point
		for i := from; i < from+n; i++ {
			pts = append(pts, point{attrs: map[string]any{"cart": "c" + strconv.Itoa(i), "route": "/buy"}, value: 1, start: time.Second, ts: ts})
		}
		return numberMetrics("sales", sumKind{delta: true}, pts...)
	}
	tg.consume(t, burst(0, 500, 5*time.Second))
	require.Equal(t, 500, tg.sink.AllMetrics()[0].DataPointCount(), "not flagged yet: passes through")
	tg.now = t0.Add(time.Minute)
	tg.detect()
	tg.consume(t, burst(500, 500, 70*time.Second))
	tg.flushAt(t, 90*time.Second)
	out := tg.numberPoints("sales")
	last := out[len(out)-1]
	assert.Equal(t, map[string]any{"route": "/buy"}, last.attrs)
	assert.Equal(t, 500.0, last.value)

	r := tg.buildReport()
	require.Len(t, r.Data.Flagged, 1)
	assert.Equal(t, "cart", r.Data.Flagged[0].Label)
	assert.InDelta(t, 500, float64(r.Data.Flagged[0].DistinctValues), 25, "HLL estimate within 5%")
	b, err := json.Marshal(r)
	require.NoError(t, err)
	for _, key := range []string{`"headStats"`, `"seriesCountByMetricName"`, `"labelValueCountByLabelName"`, `"memoryInBytesByLabelName"`, `"seriesCountByLabelValuePair"`} {
		assert.Contains(t, string(b), key)
	}
	assert.NotContains(t, string(b), `"c4`, "label values never appear in the report")
}

func TestRelabelRulesApplyToOTelNames(t *testing.T) {
	for _, tc := range []struct {
		names string
		rules []map[string]any
	}{
		{LabelNamesOTel, []map[string]any{{"action": "labeldrop", "regex": "k8s\\.pod\\.name"}, {"action": "drop", "source_labels": []any{"__name__", "env"}, "regex": "c;dev"}}},
		{LabelNamesPrometheus, []map[string]any{{"action": "labeldrop", "regex": "k8s_pod_name"}, {"action": "drop", "source_labels": []any{"__name__", "env"}, "regex": "c;dev"}}},
	} {
		t.Run(tc.names, func(t *testing.T) {
			tg := newTestGuard(t, func(c *Config) { c.LabelNames = tc.names; c.MetricRelabelConfigs = tc.rules })
			tg.consume(t, numberMetrics("c", sumKind{delta: true},
				point{attrs: map[string]any{"k8s.pod.name": "p1", "http.response.status_code": int64(200), "env": "prod"}, value: 1, start: time.Second, ts: 2 * time.Second},
				point{attrs: map[string]any{"k8s.pod.name": "p2", "http.response.status_code": int64(200), "env": "prod"}, value: 2, start: time.Second, ts: 2 * time.Second},
				point{attrs: map[string]any{"k8s.pod.name": "p3", "http.response.status_code": int64(200), "env": "dev"}, value: 4, start: time.Second, ts: 2 * time.Second}))
			tg.flushAt(t, 30*time.Second)
			out := tg.numberPoints("c")
			require.Len(t, out, 1)
			assert.Equal(t, map[string]any{"http.response.status_code": int64(200), "env": "prod"}, out[0].attrs, "typed values survive relabelling")
			assert.Equal(t, 3.0, out[0].value)
		})
	}
}

func TestInputMovingToAnotherOutputKeepsItsIncreases(t *testing.T) {
	tg := newTestGuard(t, func(c *Config) {
		c.Mode = ModeAuto
		c.MaxValuesPerLabel, c.MaxSeriesPerMetric = 0, 0
		c.Detection.MaxNewValuesPerWindow = 2
	})
	send := func(v float64, ts time.Duration) {
		var pts []point
		for i := range 4 {
			pts = append(pts, point{attrs: map[string]any{"cart": "c" + strconv.Itoa(i), "user_id": "u" + strconv.Itoa(i)}, value: v, start: time.Second, ts: ts})
		}
		tg.consume(t, numberMetrics("items", sumKind{}, pts...))
	}
	send(10, 10*time.Second)
	tg.flushAt(t, 20*time.Second)
	tg.now = t0.Add(21 * time.Second)
	tg.detect() // cart grew by 4 > 2: flagged, dropped from now on
	send(15, 30*time.Second)
	tg.flushAt(t, 40*time.Second)

	total := 0.0
	for _, p := range tg.numberPoints("items") {
		if _, ok := p.attrs["cart"]; !ok {
			total += p.value
		}
	}
	assert.Equal(t, 4*5.0, total, "after the move each input adds only its increase (+5), nothing re-counted")
}

func TestPassThroughFastPathStopsWhenALabelIsFlagged(t *testing.T) {
	tg := newTestGuard(t, func(c *Config) {
		c.Mode = ModeAuto
		c.MaxValuesPerLabel, c.MaxSeriesPerMetric = 0, 0
		c.Detection.MaxNewValuesPerWindow = 10
	})
	batch := func(ts time.Duration) pmetric.Metrics {
		var pts []point
		for i := range 50 {
			pts = append(pts, point{attrs: map[string]any{"cart": "c" + strconv.Itoa(i)}, value: 1, start: time.Second, ts: ts})
		}
		return numberMetrics("carts", sumKind{delta: true}, pts...)
	}
	tg.consume(t, batch(5*time.Second))
	tg.consume(t, batch(6*time.Second)) // same series again: fast path
	require.Equal(t, 100, len(tg.numberPoints("carts")), "passed through twice")
	tg.now = t0.Add(time.Minute)
	tg.detect()
	tg.consume(t, batch(70*time.Second))
	tg.flushAt(t, 90*time.Second)
	out := tg.numberPoints("carts")
	require.Len(t, out, 101, "the known series now fold into one")
	assert.Equal(t, map[string]any{}, out[100].attrs)
	assert.Equal(t, 50.0, out[100].value)
}

func TestFullStateDropsNewInputsInsteadOfCorruptingRates(t *testing.T) {
	tg := newTestGuard(t, func(c *Config) { c.State.MaxReaggregationInputs = 2 })
	send := func(v float64, ts time.Duration, users ...string) {
		var pts []point
		for _, u := range users {
			pts = append(pts, point{attrs: map[string]any{"user_id": u}, value: v, start: time.Second, ts: ts})
		}
		tg.consume(t, numberMetrics("logins", sumKind{}, pts...))
	}
	send(1, 5*time.Second, "u1", "u2", "u3")
	send(4, 15*time.Second, "u1", "u2", "u3")
	tg.flushAt(t, 30*time.Second)
	out := tg.numberPoints("logins")
	require.Len(t, out, 1)
	assert.Equal(t, 8.0, out[0].value, "u1 and u2 counted exactly; u3 dropped (state_full), never half-counted")
}

func TestPassThroughExemplarsLoseDeniedAttributes(t *testing.T) {
	tg := newTestGuard(t, nil)
	md := numberMetrics("c", sumKind{}, point{attrs: map[string]any{"route": "/a"}, value: 1, start: time.Second, ts: 2 * time.Second})
	ex := md.ResourceMetrics().At(0).ScopeMetrics().At(0).Metrics().At(0).Sum().DataPoints().At(0).Exemplars().AppendEmpty()
	ex.FilteredAttributes().PutStr("user_id", "u1")
	ex.FilteredAttributes().PutStr("shard", "7")
	tg.consume(t, md)
	got := tg.sink.AllMetrics()[0].ResourceMetrics().At(0).ScopeMetrics().At(0).Metrics().At(0).Sum().DataPoints().At(0)
	assert.Equal(t, map[string]any{"shard": "7"}, got.Exemplars().At(0).FilteredAttributes().AsRaw())
}

func TestPrometheusLabelNamesFollowTheExporter(t *testing.T) {
	for in, want := range map[string]string{
		"k8s.pod.name": "k8s_pod_name", "http.response.status_code": "http_response_status_code",
		"1st": "key_1st", "_private": "key_private", "a..b": "a_b", "plain": "plain",
	} {
		assert.Equal(t, want, sanitizeLabelName(in), in)
	}
}
