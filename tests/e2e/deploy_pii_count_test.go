package e2e

import (
	"fmt"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// piiSpans is one request of spans of service `service` in namespace `ns`: `withPII` of them carry an
// e-mail address in an attribute, `clean` carry none.
func piiSpans(service, ns string, batch, withPII, clean int) ptrace.Traces {
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	rs.Resource().Attributes().PutStr("service.name", service)
	rs.Resource().Attributes().PutStr("k8s.namespace.name", ns)
	ss := rs.ScopeSpans().AppendEmpty()
	ss.Scope().SetName("e2e.piicount")
	now := time.Now()
	for i := range withPII + clean {
		s := ss.Spans().AppendEmpty()
		var tid pcommon.TraceID
		copy(tid[:], fmt.Sprintf("pii%05d%08d", batch, i))
		s.SetTraceID(tid)
		s.SetSpanID(pcommon.SpanID{1, byte(batch), byte(i), 4, 5, 6, 7, 8})
		s.SetName("POST /account")
		s.SetStartTimestamp(pcommon.NewTimestampFromTime(now.Add(-10 * time.Millisecond)))
		s.SetEndTimestamp(pcommon.NewTimestampFromTime(now))
		if i < withPII {
			s.Attributes().PutStr("user.email", fmt.Sprintf("jane.doe.%d.%d@example.com", batch, i))
		} else {
			s.Attributes().PutStr("account.plan", "basic")
		}
	}
	return td
}

// TestDeployPIICountPerService runs agent -> gateway -> real Prometheus with the shipped configs and
// checks that the per-service PII counts (count/pii after pii_scrub, the input of the
// WardenPIIServiceSpike alert) arrive in Prometheus with the metrics the agent sends, one series per
// service and namespace, with exactly the number of records and spans pii_scrub marked.
func TestDeployPIICountPerService(t *testing.T) {
	const batches = 4
	const spanPII, spanClean = 3, 2
	prom := StartPrometheus(t, WithOutOfOrderWindow("30m"))
	d := newLoopbackDeployment(t)
	d.remoteWriteURL = prom.RemoteWriteURL()
	loki := startLokiTenants(t)
	d.lokiEndpoint = loki.server.URL + "/otlp"
	d.startGateways(1)
	d.startAgents(1)
	client := NewOTLPClient(t, d.agents[0].grpc)

	for b := range batches {
		if err := client.SendLogs(tenantLogs(b)); err != nil {
			t.Fatalf("sending logs: %v", err)
		}
		if err := client.SendTraces(piiSpans("signup-api", "accounts", b, spanPII, spanClean)); err != nil {
			t.Fatalf("sending spans: %v", err)
		}
	}
	// Every namespace's service gets trPIIPerNamespace scrubbed records per batch (marked by pii_scrub,
	// delivered to the restricted tenant); signup-api gets spanPII scrubbed spans per batch.
	want := map[string]float64{}
	for _, ns := range trNamespaces {
		want[fmt.Sprintf(`otelcol_warden_pii_scrubbed_log_records_total{service_name=%q,k8s_namespace_name=%q}`, ns+"-api", ns)] = trPIIPerNamespace * batches
	}
	want[`otelcol_warden_pii_scrubbed_spans_total{service_name="signup-api",k8s_namespace_name="accounts"}`] = spanPII * batches

	got := map[string]float64{}
	Eventually(t, 2*time.Minute, func() bool {
		for q, w := range want {
			got[q] = 0
			for _, s := range prom.Query(t, q) {
				got[q] += s.Value
			}
			if got[q] < w {
				return false
			}
		}
		return true
	}, "Prometheus never held the per-service PII counts (want %v)", want)
	for q, w := range want {
		t.Logf("pii count: %s = %.0f (want %.0f)", q, got[q], w)
		if got[q] != w {
			t.Errorf("%s = %.0f, want %.0f", q, got[q], w)
		}
	}
	// One series per service and namespace, written by the agent (instance = its node), not one per batch.
	series := prom.Query(t, `count by (__name__, service_name, k8s_namespace_name, instance) ({__name__=~"otelcol_warden_pii_scrubbed_.*"})`)
	for _, s := range series {
		t.Logf("pii count series: %v", s.Labels)
		if s.Labels["instance"] != d.agents[0].name {
			t.Errorf("series %v: instance %q, want the agent's node %q", s.Labels, s.Labels["instance"], d.agents[0].name)
		}
	}
	if len(series) != len(want) {
		t.Errorf("%d PII count series, want %d (one per service and namespace)", len(series), len(want))
	}
	if n := len(loki.received("restricted")); n != trPIIPerNamespace*len(trNamespaces)*batches {
		t.Errorf("the restricted tenant received %d records, want %d", n, trPIIPerNamespace*len(trNamespaces)*batches)
	}
}
