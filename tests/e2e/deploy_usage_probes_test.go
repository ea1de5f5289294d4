package e2e

import (
	"fmt"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// TestDeployUsageCountsWhatTheAgentFilters runs the shipped agent config and checks that
// usage_meter/received sees what the team sent, before filter/probes and filter/debug_logs remove
// probe traffic and DEBUG logs, and that usage_meter/exported sees what is left: the difference
// between the stages is what the agent saved the team, so the filtered records must be in it.
func TestDeployUsageCountsWhatTheAgentFilters(t *testing.T) {
	const batches, kept, probes, debug = 3, 20, 5, 5
	loki := startLokiTenants(t)
	d := newLoopbackDeployment(t)
	d.lokiEndpoint = loki.server.URL + "/otlp"
	d.startAgents(1) // no gateway: spans wait in the agent's queue, after usage_meter/exported
	agent := d.agents[0]
	client := NewOTLPClient(t, agent.grpc)
	for b := range batches {
		if err := client.SendLogs(probeAndDebugLogs(b, kept, probes, debug)); err != nil {
			t.Fatalf("logs batch %d: %v", b, err)
		}
		if err := client.SendTraces(probeSpans(b, kept, probes)); err != nil {
			t.Fatalf("traces batch %d: %v", b, err)
		}
	}

	count := func(stage, signal string) float64 {
		return agent.SelfMetric(t, "otelcol_processor_usage_meter_records",
			`stage="`+stage+`"`, `signal="`+signal+`"`, `team="probes-team"`)
	}
	want := map[[2]string]float64{
		{"received", "logs"}:   batches * (kept + probes + debug),
		{"exported", "logs"}:   batches * kept,
		{"received", "traces"}: batches * (kept + probes),
		{"exported", "traces"}: batches * kept,
	}
	Eventually(t, 30*time.Second, func() bool {
		return count("exported", "logs") >= want[[2]string{"exported", "logs"}] &&
			count("exported", "traces") >= want[[2]string{"exported", "traces"}]
	}, "usage_meter/exported never counted every batch")
	for key, n := range want {
		if got := count(key[0], key[1]); got != n {
			t.Errorf("%s at %s: counted %v records, want %v", key[1], key[0], got, n)
		}
	}
	if got := len(loki.received("probes-team")); got != batches*kept {
		t.Errorf("Loki's probes-team tenant received %d records, want %d", got, batches*kept)
	}
}

// probeAndDebugLogs: kept INFO records, probes records of a kube-probe request and debug DEBUG
// records, all from one team's namespace.
func probeAndDebugLogs(batch, kept, probes, debug int) plog.Logs {
	ld := plog.NewLogs()
	rl := ld.ResourceLogs().AppendEmpty()
	rl.Resource().Attributes().PutStr("k8s.namespace.name", "probes-team")
	rl.Resource().Attributes().PutStr("service.name", "probes-api")
	lrs := rl.ScopeLogs().AppendEmpty().LogRecords()
	add := func(n int, sev plog.SeverityNumber, body string, probe bool) {
		for i := range n {
			lr := lrs.AppendEmpty()
			lr.SetSeverityNumber(sev)
			lr.SetTimestamp(pcommon.NewTimestampFromTime(time.Now()))
			lr.Body().SetStr(fmt.Sprintf(body, batch, i))
			if probe {
				lr.Attributes().PutStr("url.path", "/healthz")
				lr.Attributes().PutStr("user_agent.original", "kube-probe/1.31")
			}
		}
	}
	add(kept, plog.SeverityNumberInfo, "order %d-%d shipped", false)
	add(probes, plog.SeverityNumberInfo, "GET /healthz 200 batch %d probe %d", true)
	add(debug, plog.SeverityNumberDebug, "cache lookup %d-%d", false)
	return ld
}

// probeSpans: kept server spans and probes spans of kube-probe health checks, one trace each.
func probeSpans(batch, kept, probes int) ptrace.Traces {
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	rs.Resource().Attributes().PutStr("k8s.namespace.name", "probes-team")
	rs.Resource().Attributes().PutStr("service.name", "probes-api")
	spans := rs.ScopeSpans().AppendEmpty().Spans()
	now := time.Now()
	for i := range kept + probes {
		s := spans.AppendEmpty()
		s.SetTraceID(pcommon.TraceID{0xab, byte(batch), byte(i), 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13})
		s.SetSpanID(pcommon.SpanID{0xcd, byte(batch), byte(i), 1, 2, 3, 4, 5})
		s.SetKind(ptrace.SpanKindServer)
		s.SetStartTimestamp(pcommon.NewTimestampFromTime(now.Add(-20 * time.Millisecond)))
		s.SetEndTimestamp(pcommon.NewTimestampFromTime(now))
		if i < kept {
			s.SetName("GET /orders/{id}")
			s.Attributes().PutStr("url.path", fmt.Sprintf("/orders/%d", i))
		} else {
			s.SetName("GET /healthz")
			s.Attributes().PutStr("url.path", "/healthz")
			s.Attributes().PutStr("user_agent.original", "kube-probe/1.31")
		}
	}
	return td
}
