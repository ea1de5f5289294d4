package cardinalityguard

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pmetric"
)

type histPoint struct {
	user      string
	bounds    []float64
	counts    []uint64
	sum       float64
	start, ts time.Duration
}

func histMetrics(temporality pmetric.AggregationTemporality, pts ...histPoint) pmetric.Metrics {
	md := pmetric.NewMetrics()
	m := md.ResourceMetrics().AppendEmpty().ScopeMetrics().AppendEmpty().Metrics().AppendEmpty()
	m.SetName("latency")
	h := m.SetEmptyHistogram()
	h.SetAggregationTemporality(temporality)
	for _, p := range pts {
		dp := h.DataPoints().AppendEmpty()
		dp.Attributes().PutStr("user_id", p.user)
		dp.Attributes().PutStr("route", "/a")
		dp.ExplicitBounds().FromRaw(p.bounds)
		dp.BucketCounts().FromRaw(p.counts)
		var n uint64
		for _, c := range p.counts {
			n += c
		}
		dp.SetCount(n)
		dp.SetSum(p.sum)
		dp.SetStartTimestamp(at(p.start))
		dp.SetTimestamp(at(p.ts))
	}
	return md
}

func histOut(t *testing.T, tg *testGuard) []pmetric.HistogramDataPoint {
	t.Helper()
	var out []pmetric.HistogramDataPoint
	for _, md := range tg.sink.AllMetrics() {
		m := md.ResourceMetrics().At(0).ScopeMetrics().At(0).Metrics().At(0)
		for _, dp := range m.Histogram().DataPoints().All() {
			out = append(out, dp)
		}
	}
	return out
}

func TestCumulativeHistogramsMergeIncreasesPerBucket(t *testing.T) {
	tg := newTestGuard(t, nil)
	b := []float64{1, 5}
	tg.consume(t, histMetrics(pmetric.AggregationTemporalityCumulative,
		histPoint{user: "u1", bounds: b, counts: []uint64{1, 0, 0}, sum: 0.5, start: time.Second, ts: 5 * time.Second},
		histPoint{user: "u2", bounds: b, counts: []uint64{0, 2, 1}, sum: 12, start: time.Second, ts: 5 * time.Second}))
	tg.flushAt(t, 30*time.Second)
	tg.consume(t, histMetrics(pmetric.AggregationTemporalityCumulative,
		histPoint{user: "u1", bounds: b, counts: []uint64{2, 1, 0}, sum: 4, start: time.Second, ts: 40 * time.Second}))
	tg.flushAt(t, 60*time.Second)
	out := histOut(t, tg)
	require.Len(t, out, 2)
	assert.Equal(t, []uint64{1, 2, 1}, out[0].BucketCounts().AsRaw())
	assert.Equal(t, []uint64{2, 3, 1}, out[1].BucketCounts().AsRaw())
	assert.Equal(t, uint64(6), out[1].Count())
	assert.InDelta(t, 16, out[1].Sum(), 1e-9)
	assert.Equal(t, out[0].StartTimestamp(), out[1].StartTimestamp())
}

func TestHistogramBoundsMismatch(t *testing.T) {
	for _, tc := range []struct {
		policy string
		counts []uint64
	}{
		{BoundsDrop, []uint64{1, 0, 0}},
		// u2's buckets (<=2, <=10, +Inf) land in the output buckets whose bound is >= theirs.
		{BoundsRebucket, []uint64{1, 3, 4 + 5}},
	} {
		t.Run(tc.policy, func(t *testing.T) {
			tg := newTestGuard(t, func(c *Config) { c.HistogramBoundsMismatch = tc.policy })
			tg.consume(t, histMetrics(pmetric.AggregationTemporalityDelta,
				histPoint{user: "u1", bounds: []float64{1, 5}, counts: []uint64{1, 0, 0}, start: time.Second, ts: 5 * time.Second},
				histPoint{user: "u2", bounds: []float64{2, 10}, counts: []uint64{3, 4, 5}, start: time.Second, ts: 5 * time.Second}))
			tg.flushAt(t, 30*time.Second)
			out := histOut(t, tg)
			require.Len(t, out, 1)
			assert.Equal(t, tc.counts, out[0].BucketCounts().AsRaw())
		})
	}
}

func TestExponentialHistogramsMergeAcrossScales(t *testing.T) {
	tg := newTestGuard(t, nil)
	md := pmetric.NewMetrics()
	m := md.ResourceMetrics().AppendEmpty().ScopeMetrics().AppendEmpty().Metrics().AppendEmpty()
	m.SetName("size")
	e := m.SetEmptyExponentialHistogram()
	e.SetAggregationTemporality(pmetric.AggregationTemporalityDelta)
	add := func(user string, scale, offset int32, counts []uint64) {
		dp := e.DataPoints().AppendEmpty()
		dp.Attributes().PutStr("user_id", user)
		dp.SetScale(scale)
		dp.Positive().SetOffset(offset)
		dp.Positive().BucketCounts().FromRaw(counts)
		var n uint64
		for _, c := range counts {
			n += c
		}
		dp.SetCount(n)
		dp.SetStartTimestamp(at(time.Second))
		dp.SetTimestamp(at(5 * time.Second))
	}
	add("u1", 2, 4, []uint64{1, 1, 1, 1}) // indexes 4..7 at scale 2 -> 2..3 at scale 1
	add("u2", 1, 2, []uint64{5})          // index 2 at scale 1
	tg.consume(t, md)
	tg.flushAt(t, 30*time.Second)
	dp := tg.sink.AllMetrics()[0].ResourceMetrics().At(0).ScopeMetrics().At(0).Metrics().At(0).ExponentialHistogram().DataPoints().At(0)
	assert.Equal(t, int32(1), dp.Scale())
	assert.Equal(t, int32(2), dp.Positive().Offset())
	assert.Equal(t, []uint64{7, 2}, dp.Positive().BucketCounts().AsRaw())
	assert.Equal(t, uint64(9), dp.Count())
}

func TestExpoIncreaseAlignsScales(t *testing.T) {
	prev := expoHist{scale: 3, count: 2, pos: expoBuckets{offset: 8, counts: []uint64{1, 1}}}
	cur := expoHist{scale: 2, count: 5, pos: expoBuckets{offset: 4, counts: []uint64{4, 1}}}
	inc, ok := expoIncrease(cur, prev)
	require.True(t, ok)
	assert.Equal(t, int32(2), inc.scale)
	assert.Equal(t, []uint64{2, 1}, inc.pos.counts)
	assert.Equal(t, uint64(3), inc.count)
	_, ok = expoIncrease(prev, cur)
	assert.False(t, ok, "a decrease is a reset")
}

func TestExpoMergeRespectsBucketCap(t *testing.T) {
	h := expoHist{scale: 4, pos: expoBuckets{offset: 0, counts: make([]uint64, 100)}}
	h.add(expoHist{scale: 4, pos: expoBuckets{offset: 200, counts: []uint64{1}}})
	assert.LessOrEqual(t, len(h.pos.counts), maxExpoBuckets)
	assert.Less(t, h.scale, int32(4))
}
