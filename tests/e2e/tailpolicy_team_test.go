package e2e

import (
	"encoding/binary"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

const tpTeamConfig = `
receivers:
  otlp:
    protocols:
      grpc: {endpoint: "${env:IN}"}
processors:
  tail_policy:
    decision_delay: 500ms
    trace_timeout: 5s
    rules:
      - {name: errors, error: true, probability: 1}
      - {name: default, probability: 0.5}
    team_budgets:
      team_attributes: [service.namespace]
      teams: {noisy: 50}
exporters:
  otlp_grpc:
    endpoint: "${env:SINK}"
    tls: {insecure: true}
service:
  pipelines:
    traces: {receivers: [otlp], processors: [tail_policy], exporters: [otlp_grpc]}
`

type teamTrace struct {
	team  string
	error bool
	sent  time.Time
}

// TestTailPolicyTeamBudget runs tail_policy's per-team budgets on the built binary: the noisy team
// sends about ten times its 50 kept spans per second, the quiet team (no budget) the same traffic
// shape at a third of the rate. Only the noisy team's probabilistic rule is scaled, with th
// recomputed for the lower probability; all of its error traces are still kept at th 0, and the
// quiet team keeps half of its traces at th 8 throughout.
func TestTailPolicyTeamBudget(t *testing.T) {
	sink := StartOTLPSink(t)
	in := FreeEndpoint(t)
	col := StartCollector(t, tpTeamConfig, WithEnv("IN="+in, "SINK="+sink.GRPCEndpoint()))
	client := NewOTLPClient(t, in)

	rng := rand.New(rand.NewPCG(7, 13))
	sent := map[pcommon.TraceID]teamTrace{}
	start := time.Now()
	for time.Since(start) < 8*time.Second {
		td := ptrace.NewTraces()
		for _, team := range []string{"noisy", "noisy", "noisy", "quiet"} {
			for range 10 {
				id := teamTraceID(rng)
				tr := teamTrace{team: team, error: rng.IntN(50) == 0, sent: time.Now()}
				sent[id] = tr
				appendTeamTrace(td, id, tr)
			}
		}
		if err := client.SendTraces(td); err != nil {
			t.Fatalf("send: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	time.Sleep(6 * time.Second) // every trace decided: trace_timeout 5s after the last batch
	Eventually(t, 20*time.Second, func() bool {
		exported := col.SelfMetric(t, "otelcol_exporter_sent_spans")
		return exported > 0 && exported == float64(sink.SpanCount(t))
	}, "the sink never held every span the exporter sent")

	got := teamOutcomes(t, sink, sent, start.Add(3*time.Second))
	for _, key := range slices.Sorted(maps.Keys(got)) {
		t.Logf("team budget: %s: %d", key, got[key])
	}
	if got["noisy error sent"] == 0 || got["noisy error kept th=0"] != got["noisy error sent"] {
		t.Errorf("noisy team: %d of %d error traces kept at th 0", got["noisy error kept th=0"], got["noisy error sent"])
	}
	// After the 3 s warm-up the noisy team keeps about (50 - its error spans) / its span rate,
	// roughly 10%: far below the unscaled half, but not nothing.
	noisyShare := float64(got["noisy default kept late"]) / float64(got["noisy default sent late"])
	if noisyShare >= 0.25 || got["noisy default kept late"] == 0 {
		t.Errorf("noisy team kept %.3f of its non-error traces after the warm-up, want a scaled share in (0, 0.25)", noisyShare)
	}
	if got["noisy default kept late th<0.5"] != got["noisy default kept late"] {
		t.Errorf("noisy team: %d of %d kept traces after the warm-up carry a th for a probability below 0.5",
			got["noisy default kept late th<0.5"], got["noisy default kept late"])
	}
	quietShare := float64(got["quiet default kept"]) / float64(got["quiet default sent"])
	if quietShare < 0.4 || quietShare > 0.6 || got["quiet default kept th=8"] != got["quiet default kept"] {
		t.Errorf("quiet team kept %.3f of %d non-error traces (%d at th 8), want 0.5 at th 8",
			quietShare, got["quiet default sent"], got["quiet default kept th=8"])
	}
	exposition := col.SelfMetrics(t)
	if n := tpSelfMetric(t, exposition, "team_throttlings", `team="noisy"`); n < 1 {
		t.Errorf("team_throttlings{team=noisy} = %v, want at least 1", n)
	}
	if n := tpSelfMetric(t, exposition, "team_throttlings", `team="quiet"`); n != 0 {
		t.Errorf("team_throttlings{team=quiet} = %v, want 0 (no budget)", n)
	}
	if !strings.Contains(col.Log(), "team over its span budget") {
		t.Error("the start of the noisy team's throttling was not logged")
	}
}

func teamTraceID(rng *rand.Rand) pcommon.TraceID {
	var id pcommon.TraceID
	binary.BigEndian.PutUint64(id[:8], rng.Uint64())
	binary.BigEndian.PutUint64(id[8:], rng.Uint64())
	return id
}

// appendTeamTrace adds a server root span and a client child, the child in error for error traces.
func appendTeamTrace(td ptrace.Traces, id pcommon.TraceID, tr teamTrace) {
	rs := td.ResourceSpans().AppendEmpty()
	rs.Resource().Attributes().PutStr("service.namespace", tr.team)
	rs.Resource().Attributes().PutStr("service.name", tr.team+"-api")
	spans := rs.ScopeSpans().AppendEmpty().Spans()
	root := spans.AppendEmpty()
	root.SetTraceID(id)
	root.SetSpanID(pcommon.SpanID{1, id[1], id[2], id[3], id[4], id[5], id[6], id[7]})
	root.SetName("GET /orders/{id}")
	root.SetKind(ptrace.SpanKindServer)
	root.SetStartTimestamp(pcommon.NewTimestampFromTime(tr.sent.Add(-30 * time.Millisecond)))
	root.SetEndTimestamp(pcommon.NewTimestampFromTime(tr.sent))
	child := spans.AppendEmpty()
	child.SetTraceID(id)
	child.SetSpanID(pcommon.SpanID{2, id[1], id[2], id[3], id[4], id[5], id[6], id[7]})
	child.SetParentSpanID(root.SpanID())
	child.SetName("SELECT orders")
	child.SetKind(ptrace.SpanKindClient)
	child.SetStartTimestamp(pcommon.NewTimestampFromTime(tr.sent.Add(-20 * time.Millisecond)))
	child.SetEndTimestamp(pcommon.NewTimestampFromTime(tr.sent.Add(-5 * time.Millisecond)))
	if tr.error {
		child.Status().SetCode(ptrace.StatusCodeError)
	}
}

// teamOutcomes counts, per team, traces sent and kept by rule and th; "late" counts only traces
// sent after lateFrom, once the budget controller has had time to act.
func teamOutcomes(t *testing.T, sink *Sink, sent map[pcommon.TraceID]teamTrace, lateFrom time.Time) map[string]int {
	type kept struct{ rule, th string }
	seen := map[pcommon.TraceID]kept{}
	for _, td := range sink.Traces(t) {
		for _, rs := range td.ResourceSpans().All() {
			for _, ss := range rs.ScopeSpans().All() {
				for _, s := range ss.Spans().All() {
					rule, _ := s.Attributes().Get("sampling.rule")
					seen[s.TraceID()] = kept{rule: rule.Str(), th: thOf(s.TraceState().AsRaw())}
				}
			}
		}
	}
	out := map[string]int{}
	for id, tr := range sent {
		k, ok := seen[id]
		late := tr.sent.After(lateFrom)
		switch {
		case tr.error:
			out[tr.team+" error sent"]++
			if ok && k.rule == "errors" && k.th == "0" {
				out[tr.team+" error kept th=0"]++
			}
		default:
			out[tr.team+" default sent"]++
			if late {
				out[tr.team+" default sent late"]++
			}
			if !ok {
				continue
			}
			out[tr.team+" default kept"]++
			if k.th == "8" {
				out[tr.team+" default kept th=8"]++
			}
			if late {
				out[tr.team+" default kept late"]++
				// th is the rejection threshold in hex, most significant digit first: a value
				// above 8 (0.5) means a keep probability below 0.5.
				if k.th > "8" {
					out[tr.team+" default kept late th<0.5"]++
				}
			}
		}
	}
	return out
}

// thOf returns the th value of the ot entry of a W3C tracestate.
func thOf(tracestate string) string {
	for _, member := range strings.Split(tracestate, ",") {
		ot, ok := strings.CutPrefix(strings.TrimSpace(member), "ot=")
		if !ok {
			continue
		}
		for _, kv := range strings.Split(ot, ";") {
			if v, ok := strings.CutPrefix(kv, "th:"); ok {
				return v
			}
		}
	}
	return ""
}
