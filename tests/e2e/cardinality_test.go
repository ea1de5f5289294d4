package e2e

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
)

const bombConfig = `
receivers:
  otlp:
    protocols:
      grpc: {endpoint: "${env:OTLP}", max_recv_msg_size_mib: 64}
processors:
  cardinality_guard:
    max_series_per_metric: 200
    max_values_per_label: 100
    reaggregation: {flush_interval: 2s}
    report: {interval: 5s}
exporters:
  prometheusremotewrite:
    endpoint: "${env:PRW}"
    remote_write_queue: {num_consumers: 1}
service:
  pipelines:
    metrics: {receivers: [otlp], processors: [%s], exporters: [prometheusremotewrite]}
`

// bomb is a cardinality bomb: cumulative counters carrying a distinct user_id and a raw URL path
// per user, 300 tenants and 3 methods, sent to several collectors at once.
type bomb struct {
	start   pcommon.Timestamp
	values  map[int]int64 // user -> cumulative value
	truth   int64         // Σ of all increases sent
	clients []*OTLPClient
}

func (b *bomb) point(dps pmetric.NumberDataPointSlice, user int, now pcommon.Timestamp) {
	dp := dps.AppendEmpty()
	dp.Attributes().PutStr("user_id", "user-"+strconv.Itoa(user))
	dp.Attributes().PutStr("url.path", fmt.Sprintf("/users/%d/orders/%x", user, user*7919+1_000_003))
	dp.Attributes().PutStr("tenant", "tenant-"+strconv.Itoa(user%300))
	dp.Attributes().PutStr("http.request.method", []string{"GET", "POST", "PUT"}[user%3])
	dp.SetStartTimestamp(b.start)
	dp.SetTimestamp(now)
	dp.SetIntValue(b.values[user])
}

// send increments the given users (inc each) and sends one request to every collector.
func (b *bomb) send(t *testing.T, users []int, inc func(user int) int64) {
	t.Helper()
	md := pmetric.NewMetrics()
	rm := md.ResourceMetrics().AppendEmpty()
	rm.Resource().Attributes().PutStr("service.name", "bomb")
	rm.Resource().Attributes().PutStr("service.instance.id", "bomb-1")
	m := rm.ScopeMetrics().AppendEmpty().Metrics().AppendEmpty()
	m.SetName("warden_bomb_requests")
	s := m.SetEmptySum()
	s.SetIsMonotonic(true)
	s.SetAggregationTemporality(pmetric.AggregationTemporalityCumulative)
	now := pcommon.NewTimestampFromTime(time.Now())
	for _, u := range users {
		d := inc(u)
		b.values[u] += d
		b.truth += d
		b.point(s.DataPoints(), u, now)
	}
	for _, c := range b.clients {
		if err := c.SendMetrics(md); err != nil {
			t.Fatalf("sending the bomb: %v", err)
		}
	}
}

