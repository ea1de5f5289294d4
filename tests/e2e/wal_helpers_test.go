package e2e

import (
	"encoding/binary"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/sampling"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"sigs.k8s.io/yaml"
)

// Helpers of the tail_policy write-ahead-log tests (issue 13): gateways whose tail_policy logs to a
// folder that survives a restart, a workload whose every trace has a known expected outcome, and
// what the sink received of it.

// startWALGateways starts n gateways on configs/gateway.yaml with tail_policy's WAL in a folder of
// their own data directory, which a restart (Collector.Start) reuses, as a StatefulSet pod comes back
// on its PersistentVolumeClaim. The WAL settings of the shipped config are kept; only the folder
// moves. It returns the WAL folder of each gateway.
func (d *loopbackDeployment) startWALGateways(n int) []string {
	t := d.t
	var dirs []string
	for range n {
		name := fmt.Sprintf("gateway-%d", len(d.gateways))
		g := &gatewayProcess{name: name, grpc: FreeEndpoint(t), http: FreeEndpoint(t)}
		dataDir := t.TempDir()
		walDir := filepath.Join(dataDir, "tail_policy")
		var cfg map[string]any
		if err := yaml.Unmarshal([]byte(d.gatewayConfig(g.grpc, g.http)), &cfg); err != nil {
			t.Fatal(err)
		}
		wal, _ := get(cfg, "processors", "tail_policy", "wal").(map[string]any)
		if wal == nil {
			wal = map[string]any{}
		}
		wal["directory"] = walDir
		set(t, cfg, wal, "processors", "tail_policy", "wal")
		g.Collector = StartCollector(t, render(t, cfg), WithName(name), WithDataDir(dataDir),
			WithEnv("MY_POD_NAME="+name, "WARDEN_TAIL_WAL_DIR="+walDir))
		d.gateways = append(d.gateways, g)
		dirs = append(dirs, walDir)
	}
	return dirs
}

// walKind is what a trace of the WAL workload is made to be, and so which rule must keep it.
type walKind int

const (
	walPlain     walKind = iota // kept only by probability (high_value 50% on /checkout, default 5%), or as slow
	walError                    // span 2 has status Error: the errors rule keeps it
	walSlow                     // a 3 s root span, slower than any learned p95 and the 2 s static fallback
	walSynthetic                // the root span carries a Pingdom user agent
)

func (k walKind) String() string {
	return [...]string{"plain", "error", "slow", "synthetic"}[k]
}

// walTrace is one trace of the WAL workload: four spans, a server root (0) and three children.
type walTrace struct {
	id    pcommon.TraceID
	kind  walKind
	route string
	seq   int
}

// newWALWorkload returns n traces numbered from first: 5% errors, 2% slow, 2% synthetic, the rest
// plain, on four routes. Trace ids are well mixed, so the agents' trace-id routing spreads them over
// the gateways and their sampling randomness is uniform.
func newWALWorkload(first, n int) []walTrace {
	routes := []string{"/checkout", "/catalog/{id}", "/cart", "/search"}
	out := make([]walTrace, n)
	for i := range out {
		seq := first + i
		tr := walTrace{id: walTraceID(seq), route: routes[seq%len(routes)], seq: seq}
		switch {
		case seq%20 == 7:
			tr.kind = walError
		case seq%50 == 13:
			tr.kind = walSlow
		case seq%50 == 29:
			tr.kind = walSynthetic
		}
		out[i] = tr
	}
	return out
}

func walTraceID(seq int) pcommon.TraceID {
	var id pcommon.TraceID
	binary.BigEndian.PutUint64(id[:8], 0x77616c6372617368) // "walcrash"
	binary.BigEndian.PutUint64(id[8:], uint64(seq)*0x9E3779B97F4A7C15)
	return id
}

const syntheticUserAgent = "Mozilla/5.0 (compatible; Pingdom.com_bot_version_1.4_(http://www.pingdom.com/))"

// walSpans builds one request holding spans [from, to) of every trace.
func walSpans(traces []walTrace, from, to int, now time.Time) ptrace.Traces {
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	rs.Resource().Attributes().PutStr("service.name", "shop")
	ss := rs.ScopeSpans().AppendEmpty()
	ss.Scope().SetName("e2e.wal")
	for _, tr := range traces {
		rootDuration := time.Duration(20+(tr.seq*37)%100) * time.Millisecond
		if tr.kind == walSlow {
			rootDuration = 3 * time.Second
		}
		start := now.Add(-rootDuration)
		for n := from; n < to; n++ {
			s := ss.Spans().AppendEmpty()
			s.SetTraceID(tr.id)
			s.SetSpanID(spanID(tr.id, n))
			s.SetStartTimestamp(pcommon.NewTimestampFromTime(start))
			if n == 0 {
				s.SetName("GET " + tr.route)
				s.SetKind(ptrace.SpanKindServer)
				s.Attributes().PutStr("http.route", tr.route)
				s.Attributes().PutStr("http.request.method", "GET")
				s.Attributes().PutInt("http.response.status_code", 200)
				if tr.kind == walSynthetic {
					s.Attributes().PutStr("user_agent.original", syntheticUserAgent)
				}
				s.SetEndTimestamp(pcommon.NewTimestampFromTime(now))
				continue
			}
			s.SetParentSpanID(spanID(tr.id, 0))
			s.SetName(fmt.Sprintf("step-%d", n))
			s.SetKind(ptrace.SpanKindInternal)
			s.SetEndTimestamp(pcommon.NewTimestampFromTime(start.Add(rootDuration / 2)))
			if n == 2 && tr.kind == walError {
				s.Status().SetCode(ptrace.StatusCodeError)
				s.Status().SetMessage("payment declined")
			}
		}
	}
	return td
}

