package e2e

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/sampling"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// The tail_policy e2e workload. Every trace's fate is known in advance:
//
//   - errors (a db span with status Error, or the root answering 503), slow outliers (10-20x the
//     route's normal latency, 2% of each route) and synthetic checks (user agent or attribute) must
//     all arrive, complete, late spans included;
//   - every other trace reaches the probabilistic rules, unless the learned p95 itself finds it slow
//     (about 3% of a route's normal traces lie above the p95 of the mix): its decision is computed here
//     exactly, with pkg/sampling, from the trace id's randomness and the rule's threshold.
//
// The normal traces of each route take their (randomness, duration) pair from the R2 low-discrepancy
// sequence, so that any slice of them (normal latency and rnd >= threshold) holds very nearly its
// expected share: the keep rates and the re-weighted span counts are then tight at 20 000 traces,
// where independent random ids would leave a few percent of noise on a 5% rule.
//
// One collector receives everything. Pipeline traces/truth feeds a span_metrics connector with every
// span (ground truth, before sampling); pipeline traces/sampled runs tail_policy and feeds both the
// OTLP sink and a second span_metrics connector, which re-weights each span by its tracestate th
// (the connector's adjusted count, 1/(1-th/2^56)). Both connectors' cumulative calls are written to
// the sink and compared series by series.

const (
	tpWarmupNormals  = 150 // learned before the measured traces
	tpWarmupOutliers = 4
	tpErrorsPerRoute = 30
	tpSynthPerRoute  = 30
	tpBatch          = 200
)

type tpRoute struct {
	route     string // http.route, or "" when only url.path is set
	urlPath   func(k int) string
	highValue bool
	base      time.Duration // normal durations are uniform in [base, 2*base)
	normals   int           // measured normal traces; a quarter more get a late span
}

// A route mix where the high-value routes carry 15% of the traffic.
var tpRoutes = []tpRoute{
	{route: "/api/checkout", highValue: true, base: 40 * time.Millisecond, normals: 1000},
	{route: "/api/payment/{id}", highValue: true, base: 80 * time.Millisecond, normals: 700},
	{route: "/api/auth/login", highValue: true, base: 15 * time.Millisecond, normals: 1300},
	{route: "/api/catalog", base: 20 * time.Millisecond, normals: 6000},
	{route: "/api/search", base: 60 * time.Millisecond, normals: 4500},
	// No http.route: the route comes from the normalised url.path.
	{urlPath: func(k int) string { return fmt.Sprintf("/api/users/%d/orders", 100000+k) }, base: 10 * time.Millisecond, normals: 3500},
	// Normal requests take 0.7-1.4 s: a fixed 1 s threshold would keep half of them, the learned
	// baseline keeps only what is slow for this route.
	{route: "/api/reports", base: 700 * time.Millisecond, normals: 3000},
}

type tpKind int

const (
	tpNormal tpKind = iota
	tpOutlier
	tpError
	tpSynthetic
)

type tpTrace struct {
	id       pcommon.TraceID
	route    int
	kind     tpKind
	warmup   bool
	duration time.Duration
	late     bool // gets one more span after its decision
	errorVia int  // tpError: 0 = db span status Error, 1 = root http 503
	synthVia int  // tpSynthetic: 0 = Pingdom user agent, 1 = synthetic.monitor attribute
}

func (tr *tpTrace) name() string {
	r := tpRoutes[tr.route]
	if r.route != "" {
		return "GET " + r.route
	}
	return "GET /api/users/{id}/orders"
}

// r2 is Roberts' R2 sequence: the 2-D Kronecker sequence on the plastic number.
func r2(k int) (float64, float64) {
	const g = 1.32471795724474602596
	a1, a2 := 1/g, 1/(g*g)
	x := 0.5 + a1*float64(k)
	y := 0.5 + a2*float64(k)
	return x - math.Floor(x), y - math.Floor(y)
}

func tpTraceID(rng *rand.Rand, rnd uint64) pcommon.TraceID {
	var id pcommon.TraceID
	binary.BigEndian.PutUint64(id[:8], rng.Uint64())
	// Bytes 9-15 are the W3C trace randomness; byte 8 is not part of it.
	binary.BigEndian.PutUint64(id[8:], rnd&(1<<56-1)|uint64(rng.IntN(256))<<56)
	return id
}

