package e2e

import (
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// Dropped traces back after an incident (issues 13 and 15): tail_policy retains the spans of the
// traces it drops on disk (wal.retain_dropped), warden_status serves one by id as OTLP JSON and
// sends it on, on request, marked sampling.rule=retroactive with th 0; retention survives a restart.

const retentionConfig = `
extensions:
  warden_status:
    endpoint: "${env:STATUS}"
receivers:
  otlp:
    protocols:
      grpc: {endpoint: "${env:IN}"}
processors:
  tail_policy:
    decision_delay: 200ms
    trace_timeout: 1s
    rules:
      - {name: errors, error: true, probability: 1}
      - {name: default, probability: 0}
    wal:
      directory: "${env:WARDEN_DATA_DIR}/tail_policy"
      sync: never
      retain_dropped: {max_bytes: 16777216, max_age: 1h}
exporters:
  otlp_grpc:
    endpoint: "${env:SINK}"
    tls: {insecure: true}
service:
  extensions: [warden_status]
  pipelines:
    traces: {receivers: [otlp], processors: [tail_policy], exporters: [otlp_grpc]}
`

// retentionCanary is personal data in the dropped traces: it must never reach the collector's log.
const retentionCanary = "jane.retained-canary@example.com"

func retentionTraceID(i int) pcommon.TraceID {
	var id pcommon.TraceID
	binary.BigEndian.PutUint64(id[:8], 0x7e7a1ed000000000|uint64(i))
	binary.BigEndian.PutUint64(id[8:], 0x9e3779b97f4a7c15*uint64(i+1))
	return id
}

// appendRetentionTrace adds a trace of spans server spans of service checkout; an error trace
// is kept by the errors rule, any other dropped by default (probability 0).
func appendRetentionTrace(td ptrace.Traces, id pcommon.TraceID, spans int, isError bool) {
	rs := td.ResourceSpans().AppendEmpty()
	rs.Resource().Attributes().PutStr("service.name", "checkout")
	ss := rs.ScopeSpans().AppendEmpty()
	now := time.Now()
	for i := range spans {
		sp := ss.Spans().AppendEmpty()
		sp.SetTraceID(id)
		var sid pcommon.SpanID
		binary.BigEndian.PutUint64(sid[:], uint64(i+1))
		sp.SetSpanID(sid)
		if i > 0 {
			var parent pcommon.SpanID
			binary.BigEndian.PutUint64(parent[:], 1)
			sp.SetParentSpanID(parent)
		}
		sp.SetName("POST /api/checkout")
		sp.SetKind(ptrace.SpanKindServer)
		sp.SetStartTimestamp(pcommon.NewTimestampFromTime(now.Add(-40 * time.Millisecond)))
		sp.SetEndTimestamp(pcommon.NewTimestampFromTime(now))
		sp.Attributes().PutStr("http.route", "/api/checkout")
		sp.Attributes().PutStr("user.email", retentionCanary)
		if isError && i == spans-1 {
			sp.Status().SetCode(ptrace.StatusCodeError)
		}
	}
}

type retentionKeepResult struct {
	Traces int `json:"traces"`
	Spans  int `json:"spans"`
}

// retentionKeep posts a keep request and decodes the answer's data.
func retentionKeep(t *testing.T, url, body string) (int, retentionKeepResult) {
	t.Helper()
	client := &http.Client{Timeout: 10 * time.Second}
	resp, err := client.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatalf("POST %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var doc struct {
		Data retentionKeepResult `json:"data"`
	}
	if resp.StatusCode == http.StatusOK {
		if err := json.Unmarshal(b, &doc); err != nil {
			t.Fatalf("POST %s: answer is not a JSON document: %v\n%s", url, err, b)
		}
	}
	return resp.StatusCode, doc.Data
}

// sinkSpansOf returns the spans of trace id the sink received.
func sinkSpansOf(t *testing.T, sink *Sink, id pcommon.TraceID) []ptrace.Span {
	var out []ptrace.Span
	ForEachSpan(sink.Traces(t), func(sp ptrace.Span) {
		if sp.TraceID() == id {
			out = append(out, sp)
		}
	})
	return out
}

func TestStatusRetainedTraceBackAndKept(t *testing.T) {
	sink := StartOTLPSink(t)
	in, status := FreeEndpoint(t), FreeEndpoint(t)
	col := StartCollector(t, retentionConfig, WithName("retention"),
		WithEnv("IN="+in, "STATUS="+status, "SINK="+sink.GRPCEndpoint()))
	client := NewOTLPClient(t, in)
	base := "http://" + status + "/api/v1/tail"

	kept, dropped, other := retentionTraceID(1), retentionTraceID(2), retentionTraceID(3)
	td := ptrace.NewTraces()
	appendRetentionTrace(td, kept, 3, true)
	appendRetentionTrace(td, dropped, 4, false)
	appendRetentionTrace(td, other, 2, false)
	if err := client.SendTraces(td); err != nil {
		t.Fatalf("send: %v", err)
	}
	Eventually(t, 20*time.Second, func() bool { return len(sinkSpansOf(t, sink, kept)) == 3 },
		"the error trace was not kept")

	// The dropped trace comes back by id as OTLP JSON, spans as sent; the kept one was never retained.
	var body string
	Eventually(t, 10*time.Second, func() bool {
		code, b := statusGet(t, base+"/traces/"+hex.EncodeToString(dropped[:]))
		body = b
		return code == http.StatusOK
	}, "GET of the dropped trace never answered 200")
	got, err := (&ptrace.JSONUnmarshaler{}).UnmarshalTraces([]byte(body))
	if err != nil {
		t.Fatalf("retained trace is not OTLP JSON: %v", err)
	}
	if n := got.SpanCount(); n != 4 {
		t.Errorf("retained trace has %d spans, want 4", n)
	}
	if code, _ := statusGet(t, base+"/traces/"+hex.EncodeToString(kept[:])); code != http.StatusNotFound {
		t.Errorf("GET of the kept trace: %d, want 404 (kept traces are not retained)", code)
	}
	if len(sinkSpansOf(t, sink, dropped)) != 0 {
		t.Fatal("the dropped trace reached the sink before anyone kept it")
	}

	// Kept retroactively: delivered with the rule and th 0, and no longer retained.
	code, res := retentionKeep(t, base+"/keep", fmt.Sprintf(`{"trace_id": %q}`, hex.EncodeToString(dropped[:])))
	if code != http.StatusOK || res.Traces != 1 || res.Spans != 4 {
		t.Fatalf("POST keep: %d %+v, want 200 with 1 trace of 4 spans", code, res)
	}
	Eventually(t, 10*time.Second, func() bool { return len(sinkSpansOf(t, sink, dropped)) == 4 },
		"the retroactively kept trace did not reach the sink")
	for _, sp := range sinkSpansOf(t, sink, dropped) {
		rule, _ := sp.Attributes().Get("sampling.rule")
		if rule.AsString() != "retroactive" || sp.TraceState().AsRaw() != "ot=th:0" {
			t.Errorf("retroactively kept span: sampling.rule=%q tracestate %q, want retroactive and ot=th:0",
				rule.AsString(), sp.TraceState().AsRaw())
		}
	}
	if code, _ := statusGet(t, base+"/traces/"+hex.EncodeToString(dropped[:])); code != http.StatusNotFound {
		t.Errorf("GET after keep: %d, want 404", code)
	}
	if n := col.SelfMetric(t, "otelcol_processor_tail_policy_retroactive_kept_spans"); n != 4 {
		t.Errorf("retroactive_kept_spans = %v, want 4", n)
	}

	// A restart keeps what is retained and what was taken out.
	col.Stop()
	col.Start()
	Eventually(t, 10*time.Second, func() bool {
		code, _ := statusGet(t, base+"/traces/"+hex.EncodeToString(other[:]))
		return code == http.StatusOK
	}, "the other dropped trace is not retained after a restart")
	if code, _ := statusGet(t, base+"/traces/"+hex.EncodeToString(dropped[:])); code != http.StatusNotFound {
		t.Errorf("GET of the kept trace after a restart: %d, want 404", code)
	}
	retentionOnPage(t, status, "1")

	// The (service, time range) form keeps what is left.
	start, end := time.Now().Add(-10*time.Minute).UTC().Format(time.RFC3339), time.Now().Add(time.Minute).UTC().Format(time.RFC3339)
	code, res = retentionKeep(t, base+"/keep", fmt.Sprintf(`{"service": "checkout", "start": %q, "end": %q}`, start, end))
	if code != http.StatusOK || res.Traces != 1 || res.Spans != 2 {
		t.Fatalf("POST keep by service and range: %d %+v, want 200 with 1 trace of 2 spans", code, res)
	}
	Eventually(t, 10*time.Second, func() bool { return len(sinkSpansOf(t, sink, other)) == 2 },
		"the trace kept by service and range did not reach the sink")
	code, snapshot := statusGet(t, "http://"+status+"/api/v1/tail_retention")
	if code != http.StatusOK || !strings.Contains(snapshot, `"limit_bytes": 16777216`) || strings.Contains(snapshot, retentionCanary) {
		t.Errorf("GET /api/v1/tail_retention: %d %s, want the ring's size and nothing from the data", code, snapshot)
	}
	if strings.Contains(col.Log(), retentionCanary) {
		t.Error("personal data of a retained trace reached the collector's log")
	}
}

// retentionOnPage: in headless Chromium, the page's retention section shows the API's figures
// (traces retained, their bytes), with the number of traces the test expects, and nothing from
// the data.
func retentionOnPage(t *testing.T, status, traces string) {
	t.Helper()
	b := startBrowser(t)
	base := "http://" + status
	deadline := time.Now().Add(30 * time.Second)
	for {
		want := apiFigures(t, base, "tail_retention")
		b.do("retention section", scripts(false), chromedp.Navigate(base+"/"), chromedp.WaitVisible(chromedp.CSS("#report-tail_retention")), scripts(true))
		shown := browserValue(b, "read the retention figures", chromedp.Evaluate[[]pageFigure](readFigures))
		diffs := figureDiffs(want, shown)
		settled := fmt.Sprint(apiFigures(t, base, "tail_retention")) == fmt.Sprint(want)
		if len(diffs) == 0 && settled && want["tail_retention"]["tail_policy#0 retention.traces"] == traces {
			t.Logf("retention section: %v equal the API's", want["tail_retention"])
			break
		}
		if time.Now().After(deadline) {
			b.screenshotOnFailure("retention")
			t.Fatalf("the retention section does not show the API's figures (want %s traces):\n%s\nAPI: %v",
				traces, strings.Join(diffs, "\n"), want)
		}
		time.Sleep(time.Second)
	}
	b.do("retention section at 390 px", chromedp.EmulateViewport(390, 844), chromedp.Navigate(base+"/"), chromedp.WaitVisible(chromedp.CSS("#report-tail_retention")))
	widths := browserValue(b, "phone width", chromedp.Evaluate[[]float64](`[document.documentElement.scrollWidth, document.documentElement.clientWidth]`))
	if widths[0] > widths[1] {
		b.screenshotOnFailure("retention-phone")
		t.Errorf("at 390 px the page scrolls sideways: scrollWidth %.0f, clientWidth %.0f", widths[0], widths[1])
	}
	page := browserValue(b, "page html", chromedp.OuterHTML(chromedp.CSS("#report-tail_retention")))
	if !strings.Contains(page, "/api/v1/tail/traces/{trace_id}") || strings.Contains(page, retentionCanary) {
		b.screenshotOnFailure("retention-text")
		t.Errorf("the retention section lacks how to get a trace back, or shows the canary:\n%s", page)
	}
}