// walView is what the sink received of one trace.
type walView struct {
	spans    map[pcommon.SpanID]int // copies of each span (more than one: delivered again after a crash)
	rules    map[string]bool        // sampling.rule values
	th       map[string]bool        // the ot=th values of the tracestate
	gateways map[string]bool        // e2e.gateway values
}

func (v *walView) has(tr walTrace, spans ...int) bool {
	for _, n := range spans {
		if v == nil || v.spans[spanID(tr.id, n)] == 0 {
			return false
		}
	}
	return true
}

func (v *walView) copies() (total int) {
	for _, c := range v.spans {
		total += c
	}
	return total
}

func collectWALViews(t testing.TB, batches []ptrace.Traces) map[pcommon.TraceID]*walView {
	t.Helper()
	out := map[pcommon.TraceID]*walView{}
	ForEachSpan(batches, func(s ptrace.Span) {
		v := out[s.TraceID()]
		if v == nil {
			v = &walView{spans: map[pcommon.SpanID]int{}, rules: map[string]bool{}, th: map[string]bool{}, gateways: map[string]bool{}}
			out[s.TraceID()] = v
		}
		v.spans[s.SpanID()]++
		rule, _ := s.Attributes().Get("sampling.rule")
		v.rules[rule.AsString()] = true
		if g, ok := s.Attributes().Get("e2e.gateway"); ok {
			v.gateways[g.AsString()] = true
		}
		ts, err := sampling.NewW3CTraceState(s.TraceState().AsRaw())
		if err != nil {
			t.Errorf("trace %s: tracestate %q: %v", s.TraceID(), s.TraceState().AsRaw(), err)
			return
		}
		v.th[ts.OTelValue().TValue()] = true
	})
	return out
}

// ruleThresholds reads each rule's sampling threshold from the tracestate of the traces it kept, so
// that the test predicts probabilistic decisions with exactly the threshold tail_policy applied.
func ruleThresholds(t testing.TB, views map[pcommon.TraceID]*walView) map[string]sampling.Threshold {
	t.Helper()
	out := map[string]sampling.Threshold{}
	for _, v := range views {
		if len(v.rules) != 1 || len(v.th) != 1 {
			continue // reported as mixed decisions by the caller
		}
		var rule, tv string
		for r := range v.rules {
			rule = r
		}
		for x := range v.th {
			tv = x
		}
		if tv == "" {
			continue
		}
		th, err := sampling.TValueToThreshold(tv)
		if err != nil {
			t.Fatalf("rule %q: th %q: %v", rule, tv, err)
		}
		if prev, ok := out[rule]; ok && prev != th {
			t.Fatalf("rule %q kept traces with two thresholds, %s and %s", rule, prev.TValue(), th.TValue())
		}
		out[rule] = th
	}
	return out
}

// mustKeep says whether tail_policy's default rules keep the trace whatever happens to the gateway
// that buffers it: errors, slow and synthetic traces always; plain traces when their randomness (the
// trace id's low 56 bits) passes the threshold of their route's probabilistic rule. A plain trace may
// also be kept as slow (its route's learned p95); that adds to what is kept, it takes nothing away.
func (tr walTrace) mustKeep(th map[string]sampling.Threshold) bool {
	if tr.kind != walPlain {
		return true
	}
	rule := "default"
	if strings.HasPrefix(tr.route, "/checkout") {
		rule = "high_value"
	}
	return th[rule].ShouldSample(sampling.TraceIDToRandomness(tr.id))
}

// walMetricsSummary lists a collector's tail_policy WAL self-metrics (name and value), for the log.
func walMetricsSummary(t testing.TB, c *Collector) string {
	t.Helper()
	var parts []string
	for _, line := range strings.Split(c.SelfMetrics(t), "\n") {
		if strings.HasPrefix(line, "otelcol_processor_tail_policy_wal") && !strings.Contains(line, "_bucket{") {
			parts = append(parts, strings.TrimSpace(line))
		}
	}
	if len(parts) == 0 {
		return "(no otelcol_processor_tail_policy_wal* metrics)"
	}
	return strings.Join(parts, "; ")
}