// tpWorkload builds the warm-up traces and the measured traces (shuffled, deterministic). The normal
// traces of a route come from two R2 sequences: one for the traces that get a late span after their
// decision, one for the others, so that both sets are stratified.
func tpWorkload() (warmup, measured []*tpTrace) {
	rng := rand.New(rand.NewPCG(6, 2024))
	for ri, r := range tpRoutes {
		normals := func(n, offset int, warm, late bool) {
			for k := range n {
				u, v := r2(offset + k)
				tr := &tpTrace{
					id:       tpTraceID(rng, uint64(u*(1<<56))),
					route:    ri,
					kind:     tpNormal,
					warmup:   warm,
					duration: r.base + time.Duration(v*float64(r.base)),
					late:     late,
				}
				if warm {
					warmup = append(warmup, tr)
				} else {
					measured = append(measured, tr)
				}
			}
		}
		normals(tpWarmupNormals, 0, true, false)
		normals(r.normals, tpWarmupNormals, false, false)
		normals(r.normals/4, 1<<20, false, true)
		special := func(kind tpKind, n int, warm bool) {
			for i := range n {
				tr := &tpTrace{id: tpTraceID(rng, rng.Uint64()), route: ri, kind: kind, warmup: warm,
					duration: r.base + time.Duration(rng.Float64()*float64(r.base)), late: i%3 == 0,
					errorVia: i % 2, synthVia: i % 2}
				if kind == tpOutlier {
					tr.duration = time.Duration((10 + 10*rng.Float64()) * float64(r.base))
				}
				if warm {
					warmup = append(warmup, tr)
				} else {
					measured = append(measured, tr)
				}
			}
		}
		// Outliers are 1.6% of a route's traces, so its p95 lies among the normal latencies.
		special(tpOutlier, tpWarmupOutliers, true)
		special(tpOutlier, r.normals*5/4/60, false)
		special(tpError, tpErrorsPerRoute, false)
		special(tpSynthetic, tpSynthPerRoute, false)
	}
	rng.Shuffle(len(warmup), func(i, j int) { warmup[i], warmup[j] = warmup[j], warmup[i] })
	rng.Shuffle(len(measured), func(i, j int) { measured[i], measured[j] = measured[j], measured[i] })
	return warmup, measured
}

func tpSpanID(tr *tpTrace, n int) pcommon.SpanID {
	var id pcommon.SpanID
	copy(id[:], tr.id[:8])
	id[7] ^= byte(n + 1)
	id[0] |= 1 // never all-zero
	return id
}

// Spans of a trace: 0 root (frontend, server), 1 backend "process" (server), 2 db "SELECT" (client),
// 3 backend "cache.get" (client), 4 the late span (backend "late.callback", consumer), sent after
// the decision.
var tpSpanServices = []string{"frontend", "backend", "db", "backend", "backend"}

func tpAppendSpan(td ptrace.Traces, scopes map[string]ptrace.SpanSlice, tr *tpTrace, n int, now time.Time) {
	svc := tpSpanServices[n]
	slice, ok := scopes[svc]
	if !ok {
		rs := td.ResourceSpans().AppendEmpty()
		rs.Resource().Attributes().PutStr("service.name", svc)
		ss := rs.ScopeSpans().AppendEmpty()
		ss.Scope().SetName("e2e.tailpolicy")
		slice = ss.Spans()
		scopes[svc] = slice
	}
	s := slice.AppendEmpty()
	s.SetTraceID(tr.id)
	s.SetSpanID(tpSpanID(tr, n))
	start := now.Add(-tr.duration)
	s.SetStartTimestamp(pcommon.NewTimestampFromTime(start))
	if n == 0 {
		r := tpRoutes[tr.route]
		s.SetName(tr.name())
		s.SetKind(ptrace.SpanKindServer)
		if r.route != "" {
			s.Attributes().PutStr("http.route", r.route)
		} else {
			s.Attributes().PutStr("url.path", r.urlPath(int(tr.id[1])))
		}
		s.Attributes().PutStr("http.request.method", "GET")
		status := int64(200)
		if tr.kind == tpError && tr.errorVia == 1 {
			status = 503
		}
		s.Attributes().PutInt("http.response.status_code", status)
		if tr.kind == tpSynthetic {
			if tr.synthVia == 0 {
				s.Attributes().PutStr("user_agent.original", "Pingdom.com_bot_version_1.4_(http://www.pingdom.com/)")
			} else {
				s.Attributes().PutStr("synthetic.monitor", "checkout-flow")
			}
		} else {
			s.Attributes().PutStr("user_agent.original", "Mozilla/5.0 (X11; Linux x86_64)")
		}
		s.SetEndTimestamp(pcommon.NewTimestampFromTime(now))
		return
	}
	parent := 0
	if n == 2 || n == 3 {
		parent = 1
	}
	s.SetParentSpanID(tpSpanID(tr, parent))
	switch n {
	case 1:
		s.SetName("process")
		s.SetKind(ptrace.SpanKindServer)
		s.SetEndTimestamp(pcommon.NewTimestampFromTime(now.Add(-tr.duration / 10)))
	case 2:
		s.SetName("SELECT")
		s.SetKind(ptrace.SpanKindClient)
		s.Attributes().PutStr("db.system.name", "postgresql")
		s.SetEndTimestamp(pcommon.NewTimestampFromTime(start.Add(tr.duration / 2)))
		if tr.kind == tpError && tr.errorVia == 0 {
			s.Status().SetCode(ptrace.StatusCodeError)
			s.Status().SetMessage("deadlock detected")
		}
	case 3:
		s.SetName("cache.get")
		s.SetKind(ptrace.SpanKindClient)
		s.SetEndTimestamp(pcommon.NewTimestampFromTime(start.Add(tr.duration / 4)))
	case 4:
		s.SetName("late.callback")
		s.SetKind(ptrace.SpanKindConsumer)
		s.SetStartTimestamp(pcommon.NewTimestampFromTime(now.Add(-time.Millisecond)))
		s.SetEndTimestamp(pcommon.NewTimestampFromTime(now))
	}
}

