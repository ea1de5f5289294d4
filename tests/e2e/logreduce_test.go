package e2e

import (
	"compress/gzip"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/plog/plogotlp"
)

// The agent's logs path in miniature: pii_scrub -> log_reduce -> tenant_router to a loopback Loki.
// The window is short so that several windows pass during the test; the report runs every second
// so that it is written while personal data flows.
const logReduceConfig = `
receivers:
  otlp:
    protocols:
      grpc:
        endpoint: ${env:LR_GRPC}
processors:
  pii_scrub:
    key:
      file: ${env:LR_PII_KEY}
    fail_closed: true
  log_reduce:
    window: 2s
    keep_first: 3
    report:
      interval: 1s
exporters:
  tenant_router/loki:
    endpoint: ${env:LR_LOKI}/otlp
    rules:
      - {attribute: pii.scrubbed, scope: record, equals: "true", tenant: restricted}
      - {attribute: k8s.namespace.name, scope: resource}
    default_tenant: shared
    sending_queue:
      enabled: false
service:
  pipelines:
    logs: {receivers: [otlp], processors: [pii_scrub, log_reduce], exporters: [tenant_router/loki]}
`

// lrCanaries are personal data in the stream; none may reach any tenant or the collector's log.
var lrCanaries = []string{"jane.doe", "@example.com", "4111 1111 1111 1111", "4111111111111111", "+44 20 7946 0958"}

// lrFormats are 20 message templates as services write them; %d varies per record. The last two
// carry personal data, which pii_scrub replaces and marks, so their records and summaries belong to
// the restricted tenant (the others carry none, not even an IP address).
var lrFormats = []string{
	"cache miss for key product:%d",
	"GET /api/v1/orders/%d/items 200 12ms",
	"query SELECT * FROM orders WHERE id = $1 took %dms",
	"retrying connection to db-%d.internal:5432 attempt 2 of 5",
	"kafka consumer lag partition=%d offset=981 lag=12",
	"worker %d picked job 77 from queue emails",
	"GC pause %dus heap=512MB",
	"rate limit exceeded for client app-%d, retry after 5s",
	"inventory sync: %d items updated, 3 skipped",
	"websocket connection %d closed by peer code=1006",
	"price recalculated for sku SKU-%d in region eu-west-1",
	"session %d refreshed for tenant shop",
	"healthcheck ok in %dms",
	"token refresh scheduled in %ds",
	"uploaded %d bytes to s3://bucket/uploads/part-1",
	"feature flag new-checkout evaluated to true for request %d",
	"order %d shipped with carrier dhl",
	"thumbnail %d generated in 40ms",
	"password reset mail sent to jane.doe.%d@example.com",
	"card 4111 1111 1111 1111 charged %d cents, support +44 20 7946 0958",
}

var lrNamespaces = []string{"shop", "search"}

// lrBatch is one request: for each namespace, perFormat records of every format, 1 in 500 at WARN.
func lrBatch(batch, perFormat int) (plog.Logs, map[string]int, int) {
	ld := plog.NewLogs()
	sent := map[string]int{} // by expected tenant
	warn := 0
	for _, ns := range lrNamespaces {
		rl := ld.ResourceLogs().AppendEmpty()
		rl.Resource().Attributes().PutStr("k8s.namespace.name", ns)
		rl.Resource().Attributes().PutStr("service.name", ns+"-api")
		sl := rl.ScopeLogs().AppendEmpty()
		sl.Scope().SetName("e2e")
		for f, format := range lrFormats {
			for i := range perFormat {
				lr := sl.LogRecords().AppendEmpty()
				n := batch*perFormat + i
				lr.Body().SetStr(fmt.Sprintf(format, n))
				lr.SetTimestamp(pcommon.NewTimestampFromTime(time.Now()))
				lr.SetSeverityNumber(plog.SeverityNumberInfo)
				if n%500 == 7 {
					lr.SetSeverityNumber(plog.SeverityNumberWarn)
					warn++
				}
				lr.Attributes().PutStr("code.function", "handle")
				tenant := ns
				if f >= len(lrFormats)-2 {
					tenant = "restricted"
				}
				sent[tenant]++
			}
		}
	}
	return ld, sent, warn
}

// tenantLogsSink is a loopback Loki OTLP endpoint that keeps every request's logs by tenant.
type tenantLogsSink struct {
	server *httptest.Server
	mu     sync.Mutex
	logs   map[string][]plog.Logs
	bytes  int
	bad    []string
}