// A cardinality bomb of 100,000 distinct user_id and raw path values leaves Prometheus within the
// guard's budget, with no remote-write rejection and totals and increases equal to the ground truth;
// the same bomb through a collector without the guard (control) explodes Prometheus' head.
func TestCardinalityGuardDefusesBomb(t *testing.T) {
	guardedProm, controlProm := StartPrometheus(t), StartPrometheus(t)
	guardedOTLP, controlOTLP := FreeEndpoint(t), FreeEndpoint(t)
	guarded := StartCollector(t, fmt.Sprintf(bombConfig, "cardinality_guard"), WithName("guarded"),
		WithEnv("OTLP="+guardedOTLP, "PRW="+guardedProm.RemoteWriteURL()))
	control := StartCollector(t, fmt.Sprintf(bombConfig, ""), WithName("control"),
		WithEnv("OTLP="+controlOTLP, "PRW="+controlProm.RemoteWriteURL()))

	b := &bomb{
		start:   pcommon.NewTimestampFromTime(time.Now()),
		values:  map[int]int64{},
		clients: []*OTLPClient{NewOTLPClient(t, guardedOTLP), NewOTLPClient(t, controlOTLP)},
	}
	const users, perRequest = 100_000, 10_000
	// Phase 1: every user appears once, in ten requests; 500 of them keep coming back.
	for from := 0; from < users; from += perRequest {
		batch := make([]int, 0, perRequest+500)
		for u := from; u < from+perRequest; u++ {
			batch = append(batch, u)
		}
		if from > 0 {
			for u := range 500 {
				batch = append(batch, u)
			}
		}
		b.send(t, batch, func(u int) int64 { return int64(u%7) + 1 })
		time.Sleep(300 * time.Millisecond)
	}
	query := `sum(warden_bomb_requests_total{job="bomb"})`
	Eventually(t, 60*time.Second, func() bool {
		return guardedProm.QueryScalar(t, query) == float64(b.truth)
	}, "guarded total %v, want %d", guardedProm.QueryScalar(t, query), b.truth)
	before := b.truth
	beforeTime := time.Now()
	time.Sleep(1500 * time.Millisecond)

	// Phase 2: only the 500 returning users count up, for 5 requests.
	returning := make([]int, 500)
	for u := range returning {
		returning[u] = u
	}
	for range 5 {
		b.send(t, returning, func(u int) int64 { return int64(u%5) + 1 })
		time.Sleep(time.Second)
	}
	Eventually(t, 60*time.Second, func() bool {
		return guardedProm.QueryScalar(t, query) == float64(b.truth)
	}, "guarded total %v, want %d", guardedProm.QueryScalar(t, query), b.truth)

	// increase() over phase 2, without extrapolation: the difference of the totals at both ends.
	wantIncrease := float64(b.truth - before)
	gotIncrease := guardedProm.QueryScalar(t, query) -
		guardedProm.QueryScalar(t, fmt.Sprintf(`sum(warden_bomb_requests_total{job="bomb"} @ %.3f)`, float64(beforeTime.UnixMilli())/1000))
	if d := gotIncrease - wantIncrease; d > wantIncrease/100 || d < -wantIncrease/100 {
		t.Errorf("increase of the folded counters over phase 2 = %v, ground truth %v (more than 1%% off)", gotIncrease, wantIncrease)
	}

	series := guardedProm.QueryScalar(t, `count(warden_bomb_requests_total)`)
	head := guardedProm.HeadSeries(t)
	t.Logf("guarded: %v series of the metric, prometheus_tsdb_head_series %v, total %v (truth %d), phase-2 increase %v (truth %v)",
		series, head, guardedProm.QueryScalar(t, query), b.truth, gotIncrease, wantIncrease)
	if series > 201 {
		t.Errorf("guarded Prometheus has %v series of the metric, budget is 200 + 1 overflow", series)
	}
	if head > 201+5 { // + target_info and a little room for Prometheus' own bookkeeping
		t.Errorf("guarded prometheus_tsdb_head_series = %v, budget 201", head)
	}
	if overflow := guardedProm.QueryScalar(t, `count(warden_bomb_requests_total{otel_metric_overflow="true"})`); overflow != 1 {
		t.Errorf("want one overflow series, got %v", overflow)
	}
	if bad := guardedProm.SelfMetric(t, "prometheus_http_requests_total", `handler="/api/v1/write"`, `code="4`); bad != 0 {
		t.Errorf("guarded Prometheus answered %v remote-write requests with 4xx", bad)
	}
	if failed := guarded.SelfMetric(t, "otelcol_exporter_send_failed_metric_points"); failed != 0 {
		t.Errorf("guarded collector failed to send %v points", failed)
	}
	if folded := guarded.SelfMetric(t, "otelcol_processor_cardinality_guard_datapoints_folded"); folded < users {
		t.Errorf("guard folded %v points, want at least %d", folded, users)
	}
	if active := guarded.SelfMetric(t, "otelcol_processor_cardinality_guard_series_active"); active != 200 {
		t.Errorf("otelcol_processor_cardinality_guard_series_active = %v, want the cap (200)", active)
	}
	Eventually(t, 30*time.Second, func() bool { return strings.Contains(guarded.Log(), "seriesCountByMetricName") },
		"no cardinality_guard report (tsdb status shape) in the guarded collector's log")
	if strings.Contains(guarded.Log(), "user-") {
		t.Errorf("a user_id value reached the collector's log")
	}

	// Control: the same bomb without the guard.
	Eventually(t, 90*time.Second, func() bool { return controlProm.HeadSeries(t) >= users },
		"control head series %v, want >= %d", controlProm.HeadSeries(t), users)
	t.Logf("control (no guard): prometheus_tsdb_head_series %v", controlProm.HeadSeries(t))
	_ = control
}