// tpSendBatch sends a batch of traces as two requests: spans 0-1 of the even traces with spans 2-3 of
// the odd ones, then the rest, so every trace is split across requests and half the roots come last.
func tpSendBatch(t *testing.T, client *OTLPClient, batch []*tpTrace) {
	t.Helper()
	now := time.Now()
	for part := range 2 {
		td := ptrace.NewTraces()
		scopes := map[string]ptrace.SpanSlice{}
		for i, tr := range batch {
			first := 0
			if (i+part)%2 == 1 {
				first = 2
			}
			tpAppendSpan(td, scopes, tr, first, now)
			tpAppendSpan(td, scopes, tr, first+1, now)
		}
		if err := client.SendTraces(td); err != nil {
			t.Fatalf("sending a batch: %v", err)
		}
	}
}

const tpCollectorConfig = `
receivers:
  otlp:
    protocols:
      grpc: {endpoint: "${env:IN}", max_recv_msg_size_mib: 64}
processors:
  tail_policy:
    decision_delay: 2s
    trace_timeout: 30s
    memory:
      compact_percent: ${env:COMPACT_PERCENT}
    baseline:
      # Short sub-windows so the baseline arms a few seconds after the warm-up. static_fallback is
      # out of reach: until a route's baseline is armed nothing is "slow", so a missed outlier would
      # show that the learned baseline did not work.
      window: 40s
      sub_windows: 8
      min_samples: 100
      static_fallback: 1h
connectors:
  span_metrics/truth:
    namespace: truth
    metrics_flush_interval: 1s
    histogram: {disable: true}
  span_metrics/sampled:
    namespace: sampled
    metrics_flush_interval: 1s
    histogram: {disable: true}
exporters:
  otlp_grpc:
    endpoint: "${env:SINK}"
    tls: {insecure: true}
service:
  pipelines:
    traces/truth: {receivers: [otlp], exporters: [span_metrics/truth]}
    traces/sampled: {receivers: [otlp], processors: [tail_policy], exporters: [otlp_grpc, span_metrics/sampled]}
    metrics: {receivers: [span_metrics/truth, span_metrics/sampled], exporters: [otlp_grpc]}
`

const tpMetric = "otelcol_processor_tail_policy_"

// tpSelfMetric sums a tail_policy self-metric, whether or not the exposition adds a _total suffix.
func tpSelfMetric(t *testing.T, exposition, name string, labels ...string) float64 {
	t.Helper()
	return SumSamples(exposition, tpMetric+name, labels...) + SumSamples(exposition, tpMetric+name+"_total", labels...)
}

func countSeries(exposition, name string) int {
	n := 0
	for _, line := range strings.Split(exposition, "\n") {
		if strings.HasPrefix(line, name+"{") {
			n++
		}
	}
	return n
}