func startTenantLogsSink(t *testing.T) *tenantLogsSink {
	s := &tenantLogsSink{logs: map[string][]plog.Logs{}}
	s.server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body io.Reader = r.Body
		if r.Header.Get("Content-Encoding") == "gzip" {
			gz, err := gzip.NewReader(r.Body)
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			body = gz
		}
		raw, err := io.ReadAll(body)
		req := plogotlp.NewExportRequest()
		tenant := r.Header.Get("X-Scope-OrgID")
		s.mu.Lock()
		defer s.mu.Unlock()
		if err != nil || tenant == "" || req.UnmarshalProto(raw) != nil {
			s.bad = append(s.bad, fmt.Sprintf("tenant %q err %v", tenant, err))
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		s.logs[tenant] = append(s.logs[tenant], req.Logs())
		s.bytes += len(raw)
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(s.server.Close)
	return s
}

// lrTenantTally is what one tenant received.
type lrTenantTally struct {
	passed, warn     int
	summarised       int64
	passedTemplates  map[string]bool
	summaryTemplates map[string]bool
}

func (s *tenantLogsSink) tally(t *testing.T) map[string]*lrTenantTally {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]*lrTenantTally{}
	for tenant, batches := range s.logs {
		tt := &lrTenantTally{passedTemplates: map[string]bool{}, summaryTemplates: map[string]bool{}}
		out[tenant] = tt
		for _, ld := range batches {
			for _, rl := range ld.ResourceLogs().All() {
				for _, sl := range rl.ScopeLogs().All() {
					for _, lr := range sl.LogRecords().All() {
						text := lr.Body().AsString() + fmt.Sprint(lr.Attributes().AsRaw())
						for _, c := range lrCanaries {
							if strings.Contains(text, c) {
								t.Errorf("tenant %s received personal data %q: %s", tenant, c, text)
							}
						}
						tpl, _ := lr.Attributes().Get("log.record.template")
						if n, ok := lr.Attributes().Get("log_reduce.count"); ok {
							tt.summarised += n.Int()
							tt.summaryTemplates[tpl.Str()] = true
							continue
						}
						tt.passed++
						tt.passedTemplates[tpl.Str()] = true
						if lr.SeverityNumber() >= plog.SeverityNumberWarn {
							tt.warn++
						}
					}
				}
			}
		}
	}
	return out
}

func (s *tenantLogsSink) total() (records int64, bytes int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, batches := range s.logs {
		for _, ld := range batches {
			for _, rl := range ld.ResourceLogs().All() {
				for _, sl := range rl.ScopeLogs().All() {
					for _, lr := range sl.LogRecords().All() {
						records++
						if n, ok := lr.Attributes().Get("log_reduce.count"); ok {
							records += n.Int() - 1
						}
					}
				}
			}
		}
	}
	return records, s.bytes
}

// A repetitive stream (20 templates, 2 namespaces, personal data in two templates) goes through
// pii_scrub, log_reduce and tenant_router. Per tenant, passed records plus the counts of the
// summaries equal the records sent; summaries reach the tenant of their records; every WARN record
// is delivered; no personal data reaches a tenant or the collector's log (the report included);
// the stop in the middle of a window loses no count; far fewer bytes reach the sink than were sent.
func TestLogReduceFoldsRepetitionsWithExactCountsPerTenant(t *testing.T) {
	const batches, perFormat = 20, 50
	sink := startTenantLogsSink(t)
	grpc := FreeEndpoint(t)
	c := StartCollector(t, logReduceConfig, WithName("log-reduce"),
		WithEnv("LR_GRPC="+grpc, "LR_LOKI="+sink.server.URL, "LR_PII_KEY="+writePIIKey(t)))
	client := NewOTLPClient(t, grpc)

	sent := map[string]int{}
	warnSent, sentBytes := 0, 0
	for b := range batches {
		ld, perTenant, warn := lrBatch(b, perFormat)
		raw, err := (&plog.ProtoMarshaler{}).MarshalLogs(ld)
		if err != nil {
			t.Fatal(err)
		}
		sentBytes += len(raw)
		if err := client.SendLogs(ld); err != nil {
			t.Fatalf("sending batch %d: %v", b, err)
		}
		for k, v := range perTenant {
			sent[k] += v
		}
		warnSent += warn
		time.Sleep(300 * time.Millisecond)
	}
	// Let the report run at least once on this data, then stop in the middle of a window: the
	// pending summaries must still be delivered.
	Eventually(t, 20*time.Second, func() bool { return strings.Contains(c.Log(), "log_reduce report") },
		"log_reduce wrote no report")
	metrics := c.SelfMetrics(t)
	c.Stop()

	tally := sink.tally(t)
	for tenant, want := range sent {
		got := tally[tenant]
		if got == nil {
			t.Errorf("tenant %s received nothing, want %d records", tenant, want)
			continue
		}
		if total := int64(got.passed) + got.summarised; total != int64(want) {
			t.Errorf("tenant %s: %d passed + %d in summaries = %d, want %d sent", tenant, got.passed, got.summarised, total, want)
		}
		for tpl := range got.summaryTemplates {
			if !got.passedTemplates[tpl] {
				t.Errorf("tenant %s received a summary of %q but none of its records", tenant, tpl)
			}
		}
		t.Logf("tenant %s: %d sent, %d passed, %d in summaries over %d templates", tenant, want, got.passed, got.summarised, len(got.passedTemplates))
	}
	if len(tally) != len(sent) {
		t.Errorf("tenants seen %d, want %d", len(tally), len(sent))
	}
	warnGot := 0
	for _, tt := range tally {
		warnGot += tt.warn
	}
	if warnGot != warnSent {
		t.Errorf("%d WARN records delivered, want all %d", warnGot, warnSent)
	}
	for _, canary := range lrCanaries {
		if strings.Contains(c.Log(), canary) {
			t.Errorf("the collector's log contains personal data %q", canary)
		}
	}
	if len(sink.bad) > 0 {
		t.Errorf("the sink refused requests: %v", sink.bad)
	}
	records, gotBytes := sink.total()
	saving := 1 - float64(gotBytes)/float64(sentBytes)
	t.Logf("%d records represented; %d bytes sent, %d bytes reached the sink (OTLP protobuf): %.1f%% fewer", records, sentBytes, gotBytes, 100*saving)
	if saving < 0.90 {
		t.Errorf("only %.1f%% fewer bytes reached the sink, want at least 90%%", 100*saving)
	}
	if s := trMetric(metrics, "otelcol_processor_log_reduce_records_suppressed"); s == 0 {
		t.Errorf("records_suppressed not reported in the collector's metrics")
	}
}
