package e2e

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"math/big"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/otelcol-warden/otelcol-warden/internal/luhn"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// The pii_scrub canary test: unique fake personal data is planted in every location the processor walks, in
// all three signals, and sent through the built collector. No canary (nor its unkeyed SHA-256, nor its
// normalised or percent-encoded form) may reach the exported data, the collector's own log (at debug level,
// with the debug exporter printing every record after pii_scrub), its own metrics endpoint, or the Prometheus
// endpoint that exports the metrics pipeline.

const piiCanaryConfig = `
receivers:
  otlp:
    protocols:
      grpc: {endpoint: "${env:OTLP_GRPC}"}
processors:
  pii_scrub:
    key:
      file: ${env:WARDEN_PII_KEY_FILE}
      rotation: daily
exporters:
  debug: {verbosity: detailed}
  file/traces: {path: "${env:WARDEN_DATA_DIR}/traces.jsonl", format: json, flush_interval: 100ms}
  file/logs: {path: "${env:WARDEN_DATA_DIR}/logs.jsonl", format: json, flush_interval: 100ms}
  file/metrics: {path: "${env:WARDEN_DATA_DIR}/metrics.jsonl", format: json, flush_interval: 100ms}
  prometheus: {endpoint: "${env:PROM_EXPORTER}"}
service:
  telemetry:
    logs: {level: debug}
    metrics: {level: detailed}
  pipelines:
    traces: {receivers: [otlp], processors: [pii_scrub], exporters: [file/traces, debug]}
    logs: {receivers: [otlp], processors: [pii_scrub], exporters: [file/logs, debug]}
    metrics: {receivers: [otlp], processors: [pii_scrub], exporters: [file/metrics, prometheus, debug]}
`

type canary struct {
	kind, value string
	forms       []string // other spellings that must not leak either
}

func randDigits(t *testing.T, n int) string {
	var sb strings.Builder
	for i := 0; i < n; i++ {
		d, err := rand.Int(rand.Reader, big.NewInt(10))
		if err != nil {
			t.Fatal(err)
		}
		sb.WriteByte(byte('0' + d.Int64()))
	}
	return sb.String()
}

func randToken(t *testing.T, n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return strings.TrimRight(base64.RawURLEncoding.EncodeToString(b), "=")[:n]
}

func ibanFor(bban string) string {
	r := 0
	for _, c := range bban + "DE00" {
		if c >= 'A' && c <= 'Z' {
			r = (r*100 + int(c-'A') + 10) % 97
		} else {
			r = (r*10 + int(c-'0')) % 97
		}
	}
	return fmt.Sprintf("DE%02d%s", 98-r, bban)
}