type tpSeen struct {
	spans map[pcommon.SpanID]bool
	rules map[string]int
	ths   map[string]int
}

// TestTailPolicyWorkload runs the workload twice: with memory.compact_percent 50 (below that fill,
// which this workload stays under, spans are buffered as references into the received pdata) and
// with 0, the default (every span buffered in the compact encoding, codec.go). The decisions must
// not depend on the encoding.
func TestTailPolicyWorkload(t *testing.T) {
	for _, compact := range []string{"50", "0"} {
		t.Run("compact_percent="+compact, func(t *testing.T) { testTailPolicyWorkload(t, compact) })
	}
}

func testTailPolicyWorkload(t *testing.T, compactPercent string) {
	sink := StartOTLPSink(t)
	in := FreeEndpoint(t)
	col := StartCollector(t, tpCollectorConfig, WithName("tail-policy"),
		WithEnv("IN="+in, "SINK="+sink.GRPCEndpoint(), "COMPACT_PERCENT="+compactPercent))
	client := NewOTLPClient(t, in)
	warmup, measured := tpWorkload()
	all := append(append([]*tpTrace{}, warmup...), measured...)

	// 1. Warm-up: the baselines learn each route's latency, then arm at the next rotation.
	for i := 0; i < len(warmup); i += tpBatch {
		tpSendBatch(t, client, warmup[i:min(i+tpBatch, len(warmup))])
	}
	Eventually(t, 30*time.Second, func() bool {
		return countSeries(col.SelfMetrics(t), tpMetric+"baseline_quantile") >= len(tpRoutes)
	}, "the learned baselines of all %d routes did not arm", len(tpRoutes))
	exp := col.SelfMetrics(t)
	for _, line := range strings.Split(exp, "\n") {
		if strings.HasPrefix(line, tpMetric+"baseline_quantile{") {
			t.Logf("armed: %s", line)
		}
	}

	// 2. The measured workload, every trace split over two requests.
	began := time.Now()
	for i := 0; i < len(measured); i += tpBatch {
		tpSendBatch(t, client, measured[i:min(i+tpBatch, len(measured))])
	}
	sendTime := time.Since(began)
	Eventually(t, 60*time.Second, func() bool {
		e := col.SelfMetrics(t)
		return tpSelfMetric(t, e, "traces") >= float64(len(all)) && SumSamples(e, tpMetric+"buffered_traces") == 0
	}, "tail_policy did not decide all %d traces", len(all))

	// 3. Late spans, after every decision: they must follow it (same rule, same th) or be dropped.
	var late []*tpTrace
	for _, tr := range all {
		if tr.late {
			late = append(late, tr)
		}
	}
	for i := 0; i < len(late); i += 500 {
		td := ptrace.NewTraces()
		scopes := map[string]ptrace.SpanSlice{}
		for _, tr := range late[i:min(i+500, len(late))] {
			tpAppendSpan(td, scopes, tr, 4, time.Now())
		}
		if err := client.SendTraces(td); err != nil {
			t.Fatalf("sending late spans: %v", err)
		}
	}
	var keptSpans, lateSeen, exported float64
	defer func() {
		if t.Failed() {
			t.Logf("late spans handled %.0f of %d; kept spans %.0f, exported %.0f", lateSeen, len(late), keptSpans, exported)
		}
	}()
	Eventually(t, 60*time.Second, func() bool {
		e := col.SelfMetrics(t)
		lateSeen = tpSelfMetric(t, e, "late_spans", `outcome="kept"`) + tpSelfMetric(t, e, "late_spans", `outcome="dropped"`) + tpSelfMetric(t, e, "late_spans", `outcome="orphan"`)
		keptSpans = tpSelfMetric(t, e, "spans", `decision="kept"`)
		exported = SumSamples(e, "otelcol_exporter_sent_spans_total") + SumSamples(e, "otelcol_exporter_sent_spans")
		// Early-kept traces count their later spans as late too, so >=.
		return lateSeen >= float64(len(late)) && keptSpans > 0 && exported >= keptSpans
	}, "late spans not all handled, or kept spans not all exported (see the next line)")
	var seen map[pcommon.TraceID]*tpSeen
	Eventually(t, 30*time.Second, func() bool {
		seen = tpCollect(sink.Traces(t))
		n := 0
		for _, v := range seen {
			n += len(v.spans)
		}
		return float64(n) >= keptSpans
	}, "the sink did not receive the %v kept spans", keptSpans)
	settled := time.Now()

	// 4. Ground truth against what arrived.
	th50, _ := sampling.ProbabilityToThresholdWithPrecision(0.5, 4)
	th5, _ := sampling.ProbabilityToThresholdWithPrecision(0.05, 4)
	type rate struct{ reached, kept int }
	var hv, def rate
	var failures []string
	fail := func(format string, args ...any) {
		if len(failures) < 20 {
			failures = append(failures, fmt.Sprintf(format, args...))
		}
	}
	keptBy := map[string]int{}
	var sentSpans, keptTraces, slowNormals, measuredNormals int
	slowNormalsPerRoute := make([]int, len(tpRoutes))
	for _, tr := range all {
		want := 4
		if tr.late {
			want = 5
		}
		sentSpans += want
		v := seen[tr.id]
		rule, th := "", ""
		if v != nil {
			keptTraces++
			if len(v.rules) != 1 || len(v.ths) != 1 {
				fail("trace %s: spans disagree on the decision: rules %v, th %v", tr.id, v.rules, v.ths)
			}
			for r := range v.rules {
				rule = r
			}
			for x := range v.ths {
				th = x
			}
			keptBy[rule]++
			if len(v.spans) != want {
				fail("trace %s (%s, kind %d) kept by %q arrived with %d of %d spans", tr.id, tr.name(), tr.kind, rule, len(v.spans), want)
			}
		}
		if tr.warmup {
			continue
		}
		switch tr.kind {
		case tpError:
			if rule != "errors" || th != "0" {
				fail("error trace %s: rule %q th %q, want errors th:0", tr.id, rule, th)
			}
			continue
		case tpOutlier:
			if rule != "slow" || th != "0" {
				fail("slow outlier %s (%s, %s): rule %q th %q, want slow th:0", tr.id, tr.name(), tr.duration, rule, th)
			}
			continue
		}
		if tr.kind == tpNormal {
			measuredNormals++
		}
		if rule == "slow" {
			// Above the learned p95 of the route's mix: the top few percent of its normal latencies.
			slowNormals++
			slowNormalsPerRoute[tr.route]++
			if frac := float64(tr.duration-tpRoutes[tr.route].base) / float64(tpRoutes[tr.route].base); frac < 0.9 {
				fail("trace %s (%s) kept as slow at %s, below the route's 90th percentile of normal latency", tr.id, tr.name(), tr.duration)
			}
			continue
		}
		if tr.kind == tpSynthetic {
			if rule != "synthetic" || th != "0" {
				fail("synthetic trace %s: rule %q th %q, want synthetic th:0", tr.id, rule, th)
			}
			continue
		}
		// Reached the probabilistic rules: the decision is a function of the trace id.
		rnd := sampling.TraceIDToRandomness(tr.id)
		wantRule, wantTh, r := "default", th5, &def
		if tpRoutes[tr.route].highValue {
			wantRule, wantTh, r = "high_value", th50, &hv
		}
		r.reached++
		if wantTh.ShouldSample(rnd) {
			r.kept++
			if rule != wantRule || th != wantTh.TValue() {
				fail("trace %s (%s): rule %q th %q, want %s th:%s", tr.id, tr.name(), rule, th, wantRule, wantTh.TValue())
			}
		} else if v != nil {
			fail("trace %s (%s): kept by %q, but its randomness fails %s", tr.id, tr.name(), rule, wantRule)
		}
	}
	for _, f := range failures {
		t.Error(f)
	}
	hvRate, defRate := 100*float64(hv.kept)/float64(hv.reached), 100*float64(def.kept)/float64(def.reached)
	t.Logf("sent %d traces (%d warm-up + %d measured), %d spans incl. %d late; measured phase sent in %s",
		len(all), len(warmup), len(measured), sentSpans, len(late), sendTime.Round(time.Millisecond))
	t.Logf("kept traces per rule: %v", keptBy)
	t.Logf("high_value: %d of %d traces that reached the rule kept = %.2f%% (rule: 50%%)", hv.kept, hv.reached, hvRate)
	t.Logf("default:    %d of %d traces that reached the rule kept = %.2f%% (rule: 5%%)", def.kept, def.reached, defRate)
	t.Logf("slow rule on normal-latency traces (above the learned p95): %d of %d (%.2f%%), per route %v",
		slowNormals, measuredNormals, 100*float64(slowNormals)/float64(measuredNormals), slowNormalsPerRoute)
	kept := 0
	for _, v := range seen {
		kept += len(v.spans)
	}
	t.Logf("volume: %d of %d traces and %d of %d spans kept: reduction %.1f%% of traces, %.1f%% of spans",
		keptTraces, len(all), kept, sentSpans, 100*(1-float64(keptTraces)/float64(len(all))), 100*(1-float64(kept)/float64(sentSpans)))
	if len(measured) < 20000 || hv.reached+def.reached < 19000 {
		t.Errorf("%d measured traces, %d reached the probabilistic rules: too few for the rate check", len(measured), hv.reached+def.reached)
	}
	if math.Abs(hvRate-50) > 2 {
		t.Errorf("high_value keep rate %.2f%%, want 50 ± 2", hvRate)
	}
	if math.Abs(defRate-5) > 2 {
		t.Errorf("default keep rate %.2f%%, want 5 ± 2", defRate)
	}

	// 5. span_metrics after tail_policy, re-weighted by th, against span_metrics before it.
	var truth, sampled map[string]float64
	Eventually(t, 30*time.Second, func() bool {
		var last time.Time
		truth, sampled, last = tpSpanMetrics(sink.Metrics(t))
		// A flush of both connectors that began after every kept span had passed them.
		return last.After(settled.Add(1500 * time.Millisecond))
	}, "no span_metrics flush after the workload settled")
	keys := make([]string, 0, len(truth))
	for k := range truth {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var tTotal, sTotal, worst float64
	for _, k := range keys {
		tv, sv := truth[k], sampled[k]
		tTotal += tv
		sTotal += sv
		dev := 100 * (sv - tv) / tv
		worst = max(worst, math.Abs(dev))
		t.Logf("calls %-55s truth %6.0f  re-weighted %8.1f  %+6.2f%%", k, tv, sv, dev)
		if math.Abs(dev) > 2 {
			t.Errorf("series %s: re-weighted calls %.1f vs %.0f unsampled (%+.2f%%), want within 2%%", k, sv, tv, dev)
		}
	}
	if tTotal != float64(sentSpans) {
		t.Errorf("the truth connector counted %.0f spans, %d were sent", tTotal, sentSpans)
	}
	totalDev := 100 * (sTotal - tTotal) / tTotal
	t.Logf("span_metrics: total calls truth %.0f, re-weighted %.1f (%+.2f%%); worst series %.2f%%", tTotal, sTotal, totalDev, worst)
	if math.Abs(totalDev) > 2 {
		t.Errorf("total re-weighted calls %.1f vs %.0f unsampled (%+.2f%%), want within 2%%", sTotal, tTotal, totalDev)
	}

	// 6. Decision lag (deadline to decision) and time in buffer, from the processor's histograms.
	e := col.SelfMetrics(t)
	lagSum, lagCount := SumSamples(e, tpMetric+"decision_lag_sum"), SumSamples(e, tpMetric+"decision_lag_count")
	bufSum, bufCount := SumSamples(e, tpMetric+"trace_time_in_buffer_sum"), SumSamples(e, tpMetric+"trace_time_in_buffer_count")
	if lagCount > 0 {
		t.Logf("decision lag: mean %.1f ms over %.0f deadline decisions, p99 <= %s ms; mean time in buffer %.0f ms over %.0f traces",
			lagSum/lagCount, lagCount, tpHistogramQuantile(e, tpMetric+"decision_lag_bucket", 0.99), bufSum/max(bufCount, 1), bufCount)
	}
	t.Logf("triggers: root_span %.0f, early_keep %.0f, trace_timeout %.0f, eviction %.0f; late spans kept %.0f dropped %.0f orphan %.0f; bad input %.0f",
		tpSelfMetric(t, e, "traces", `trigger="root_span"`), tpSelfMetric(t, e, "traces", `trigger="early_keep"`),
		tpSelfMetric(t, e, "traces", `trigger="trace_timeout"`), tpSelfMetric(t, e, "traces", `trigger="eviction"`),
		tpSelfMetric(t, e, "late_spans", `outcome="kept"`), tpSelfMetric(t, e, "late_spans", `outcome="dropped"`),
		tpSelfMetric(t, e, "late_spans", `outcome="orphan"`), tpSelfMetric(t, e, "bad_input"))
}

func tpCollect(batches []ptrace.Traces) map[pcommon.TraceID]*tpSeen {
	out := map[pcommon.TraceID]*tpSeen{}
	ForEachSpan(batches, func(s ptrace.Span) {
		v := out[s.TraceID()]
		if v == nil {
			v = &tpSeen{spans: map[pcommon.SpanID]bool{}, rules: map[string]int{}, ths: map[string]int{}}
			out[s.TraceID()] = v
		}
		v.spans[s.SpanID()] = true
		rule, _ := s.Attributes().Get("sampling.rule")
		v.rules[rule.AsString()]++
		th := "<none>"
		if w3c, err := sampling.NewW3CTraceState(s.TraceState().AsRaw()); err == nil && w3c.OTelValue().TValue() != "" {
			th = w3c.OTelValue().TValue()
		}
		v.ths[th]++
	})
	return out
}

// tpSpanMetrics returns the latest cumulative calls per (service, span name, kind, status) of both
// connectors, and the time of the older of the two connectors' latest flushes (they flush on their own
// tickers, so one may not have flushed yet what the other already has).
func tpSpanMetrics(batches []pmetric.Metrics) (truth, sampled map[string]float64, last time.Time) {
	lastOf := map[string]time.Time{}
	type point struct {
		ts time.Time
		v  float64
	}
	latest := map[string]point{}
	for _, md := range batches {
		for i := 0; i < md.ResourceMetrics().Len(); i++ {
			rm := md.ResourceMetrics().At(i)
			svc, _ := rm.Resource().Attributes().Get("service.name")
			for j := 0; j < rm.ScopeMetrics().Len(); j++ {
				ms := rm.ScopeMetrics().At(j).Metrics()
				for k := 0; k < ms.Len(); k++ {
					m := ms.At(k)
					if m.Type() != pmetric.MetricTypeSum || (m.Name() != "truth.calls" && m.Name() != "sampled.calls") {
						continue
					}
					dps := m.Sum().DataPoints()
					for d := 0; d < dps.Len(); d++ {
						dp := dps.At(d)
						a := dp.Attributes()
						name, _ := a.Get("span.name")
						kind, _ := a.Get("span.kind")
						status, _ := a.Get("status.code")
						key := fmt.Sprintf("%s|%s %s/%s %s", m.Name(), svc.AsString(), name.AsString(),
							strings.TrimPrefix(kind.AsString(), "SPAN_KIND_"), strings.TrimPrefix(status.AsString(), "STATUS_CODE_"))
						ts := dp.Timestamp().AsTime()
						if p, ok := latest[key]; !ok || ts.After(p.ts) {
							latest[key] = point{ts, float64(dp.IntValue())}
						}
						if ts.After(lastOf[m.Name()]) {
							lastOf[m.Name()] = ts
						}
					}
				}
			}
		}
	}
	last = lastOf["truth.calls"]
	if lastOf["sampled.calls"].Before(last) {
		last = lastOf["sampled.calls"]
	}
	truth, sampled = map[string]float64{}, map[string]float64{}
	for key, p := range latest {
		metric, series, _ := strings.Cut(key, "|")
		if metric == "truth.calls" {
			truth[series] = p.v
		} else {
			sampled[series] = p.v
		}
	}
	return truth, sampled, last
}

// tpHistogramQuantile reads an upper bound of quantile q from a Prometheus histogram's buckets.
func tpHistogramQuantile(exposition, bucket string, q float64) string {
	type b struct {
		le    string
		upper float64
		count float64
	}
	var bs []b
	for _, line := range strings.Split(exposition, "\n") {
		if !strings.HasPrefix(line, bucket+"{") {
			continue
		}
		i := strings.Index(line, `le="`)
		if i < 0 {
			continue
		}
		le := line[i+4:]
		le = le[:strings.IndexByte(le, '"')]
		var upper, count float64
		if le == "+Inf" {
			upper = math.Inf(1)
		} else {
			_, _ = fmt.Sscan(le, &upper)
		}
		_, _ = fmt.Sscan(line[strings.LastIndexByte(line, ' ')+1:], &count)
		bs = append(bs, b{le, upper, count})
	}
	sort.Slice(bs, func(i, j int) bool { return bs[i].upper < bs[j].upper })
	if len(bs) == 0 {
		return "?"
	}
	total := bs[len(bs)-1].count
	for _, x := range bs {
		if x.count >= q*total {
			return x.le
		}
	}
	return "+Inf"
}
