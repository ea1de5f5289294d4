package main

import (
	"fmt"
	"math/rand/v2"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
)

// httpBuckets are the semantic conventions' advised boundaries of http.server.request.duration (seconds).
var httpBuckets = []float64{0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10}

// metricSet holds one service's metrics of a request, created on first use.
type metricSet struct {
	ms      pmetric.MetricSlice
	byName  map[string]pmetric.Metric
	started pcommon.Timestamp
	now     pcommon.Timestamp
}

func (s *metricSet) get(name, unit string, make func(pmetric.Metric)) pmetric.Metric {
	if m, ok := s.byName[name]; ok {
		return m
	}
	m := s.ms.AppendEmpty()
	m.SetName(name)
	m.SetUnit(unit)
	make(m)
	s.byName[name] = m
	return m
}

func cumulativeHistogram(m pmetric.Metric) {
	m.SetEmptyHistogram().SetAggregationTemporality(pmetric.AggregationTemporalityCumulative)
}

func cumulativeSum(monotonic bool) func(pmetric.Metric) {
	return func(m pmetric.Metric) {
		s := m.SetEmptySum()
		s.SetAggregationTemporality(pmetric.AggregationTemporalityCumulative)
		s.SetIsMonotonic(monotonic)
	}
}

func gauge(m pmetric.Metric) { m.SetEmptyGauge() }

// buildMetrics writes m.pointsPerRequest data points: request-duration histograms by route with the raw
// URL path and the user id as labels (the classic cardinality explosions, m.cardinality values each),
// database histograms, an order counter by user, active requests and JVM memory gauges.
func buildMetrics(r *rand.Rand, m *mix, now time.Time) pmetric.Metrics {
	md := pmetric.NewMetrics()
	var sets []*metricSet
	for i, s := range services {
		rm := md.ResourceMetrics().AppendEmpty()
		putResource(r, rm.Resource().Attributes(), s, i)
		sm := rm.ScopeMetrics().AppendEmpty()
		sm.Scope().SetName("go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp")
		sets = append(sets, &metricSet{ms: sm.Metrics(), byName: map[string]pmetric.Metric{},
			started: pcommon.NewTimestampFromTime(now.Add(-time.Hour)), now: pcommon.NewTimestampFromTime(now)})
	}
	for range m.pointsPerRequest {
		s := sets[r.IntN(len(sets))]
		var attrs pcommon.Map
		switch x := r.IntN(20); {
		case x < 8:
			attrs = httpDuration(r, m, s)
		case x < 11:
			attrs = dbDuration(r, s)
		case x < 15:
			dp := s.get("shop.orders.placed", "{order}", cumulativeSum(true)).Sum().DataPoints().AppendEmpty()
			dp.SetIntValue(int64(r.IntN(500)))
			attrs = dp.Attributes()
			attrs.PutStr("payment.method", []string{"card", "paypal", "invoice", "sepa"}[r.IntN(4)])
			attrs.PutStr("user_id", fmt.Sprintf("u-%d", r.IntN(m.cardinality)))
			attrs.PutStr("session_id", hexID(r, 16))
		case x < 17:
			dp := s.get("http.server.active_requests", "{request}", cumulativeSum(false)).Sum().DataPoints().AppendEmpty()
			dp.SetIntValue(int64(r.IntN(40)))
			attrs = dp.Attributes()
			attrs.PutStr("http.request.method", []string{"GET", "POST"}[r.IntN(2)])
			attrs.PutStr("url.scheme", "https")
		default:
			dp := s.get("jvm.memory.used", "By", gauge).Gauge().DataPoints().AppendEmpty()
			dp.SetIntValue(int64(50_000_000 + r.IntN(400_000_000)))
			attrs = dp.Attributes()
			attrs.PutStr("jvm.memory.type", []string{"heap", "non_heap"}[r.IntN(2)])
			attrs.PutStr("jvm.memory.pool.name", []string{"G1 Eden Space", "G1 Old Gen", "G1 Survivor Space", "Metaspace", "CodeCache"}[r.IntN(5)])
		}
		if r.Float64() < m.pii {
			attrs.PutStr("customer.email", email(r))
		}
	}
	for _, s := range sets {
		stamp(s)
	}
	return md
}

func httpDuration(r *rand.Rand, m *mix, s *metricSet) pcommon.Map {
	dp := s.get("http.server.request.duration", "s", cumulativeHistogram).Histogram().DataPoints().AppendEmpty()
	rt := routes[r.IntN(len(routes))]
	dp.ExplicitBounds().FromRaw(httpBuckets)
	fillHistogram(r, dp, float64(rt.typicalMS)/1000)
	a := dp.Attributes()
	a.PutStr("http.request.method", rt.method)
	a.PutStr("http.route", rt.template)
	a.PutInt("http.response.status_code", []int64{200, 200, 200, 200, 201, 404, 500}[r.IntN(7)])
	a.PutStr("url.scheme", "https")
	// The raw path: one value per id, what a mis-configured instrumentation puts next to the route.
	a.PutStr("url.path", fmt.Sprintf("/api/orders/%d", r.IntN(m.cardinality)))
	a.PutStr("user_id", fmt.Sprintf("u-%d", r.IntN(m.cardinality)))
	return a
}

func dbDuration(r *rand.Rand, s *metricSet) pcommon.Map {
	dp := s.get("db.client.operation.duration", "s", cumulativeHistogram).Histogram().DataPoints().AppendEmpty()
	q := dbQueries[r.IntN(len(dbQueries))]
	dp.ExplicitBounds().FromRaw([]float64{0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10})
	fillHistogram(r, dp, 0.004)
	a := dp.Attributes()
	a.PutStr("db.system.name", "postgresql")
	a.PutStr("db.operation.name", q.op)
	a.PutStr("db.collection.name", q.collection)
	a.PutStr("db.namespace", "shop")
	return a
}

func fillHistogram(r *rand.Rand, dp pmetric.HistogramDataPoint, typical float64) {
	bounds := dp.ExplicitBounds().AsRaw()
	counts := make([]uint64, len(bounds)+1)
	var n uint64
	var sum float64
	for range 20 + r.IntN(200) {
		v := typical * (0.3 + r.ExpFloat64())
		i := 0
		for i < len(bounds) && v > bounds[i] {
			i++
		}
		counts[i]++
		n++
		sum += v
	}
	dp.BucketCounts().FromRaw(counts)
	dp.SetCount(n)
	dp.SetSum(sum)
	dp.SetMin(typical * 0.3)
	dp.SetMax(typical * 8)
}

// stamp gives every data point the request's timestamps (cumulative points start an hour ago).
func stamp(s *metricSet) {
	for i := range s.ms.Len() {
		m := s.ms.At(i)
		switch m.Type() {
		case pmetric.MetricTypeHistogram:
			for j := range m.Histogram().DataPoints().Len() {
				dp := m.Histogram().DataPoints().At(j)
				dp.SetStartTimestamp(s.started)
				dp.SetTimestamp(s.now)
			}
		case pmetric.MetricTypeSum:
			for j := range m.Sum().DataPoints().Len() {
				dp := m.Sum().DataPoints().At(j)
				dp.SetStartTimestamp(s.started)
				dp.SetTimestamp(s.now)
			}
		case pmetric.MetricTypeGauge:
			for j := range m.Gauge().DataPoints().Len() {
				m.Gauge().DataPoints().At(j).SetTimestamp(s.now)
			}
		}
	}
}