// newCanaries makes one unique value of every entity type for this run.
func newCanaries(t *testing.T) map[string]canary {
	tag := strings.ToLower(randToken(t, 8))
	tag = strings.Map(func(r rune) rune {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			return r
		}
		return 'x'
	}, tag)
	email := "canary." + tag + "@example.com"
	card := luhn.Complete("4" + randDigits(t, 14))
	ssn := fmt.Sprintf("%03d-%02d-%s", 100+mustInt(t, 500), 10+mustInt(t, 89), "4"+randDigits(t, 3))
	ip := fmt.Sprintf("45.%d.%d.%d", 1+mustInt(t, 250), 1+mustInt(t, 250), 1+mustInt(t, 250))
	ipv6 := fmt.Sprintf("2001:db8:%x:%x::%x", 1+mustInt(t, 0xfffe), 1+mustInt(t, 0xfffe), 1+mustInt(t, 0xfffe))
	iban := ibanFor(randDigits(t, 18))
	phone := "+1 415 " + randDigits(t, 3) + " " + randDigits(t, 4)
	jwtHeader := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`))
	jwt := jwtHeader + "." + base64.RawURLEncoding.EncodeToString([]byte(`{"sub":"`+tag+`"}`)) + "." + randToken(t, 43)
	bearer := randToken(t, 32)
	password := "pw" + randToken(t, 12)
	urlToken := randToken(t, 24)
	mapKey := "key." + tag + "@example.org"
	return map[string]canary{
		"email":     {kind: "email", value: email, forms: []string{strings.ToUpper(email), url.QueryEscape(email)}},
		"card":      {kind: "card", value: card, forms: []string{card[:4] + " " + card[4:8] + " " + card[8:12] + " " + card[12:]}},
		"ssn":       {kind: "ssn", value: ssn, forms: []string{strings.ReplaceAll(ssn, "-", "")}},
		"ip":        {kind: "ip", value: ip},
		"ipv6":      {kind: "ip", value: ipv6},
		"iban":      {kind: "iban", value: iban},
		"phone":     {kind: "phone", value: phone, forms: []string{strings.ReplaceAll(phone[1:], " ", "")}},
		"jwt":       {kind: "jwt", value: jwt},
		"bearer":    {kind: "auth", value: bearer},
		"password":  {kind: "url_secret", value: password},
		"url_token": {kind: "url_secret", value: urlToken},
		"map_key":   {kind: "email", value: mapKey},
	}
}

func mustInt(t *testing.T, n int64) int {
	v, err := rand.Int(rand.Reader, big.NewInt(n))
	if err != nil {
		t.Fatal(err)
	}
	return int(v.Int64())
}

// plant returns text holding every canary once.
func plantAll(c map[string]canary) string {
	return fmt.Sprintf("user %s paid with %s (ssn %s) from %s and %s, iban %s, phone %s, token %s, Authorization: Bearer %s, via https://bob:%s@shop.example.com/u/%s?token=%s",
		c["email"].value, c["card"].value, c["ssn"].value, c["ip"].value, c["ipv6"].value, c["iban"].value, c["phone"].value,
		c["jwt"].value, c["bearer"].value, c["password"].value, url.PathEscape(c["email"].value), c["url_token"].value)
}

func putCanaryAttrs(m pcommon.Map, c map[string]canary) {
	m.PutStr("app.note", plantAll(c))
	m.PutStr("url.full", "https://alice:"+c["password"].value+"@shop.example.com/users/"+c["email"].value+"/x?access_token="+c["url_token"].value+"&email="+url.QueryEscape(c["email"].value))
	m.PutStr("client.address", c["ip"].value)
	m.PutStr("user.email", c["email"].value)
	m.PutStr("http.request.header.authorization", "Bearer "+c["bearer"].value)
	m.PutInt("payment.card_number", mustParseInt(c["card"].value))
	m.PutEmptyBytes("app.raw").FromRaw([]byte(plantAll(c)))
	nested := m.PutEmptyMap("app.user")
	nested.PutStr("iban", c["iban"].value)
	nested.PutEmptyMap(c["map_key"].value).PutStr("phone", c["phone"].value)
	list := m.PutEmptySlice("app.list")
	list.AppendEmpty().SetStr(c["ssn"].value)
	list.AppendEmpty().SetEmptyMap().PutStr("jwt", c["jwt"].value)
}

func mustParseInt(s string) int64 {
	var n int64
	for _, c := range s {
		n = n*10 + int64(c-'0')
	}
	return n
}

func canaryTraces(c map[string]canary, now time.Time) ptrace.Traces {
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	rs.Resource().Attributes().PutStr("service.name", "canary")
	putCanaryAttrs(rs.Resource().Attributes(), c)
	ss := rs.ScopeSpans().AppendEmpty()
	ss.Scope().SetName("canary-scope")
	putCanaryAttrs(ss.Scope().Attributes(), c)
	sp := ss.Spans().AppendEmpty()
	sp.SetTraceID(pcommon.TraceID{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16})
	sp.SetSpanID(pcommon.SpanID{1, 2, 3, 4, 5, 6, 7, 8})
	sp.SetStartTimestamp(pcommon.NewTimestampFromTime(now))
	sp.SetEndTimestamp(pcommon.NewTimestampFromTime(now.Add(time.Millisecond)))
	sp.SetName("GET /users/" + c["email"].value + "?token=" + c["url_token"].value)
	putCanaryAttrs(sp.Attributes(), c)
	sp.Status().SetCode(ptrace.StatusCodeError)
	sp.Status().SetMessage("failed: " + plantAll(c))
	ev := sp.Events().AppendEmpty()
	ev.SetName("mail to " + c["email"].value)
	ev.SetTimestamp(pcommon.NewTimestampFromTime(now))
	putCanaryAttrs(ev.Attributes(), c)
	ev.Attributes().PutStr("exception.message", plantAll(c))
	ev.Attributes().PutStr("exception.stacktrace", "at pay("+c["card"].value+")\n\tat login("+c["jwt"].value+")")
	link := sp.Links().AppendEmpty()
	link.SetTraceID(pcommon.TraceID{16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1})
	link.SetSpanID(pcommon.SpanID{8, 7, 6, 5, 4, 3, 2, 1})
	putCanaryAttrs(link.Attributes(), c)
	return td
}

func canaryLogs(c map[string]canary, now time.Time) plog.Logs {
	ld := plog.NewLogs()
	rl := ld.ResourceLogs().AppendEmpty()
	putCanaryAttrs(rl.Resource().Attributes(), c)
	sl := rl.ScopeLogs().AppendEmpty()
	putCanaryAttrs(sl.Scope().Attributes(), c)
	lr := sl.LogRecords().AppendEmpty()
	lr.SetTimestamp(pcommon.NewTimestampFromTime(now))
	lr.Body().SetStr(plantAll(c))
	lr.SetEventName("signup " + c["email"].value)
	putCanaryAttrs(lr.Attributes(), c)
	lr2 := sl.LogRecords().AppendEmpty()
	lr2.SetTimestamp(pcommon.NewTimestampFromTime(now))
	body := lr2.Body().SetEmptyMap()
	putCanaryAttrs(body, c)
	body.PutEmptySlice("lines").AppendEmpty().SetStr(plantAll(c))
	return ld
}

func canaryMetrics(c map[string]canary, now time.Time) pmetric.Metrics {
	md := pmetric.NewMetrics()
	rm := md.ResourceMetrics().AppendEmpty()
	rm.Resource().Attributes().PutStr("service.name", "canary")
	putCanaryAttrs(rm.Resource().Attributes(), c)
	sm := rm.ScopeMetrics().AppendEmpty()
	putCanaryAttrs(sm.Scope().Attributes(), c)
	ts := pcommon.NewTimestampFromTime(now)
	attrs := func(m pcommon.Map) {
		m.PutStr("route", "/checkout")
		putCanaryAttrs(m, c)
	}
	g := sm.Metrics().AppendEmpty()
	g.SetName("canary_gauge")
	gdp := g.SetEmptyGauge().DataPoints().AppendEmpty()
	gdp.SetTimestamp(ts)
	gdp.SetIntValue(1)
	attrs(gdp.Attributes())
	putCanaryAttrs(gdp.Exemplars().AppendEmpty().FilteredAttributes(), c)
	s := sm.Metrics().AppendEmpty()
	s.SetName("canary_sum")
	s.SetEmptySum().SetAggregationTemporality(pmetric.AggregationTemporalityCumulative)
	s.Sum().SetIsMonotonic(true)
	sdp := s.Sum().DataPoints().AppendEmpty()
	sdp.SetTimestamp(ts)
	sdp.SetIntValue(2)
	attrs(sdp.Attributes())
	h := sm.Metrics().AppendEmpty()
	h.SetName("canary_histogram")
	h.SetEmptyHistogram().SetAggregationTemporality(pmetric.AggregationTemporalityCumulative)
	hdp := h.Histogram().DataPoints().AppendEmpty()
	hdp.SetTimestamp(ts)
	hdp.SetCount(1)
	hdp.SetSum(1)
	hdp.ExplicitBounds().FromRaw([]float64{1})
	hdp.BucketCounts().FromRaw([]uint64{1, 0})
	attrs(hdp.Attributes())
	putCanaryAttrs(hdp.Exemplars().AppendEmpty().FilteredAttributes(), c)
	e := sm.Metrics().AppendEmpty()
	e.SetName("canary_exp_histogram")
	e.SetEmptyExponentialHistogram().SetAggregationTemporality(pmetric.AggregationTemporalityCumulative)
	edp := e.ExponentialHistogram().DataPoints().AppendEmpty()
	edp.SetTimestamp(ts)
	edp.SetCount(1)
	edp.SetZeroCount(1)
	attrs(edp.Attributes())
	su := sm.Metrics().AppendEmpty()
	su.SetName("canary_summary")
	sudp := su.SetEmptySummary().DataPoints().AppendEmpty()
	sudp.SetTimestamp(ts)
	sudp.SetCount(1)
	attrs(sudp.Attributes())
	return md
}

// flatten renders every key, string and bytes value of a record tree as text (bytes decoded), so a canary
// inside a bytes attribute is found too.
func flattenValue(sb *strings.Builder, v pcommon.Value) {
	switch v.Type() {
	case pcommon.ValueTypeMap:
		flattenMap(sb, v.Map())
	case pcommon.ValueTypeSlice:
		for _, e := range v.Slice().All() {
			flattenValue(sb, e)
		}
	case pcommon.ValueTypeBytes:
		sb.Write(v.Bytes().AsRaw())
		sb.WriteByte('\n')
	default:
		sb.WriteString(v.AsString())
		sb.WriteByte('\n')
	}
}

func flattenMap(sb *strings.Builder, m pcommon.Map) {
	for k, v := range m.All() {
		sb.WriteString(k)
		sb.WriteByte('=')
		flattenValue(sb, v)
	}
}

func leakForms(c canary) []string {
	forms := append([]string{c.value}, c.forms...)
	var out []string
	for _, f := range forms {
		sum := sha256.Sum256([]byte(f))
		out = append(out, f, hex.EncodeToString(sum[:]), base64.StdEncoding.EncodeToString(sum[:]))
	}
	return out
}

func assertNoCanary(t *testing.T, where, text string, canaries map[string]canary) {
	t.Helper()
	for name, c := range canaries {
		for _, f := range leakForms(c) {
			if strings.Contains(text, f) {
				t.Errorf("canary %s (%s) reached %s as %q", name, c.kind, where, f)
			}
		}
	}
}

func TestPIIScrubCanary(t *testing.T) {
	keyFile := filepath.Join(t.TempDir(), "pii.key")
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		t.Fatal(err)
	}
	keyText := hex.EncodeToString(key)
	if err := os.WriteFile(keyFile, []byte(keyText), 0o600); err != nil {
		t.Fatal(err)
	}
	grpc, prom := FreeEndpoint(t), FreeEndpoint(t)
	col := StartCollector(t, piiCanaryConfig, WithName("pii-canary"),
		WithEnv("OTLP_GRPC="+grpc, "PROM_EXPORTER="+prom, "WARDEN_PII_KEY_FILE="+keyFile))

	canaries := newCanaries(t)
	now := time.Now()
	client := NewOTLPClient(t, grpc)
	if err := client.SendTraces(canaryTraces(canaries, now)); err != nil {
		t.Fatal(err)
	}
	if err := client.SendLogs(canaryLogs(canaries, now)); err != nil {
		t.Fatal(err)
	}
	if err := client.SendMetrics(canaryMetrics(canaries, now)); err != nil {
		t.Fatal(err)
	}

	tracesPath := filepath.Join(col.DataDir, "traces.jsonl")
	logsPath := filepath.Join(col.DataDir, "logs.jsonl")
	metricsPath := filepath.Join(col.DataDir, "metrics.jsonl")
	Eventually(t, 30*time.Second, func() bool {
		return countSpans(ReadTracesFile(t, tracesPath)) == 1 && countLogs(ReadLogsFile(t, logsPath)) == 2 && countPoints(ReadMetricsFile(t, metricsPath)) == 5
	}, "scrubbed records did not all arrive")

	// Exported data: files as written, and every value decoded (bytes included).
	var out strings.Builder
	for _, p := range []string{tracesPath, logsPath, metricsPath} {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		out.Write(b)
	}
	marked := 0
	for _, td := range ReadTracesFile(t, tracesPath) {
		for _, rs := range td.ResourceSpans().All() {
			flattenMap(&out, rs.Resource().Attributes())
			for _, ss := range rs.ScopeSpans().All() {
				flattenMap(&out, ss.Scope().Attributes())
				for _, sp := range ss.Spans().All() {
					out.WriteString(sp.Name() + "\n" + sp.Status().Message() + "\n")
					flattenMap(&out, sp.Attributes())
					for _, ev := range sp.Events().All() {
						out.WriteString(ev.Name() + "\n")
						flattenMap(&out, ev.Attributes())
					}
					for _, l := range sp.Links().All() {
						flattenMap(&out, l.Attributes())
					}
					if v, ok := sp.Attributes().Get("pii.scrubbed"); ok && v.Bool() {
						marked++
					}
				}
			}
		}
	}
	for _, ld := range ReadLogsFile(t, logsPath) {
		for _, rl := range ld.ResourceLogs().All() {
			flattenMap(&out, rl.Resource().Attributes())
			for _, sl := range rl.ScopeLogs().All() {
				flattenMap(&out, sl.Scope().Attributes())
				for _, lr := range sl.LogRecords().All() {
					out.WriteString(lr.EventName() + "\n")
					flattenValue(&out, lr.Body())
					flattenMap(&out, lr.Attributes())
					if v, ok := lr.Attributes().Get("pii.scrubbed"); ok && v.Bool() {
						marked++
					}
				}
			}
		}
	}
	for _, md := range ReadMetricsFile(t, metricsPath) {
		for _, rm := range md.ResourceMetrics().All() {
			flattenMap(&out, rm.Resource().Attributes())
			for _, sm := range rm.ScopeMetrics().All() {
				flattenMap(&out, sm.Scope().Attributes())
				for _, m := range sm.Metrics().All() {
					forEachPointAttrs(m, func(a pcommon.Map, ex pmetric.ExemplarSlice) {
						flattenMap(&out, a)
						for _, e := range ex.All() {
							flattenMap(&out, e.FilteredAttributes())
						}
					})
				}
			}
		}
	}
	exported := out.String()
	if !strings.Contains(exported, "pii:email:") || !strings.Contains(exported, "REDACTED") {
		t.Errorf("exported data shows no pseudonym or redaction; was pii_scrub in the pipeline?")
	}
	if marked != 3 {
		t.Errorf("%d spans and log records carry pii.scrubbed=true, want 3", marked)
	}
	assertNoCanary(t, "the exported data", exported, canaries)

	// The collector's own log (debug level, debug exporter with every record after pii_scrub).
	logText := col.Log()
	assertNoCanary(t, "the collector log", logText, canaries)
	if strings.Contains(logText, keyText) {
		t.Error("the key reached the collector log")
	}
	// Its own metrics, with the processor's telemetry present.
	self := col.SelfMetrics(t)
	assertNoCanary(t, "the self-metrics endpoint", self, canaries)
	if n := SumSamples(self, "otelcol_processor_pii_scrub_detections"); n < 50 {
		var lines []string
		for _, l := range strings.Split(self, "\n") {
			if strings.Contains(l, "pii_scrub") {
				lines = append(lines, l)
			}
		}
		t.Errorf("otelcol_processor_pii_scrub_detections = %v, want the detections counted; pii_scrub self-metrics:\n%s", n, strings.Join(lines, "\n"))
	}
	if n := SumSamples(self, "otelcol_processor_pii_scrub_records_processed", `signal="metrics"`); n != 5 {
		t.Errorf("records processed for metrics = %v, want 5", n)
	}
	// The Prometheus endpoint that exports the metrics pipeline.
	scrape, err := httpGet("http://" + prom + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(scrape, "canary_gauge") {
		t.Errorf("the metrics pipeline's Prometheus endpoint has no canary_gauge series")
	}
	assertNoCanary(t, "the Prometheus exporter endpoint", scrape, canaries)
}

func countSpans(tds []ptrace.Traces) int {
	n := 0
	for _, td := range tds {
		n += td.SpanCount()
	}
	return n
}

func countLogs(lds []plog.Logs) int {
	n := 0
	for _, ld := range lds {
		n += ld.LogRecordCount()
	}
	return n
}

func countPoints(mds []pmetric.Metrics) int {
	n := 0
	for _, md := range mds {
		n += md.DataPointCount()
	}
	return n
}

func forEachPointAttrs(m pmetric.Metric, f func(pcommon.Map, pmetric.ExemplarSlice)) {
	switch m.Type() {
	case pmetric.MetricTypeGauge:
		for _, dp := range m.Gauge().DataPoints().All() {
			f(dp.Attributes(), dp.Exemplars())
		}
	case pmetric.MetricTypeSum:
		for _, dp := range m.Sum().DataPoints().All() {
			f(dp.Attributes(), dp.Exemplars())
		}
	case pmetric.MetricTypeHistogram:
		for _, dp := range m.Histogram().DataPoints().All() {
			f(dp.Attributes(), dp.Exemplars())
		}
	case pmetric.MetricTypeExponentialHistogram:
		for _, dp := range m.ExponentialHistogram().DataPoints().All() {
			f(dp.Attributes(), dp.Exemplars())
		}
	case pmetric.MetricTypeSummary:
		for _, dp := range m.Summary().DataPoints().All() {
			f(dp.Attributes(), pmetric.NewExemplarSlice())
		}
	}
}
