package e2e

import (
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// usageConfig meters every signal first and last; noisy has a log budget of 10 kB/s.
const usageConfig = `
receivers:
  otlp:
    protocols:
      grpc: {endpoint: "${env:OTLP}", max_recv_msg_size_mib: 64}
processors:
  usage_meter/received:
    budgets:
      noisy:
        logs: {bytes_per_second: 10000, burst_bytes: 10000}
  batch:
    timeout: 200ms
  usage_meter/exported:
    prices: {logs_per_gb: 0.5, spans_per_million: 1.7, series_per_month: 0.008, currency: USD}
    report: {interval: 2s, top_n: 5}
exporters:
  otlp_grpc:
    endpoint: "${env:SINK}"
    tls: {insecure: true}
    compression: none
service:
  pipelines:
    traces: {receivers: [otlp], processors: [usage_meter/received, batch, usage_meter/exported], exporters: [otlp_grpc]}
    logs: {receivers: [otlp], processors: [usage_meter/received, batch, usage_meter/exported], exporters: [otlp_grpc]}
    metrics: {receivers: [otlp], processors: [usage_meter/received, batch, usage_meter/exported], exporters: [otlp_grpc]}
`

var usageTeams = []string{"payments", "search", "checkout"}

// Personal data a careless deployment could put where the team is read; none may become a label.
var usageCanaries = []string{"jane.doe@example.com", "203.0.113.77", "4111111111111111", "+14155550123"}

func usageLogs(team string, info, warn int) plog.Logs {
	ld := plog.NewLogs()
	rl := ld.ResourceLogs().AppendEmpty()
	rl.Resource().Attributes().PutStr("k8s.namespace.name", team)
	rl.Resource().Attributes().PutStr("service.name", "api")
	sl := rl.ScopeLogs().AppendEmpty()
	for i := 0; i < info+warn; i++ {
		lr := sl.LogRecords().AppendEmpty()
		lr.SetTimestamp(1)
		if i < info {
			lr.SetSeverityNumber([]plog.SeverityNumber{plog.SeverityNumberInfo, plog.SeverityNumberDebug}[i%2])
		} else {
			lr.SetSeverityNumber([]plog.SeverityNumber{plog.SeverityNumberWarn, plog.SeverityNumberError}[i%2])
		}
		lr.Body().SetStr(fmt.Sprintf(`{"msg":"order %d placed","cart_items":%d,"latency_ms":%d}`, i, i%7, i%250))
		lr.Attributes().PutStr("http.route", "/api/orders/{id}")
	}
	return ld
}

func usageTraces(team string, spans int) ptrace.Traces {
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	rs.Resource().Attributes().PutStr("k8s.namespace.name", team)
	ss := rs.ScopeSpans().AppendEmpty()
	for i := 0; i < spans; i++ {
		sp := ss.Spans().AppendEmpty()
		sp.SetName("GET /api/orders/{id}")
		sp.SetTraceID([16]byte{byte(i), byte(i >> 8), 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14})
		sp.SetSpanID([8]byte{byte(i), byte(i >> 8), 1, 2, 3, 4, 5, 6})
		sp.Attributes().PutInt("http.response.status_code", 200)
	}
	return td
}

func usageMetrics(team string, series int) pmetric.Metrics {
	md := pmetric.NewMetrics()
	rm := md.ResourceMetrics().AppendEmpty()
	rm.Resource().Attributes().PutStr("k8s.namespace.name", team)
	m := rm.ScopeMetrics().AppendEmpty().Metrics().AppendEmpty()
	m.SetName("http.server.active_requests")
	dps := m.SetEmptyGauge().DataPoints()
	for i := 0; i < series; i++ {
		dp := dps.AppendEmpty()
		dp.SetIntValue(int64(i))
		dp.Attributes().PutStr("http.route", fmt.Sprintf("/r/%d", i))
	}
	return md
}

// recordsByTeam counts, per k8s.namespace.name, what the sink received.
type sinkUsage struct {
	records map[string]map[string]int // signal -> team -> records
	warnUp  map[string]int            // team -> log records at WARN or above
	bytes   map[string]int64          // signal -> Σ protobuf size of the received requests
}

// sinkTeam is the team usage_meter resolves for a namespace the test sent: canaries are refused
// as team values, so their records belong to default_team.
func sinkTeam(namespace string) string {
	for _, c := range usageCanaries {
		if namespace == c {
			return "unattributed"
		}
	}
	return namespace
}

func readSinkUsage(t *testing.T, sink *Sink) sinkUsage {
	u := sinkUsage{records: map[string]map[string]int{"traces": {}, "logs": {}, "metrics": {}}, warnUp: map[string]int{}, bytes: map[string]int64{}}
	for _, ld := range sink.Logs(t) {
		u.bytes["logs"] += int64((&plog.ProtoMarshaler{}).LogsSize(ld))
		for i := 0; i < ld.ResourceLogs().Len(); i++ {
			rl := ld.ResourceLogs().At(i)
			tv, _ := rl.Resource().Attributes().Get("k8s.namespace.name")
			team := sinkTeam(tv.Str())
			for j := 0; j < rl.ScopeLogs().Len(); j++ {
				lrs := rl.ScopeLogs().At(j).LogRecords()
				u.records["logs"][team] += lrs.Len()
				for k := 0; k < lrs.Len(); k++ {
					if lrs.At(k).SeverityNumber() >= plog.SeverityNumberWarn {
						u.warnUp[team]++
					}
				}
			}
		}
	}
	for _, td := range sink.Traces(t) {
		u.bytes["traces"] += int64((&ptrace.ProtoMarshaler{}).TracesSize(td))
		for i := 0; i < td.ResourceSpans().Len(); i++ {
			rs := td.ResourceSpans().At(i)
			tv, _ := rs.Resource().Attributes().Get("k8s.namespace.name")
			for j := 0; j < rs.ScopeSpans().Len(); j++ {
				u.records["traces"][tv.Str()] += rs.ScopeSpans().At(j).Spans().Len()
			}
		}
	}
	for _, md := range sink.Metrics(t) {
		u.bytes["metrics"] += int64((&pmetric.ProtoMarshaler{}).MetricsSize(md))
		for i := 0; i < md.ResourceMetrics().Len(); i++ {
			rm := md.ResourceMetrics().At(i)
			tv, _ := rm.Resource().Attributes().Get("k8s.namespace.name")
			one := pmetric.NewMetrics()
			rm.CopyTo(one.ResourceMetrics().AppendEmpty())
			u.records["metrics"][tv.Str()] += one.DataPointCount()
		}
	}
	return u
}

// TestUsageMeterCountsAndBudgets checks, on the built binary, that usage_meter counts exactly what
// reaches an OTLP sink per team, that its byte count at `exported` matches the protobuf bodies the
// sink receives, that a team sending 10x its log budget loses only its own records below WARN, and
// that personal data put where the team is read never becomes a label.
func TestUsageMeterCountsAndBudgets(t *testing.T) {
	sink := StartOTLPSink(t)
	otlp := FreeEndpoint(t)
	col := StartCollector(t, usageConfig, WithEnv("OTLP="+otlp, "SINK="+sink.GRPCEndpoint()))
	client := NewOTLPClient(t, otlp)

	sent := map[string]map[string]int{"traces": {}, "logs": {}, "metrics": {}}
	sentWarn := map[string]int{}
	send := func(team string, ld plog.Logs) {
		if err := client.SendLogs(ld); err != nil {
			t.Fatalf("send logs: %v", err)
		}
		sent["logs"][team] += ld.LogRecordCount()
	}
	// The noisy team sends 8 requests of ~100 kB (800 INFO/DEBUG + 200 WARN/ERROR each) back to
	// back: at least 10x its 10 kB/s budget unless sending 800 kB takes more than 8 s.
	for round := 0; round < 8; round++ {
		send("noisy", usageLogs("noisy", 800, 200))
		sentWarn["noisy"] += 200
		for _, team := range usageTeams {
			send(team, usageLogs(team, 40, 10))
			if err := client.SendTraces(usageTraces(team, 30)); err != nil {
				t.Fatal(err)
			}
			sent["traces"][team] += 30
			if err := client.SendMetrics(usageMetrics(team, 25)); err != nil {
				t.Fatal(err)
			}
			sent["metrics"][team] += 25
		}
	}
	for _, canary := range usageCanaries {
		ld := usageLogs(canary, 1, 1)
		ld.ResourceLogs().At(0).Resource().Attributes().PutStr("service.namespace", canary)
		ld.ResourceLogs().At(0).Resource().Attributes().PutStr("service.name", canary)
		send("unattributed", ld)
	}

	// Wait until the sink has everything the collector counted at `exported` (batch + exporter).
	var u sinkUsage
	Eventually(t, 60*time.Second, func() bool {
		u = readSinkUsage(t, sink)
		exp := col.SelfMetric(t, "otelcol_processor_usage_meter_records", `stage="exported"`)
		got := 0
		for _, m := range u.records {
			for _, n := range m {
				got += n
			}
		}
		return exp > 0 && float64(got) == exp &&
			col.SelfMetric(t, "otelcol_processor_usage_meter_records", `stage="received"`, `signal="metrics"`) == 75*8
	}, "the sink holds every record counted at exported")
	exposition := col.SelfMetrics(t)

	// Exact: records counted per team at each stage = records sent (received, before the budget)
	// and at the sink (exported).
	for sig, teams := range u.records {
		for team, n := range teams {
			got := SumSamples(exposition, "otelcol_processor_usage_meter_records", `stage="exported"`, `signal="`+sig+`"`, `team="`+team+`"`)
			if int(got) != n {
				t.Errorf("%s of %s: counted %v at exported, sink has %d", sig, team, got, n)
			}
		}
	}
	for sig, teams := range sent {
		for team, n := range teams {
			got := SumSamples(exposition, "otelcol_processor_usage_meter_records", `stage="received"`, `signal="`+sig+`"`, `team="`+team+`"`)
			if int(got) != n {
				t.Errorf("%s of %s: counted %v at received, sent %d", sig, team, got, n)
			}
		}
	}
	// Bytes at exported within 1% of the uncompressed protobuf bodies the sink received.
	for sig, want := range u.bytes {
		got := SumSamples(exposition, "otelcol_processor_usage_meter_bytes", `stage="exported"`, `signal="`+sig+`"`)
		if math.Abs(got-float64(want)) > 0.01*float64(want) {
			t.Errorf("%s bytes at exported: %v, sink received %d (%.2f%% off)", sig, got, want, 100*(got-float64(want))/float64(want))
		} else {
			t.Logf("%s bytes at exported: %v, sink received %d", sig, got, want)
		}
	}

	// Isolated: every record of the other teams arrives, every WARN+ of the noisy team arrives,
	// and the noisy team loses INFO/DEBUG records, each counted.
	for _, team := range usageTeams {
		if u.records["logs"][team] != sent["logs"][team] {
			t.Errorf("team %s: %d of %d log records arrived", team, u.records["logs"][team], sent["logs"][team])
		}
	}
	if u.warnUp["noisy"] != sentWarn["noisy"] {
		t.Errorf("noisy: %d of %d WARN+ records arrived", u.warnUp["noisy"], sentWarn["noisy"])
	}
	lost := sent["logs"]["noisy"] - u.records["logs"]["noisy"]
	if lost <= 0 {
		t.Errorf("noisy sent 10x its budget and lost nothing")
	}
	if dropped := SumSamples(exposition, "otelcol_processor_usage_meter_dropped", `team="noisy"`, `signal="logs"`, `reason="budget_exceeded"`); int(dropped) != lost {
		t.Errorf("noisy: %d records lost, %v counted as dropped", lost, dropped)
	}
	t.Logf("noisy: %d of %d INFO/DEBUG records dropped", lost, sent["logs"]["noisy"]-sentWarn["noisy"])
	Eventually(t, 10*time.Second, func() bool {
		return strings.Contains(col.Log(), "usage_meter: team over budget, throttling")
	}, "throttling start is logged")
	if n := strings.Count(col.Log(), "usage_meter: team over budget, throttling"); n != 1 {
		t.Errorf("throttling start logged %d times", n)
	}

	// Safe: no canary in any self-metric label or in the log; they are counted as rejected.
	Eventually(t, 10*time.Second, func() bool {
		return strings.Contains(col.Log(), "usage_meter: usage report")
	}, "a usage report is logged")
	for _, canary := range usageCanaries {
		if strings.Contains(col.SelfMetrics(t), canary) || strings.Contains(col.Log(), canary) {
			t.Errorf("canary %q reached the self-telemetry or the log", canary)
		}
	}
	if SumSamples(exposition, "otelcol_processor_usage_meter_team_values_rejected") == 0 {
		t.Errorf("canary team values were not counted as rejected")
	}
}
