package e2e

import (
	"compress/gzip"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/plog/plogotlp"
)

// lokiRecord is one log record as the loopback Loki received it.
type lokiRecord struct {
	id, body, namespace string
	attrs               string // the record's attributes rendered as text, to look for leaked personal data
	scrubbed            bool   // pii.scrubbed == true on the record
}

// lokiTenants is a loopback stand-in for Loki's OTLP endpoint: it records the tenant header of every
// request and the records it carried, and can make one tenant answer 503 (an outage of that tenant).
type lokiTenants struct {
	server   *httptest.Server
	mu       sync.Mutex
	down     map[string]bool
	records  map[string][]lokiRecord
	failed   map[string]int
	requests map[string]int // by tenant header value, including rejected and 503-answered requests
	bad      []string       // requests this sink refused (wrong path, no tenant, undecodable body)
}

func startLokiTenants(t *testing.T) *lokiTenants {
	l := &lokiTenants{down: map[string]bool{}, records: map[string][]lokiRecord{}, failed: map[string]int{}, requests: map[string]int{}}
	l.server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tenant := r.Header.Get("X-Scope-OrgID")
		var body io.Reader = r.Body
		if r.Header.Get("Content-Encoding") == "gzip" {
			gz, err := gzip.NewReader(r.Body)
			if err != nil {
				l.refuse(w, "gzip: "+err.Error())
				return
			}
			body = gz
		}
		raw, err := io.ReadAll(body)
		req := plogotlp.NewExportRequest()
		switch {
		case err != nil:
			l.refuse(w, "reading body: "+err.Error())
			return
		case r.URL.Path != "/otlp/v1/logs":
			l.refuse(w, "path "+r.URL.Path)
			return
		case len(r.Header.Values("X-Scope-OrgID")) != 1 || tenant == "":
			l.refuse(w, fmt.Sprintf("tenant header %q", r.Header.Values("X-Scope-OrgID")))
			return
		case r.Header.Get("Content-Type") != "application/x-protobuf":
			l.refuse(w, "content type "+r.Header.Get("Content-Type"))
			return
		case req.UnmarshalProto(raw) != nil:
			l.refuse(w, "undecodable OTLP body")
			return
		}
		l.mu.Lock()
		defer l.mu.Unlock()
		l.requests[tenant]++
		if l.down[tenant] {
			l.failed[tenant]++
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		rls := req.Logs().ResourceLogs()
		for i := 0; i < rls.Len(); i++ {
			nsText := attrText(rls.At(i).Resource().Attributes(), "k8s.namespace.name")
			for j := 0; j < rls.At(i).ScopeLogs().Len(); j++ {
				lrs := rls.At(i).ScopeLogs().At(j).LogRecords()
				for k := 0; k < lrs.Len(); k++ {
					lr := lrs.At(k)
					marker, hasMarker := lr.Attributes().Get("pii.scrubbed")
					l.records[tenant] = append(l.records[tenant], lokiRecord{
						id: attrText(lr.Attributes(), "test.id"), body: lr.Body().AsString(), namespace: nsText,
						attrs:    fmt.Sprint(lr.Attributes().AsRaw()),
						scrubbed: hasMarker && marker.Type() == pcommon.ValueTypeBool && marker.Bool(),
					})
				}
			}
		}
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(l.server.Close)
	return l
}

// attrText renders an attribute as text, "" when it is absent.
func attrText(m pcommon.Map, key string) string {
	if v, ok := m.Get(key); ok {
		return v.AsString()
	}
	return ""
}

func (l *lokiTenants) refuse(w http.ResponseWriter, why string) {
	l.mu.Lock()
	l.bad = append(l.bad, why)
	l.mu.Unlock()
	http.Error(w, "bad request", http.StatusBadRequest)
}

func (l *lokiTenants) setDown(tenant string, down bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.down[tenant] = down
}

func (l *lokiTenants) received(tenant string) []lokiRecord {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]lokiRecord(nil), l.records[tenant]...)
}

func (l *lokiTenants) failures(tenant string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.failed[tenant]
}

// tenants lists every tenant header value the sink has seen.
func (l *lokiTenants) tenants() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for t := range l.requests {
		out = append(out, t)
	}
	sort.Strings(out)
	return out
}

func (l *lokiTenants) refused() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.bad...)
}

// trMetric sums a counter of the collector's own metrics, with or without the Prometheus _total suffix.
func trMetric(exposition, name string, labels ...string) float64 {
	return SumSamples(exposition, name, labels...) + SumSamples(exposition, name+"_total", labels...)
}

// writePIIKey writes a random 32-byte pseudonymisation key (hex) for pii_scrub into a test folder.
func writePIIKey(t *testing.T) string {
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "pii.key")
	if err := os.WriteFile(path, []byte(hex.EncodeToString(key)), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// The agent's logs pipeline in miniature: pii_scrub (real detection, marker pii.scrubbed) in front of
// tenant_router, with the restricted-tenant rule first and the namespace rule second, and a persistent queue.
const tenantRouterConfig = `
extensions:
  file_storage/queue:
    directory: ${env:WARDEN_DATA_DIR}
receivers:
  otlp:
    protocols:
      grpc:
        endpoint: ${env:TR_GRPC}
processors:
  pii_scrub:
    key:
      file: ${env:TR_PII_KEY}
    fail_closed: true
exporters:
  tenant_router/loki:
    endpoint: ${env:TR_LOKI}/otlp
    header: X-Scope-OrgID
    rules:
      - {attribute: pii.scrubbed, scope: record, equals: "true", tenant: restricted}
      - {attribute: k8s.namespace.name, scope: resource}
    default_tenant: shared
    retry_on_failure:
      initial_interval: 200ms
      max_interval: 2s
      max_elapsed_time: 0s
    sending_queue:
      storage: file_storage/queue
      num_consumers: 2
service:
  extensions: [file_storage/queue]
  pipelines:
    logs: {receivers: [otlp], processors: [pii_scrub], exporters: [tenant_router/loki]}
`

var trNamespaces = []string{"payments", "checkout", "search"}

const (
	trRecordsPerNamespace = 5 // per batch: 2 with personal data, 3 without
	trPIIPerNamespace     = 2
)

// tenantLogs is one request of an agent: records of several namespaces, some carrying personal data in
// the body (an e-mail address) or in an attribute (a card number). Nothing is pre-marked: pii_scrub must
// find and scrub the data and set pii.scrubbed itself. Every record has an id in test.id; ids of records
// with personal data contain ".pii".
func tenantLogs(batch int) plog.Logs {
	ld := plog.NewLogs()
	for _, ns := range trNamespaces {
		rl := ld.ResourceLogs().AppendEmpty()
		rl.Resource().Attributes().PutStr("k8s.namespace.name", ns)
		rl.Resource().Attributes().PutStr("service.name", ns+"-api")
		sl := rl.ScopeLogs().AppendEmpty()
		sl.Scope().SetName("e2e")
		lrs := sl.LogRecords()
		for i := range trRecordsPerNamespace {
			lr := lrs.AppendEmpty()
			lr.SetSeverityNumber(plog.SeverityNumberInfo)
			switch i {
			case 0:
				lr.Attributes().PutStr("test.id", fmt.Sprintf("%s.b%d.pii%d", ns, batch, i))
				lr.Body().SetStr(fmt.Sprintf("password reset mail sent to jane.doe.%s.%d@example.com", ns, batch))
			case 1:
				lr.Attributes().PutStr("test.id", fmt.Sprintf("%s.b%d.pii%d", ns, batch, i))
				lr.Attributes().PutStr("payment.card", "4111 1111 1111 1111")
				lr.Body().SetStr("card charged")
			default:
				lr.Attributes().PutStr("test.id", fmt.Sprintf("%s.b%d.ok%d", ns, batch, i))
				lr.Body().SetStr("order shipped")
			}
		}
	}
	return ld
}

// Logs from three namespaces, some with personal data, go through pii_scrub and tenant_router to a
// loopback Loki: scrubbed records reach only the restricted tenant (scrubbed and marked), the others
// their namespace's tenant. The checkout tenant is down for 30 s while data keeps coming: the other
// tenants (including restricted, which also carries checkout's scrubbed records) keep receiving, and once
// checkout is back every one of its records arrives exactly once.
func TestTenantRouterRoutesByNamespaceAndSurvivesATenantOutage(t *testing.T) {
	const batches = 10
	const outage = 30 * time.Second
	loki := startLokiTenants(t)
	grpc := FreeEndpoint(t)
	c := StartCollector(t, tenantRouterConfig, WithName("tenant-router"),
		WithEnv("TR_GRPC="+grpc, "TR_LOKI="+loki.server.URL, "TR_PII_KEY="+writePIIKey(t)))
	client := NewOTLPClient(t, grpc)

	loki.setDown("checkout", true)
	outageStart := time.Now()
	for b := range batches {
		if err := client.SendLogs(tenantLogs(b)); err != nil {
			t.Fatalf("sending batch %d: %v", b, err)
		}
		time.Sleep(time.Second)
	}
	clean := (trRecordsPerNamespace - trPIIPerNamespace) * batches
	// During the outage the other tenants are served: their lanes do not wait for checkout's.
	Eventually(t, 30*time.Second, func() bool {
		return len(loki.received("payments")) >= clean && len(loki.received("search")) >= clean &&
			len(loki.received("restricted")) >= trPIIPerNamespace*len(trNamespaces)*batches
	}, "payments, search and restricted must be delivered while checkout is down")
	if time.Since(outageStart) >= outage {
		t.Logf("note: the other tenants were complete only after the outage window (slow machine)")
	}
	if got := loki.received("checkout"); len(got) != 0 {
		t.Fatalf("checkout received %d records while down", len(got))
	}
	Eventually(t, 30*time.Second, func() bool { return loki.failures("checkout") > 0 },
		"checkout was never attempted during the outage")
	time.Sleep(time.Until(outageStart.Add(outage)))
	t.Logf("checkout answered 503 to %d requests during the %s outage", loki.failures("checkout"), outage)
	loki.setDown("checkout", false)
	Eventually(t, 60*time.Second, func() bool { return len(loki.received("checkout")) >= clean },
		"checkout's records must arrive after the outage")

	metrics := c.SelfMetrics(t)
	// Stop the collector before the final count, so a late duplicate would be seen.
	c.Stop()

	seen := map[string]string{}
	for _, tenant := range loki.tenants() {
		for _, rec := range loki.received(tenant) {
			if prev, dup := seen[rec.id]; dup {
				t.Errorf("record %q delivered twice (%s and %s)", rec.id, prev, tenant)
			}
			seen[rec.id] = tenant
			sensitive := strings.Contains(rec.id, ".pii")
			switch {
			case sensitive && tenant != "restricted":
				t.Errorf("record %q with personal data reached tenant %s", rec.id, tenant)
			case sensitive && !rec.scrubbed:
				t.Errorf("record %q reached restricted without pii.scrubbed=true", rec.id)
			case sensitive && (strings.Contains(rec.body, "@example.com") || strings.Contains(rec.attrs, "4111 1111 1111 1111")):
				t.Errorf("record %q still holds personal data: body %q, attributes %s", rec.id, rec.body, rec.attrs)
			case !sensitive && (rec.scrubbed || tenant != rec.namespace || !strings.HasPrefix(rec.id, tenant+".")):
				t.Errorf("record %q (namespace %s, scrubbed %v) reached tenant %s", rec.id, rec.namespace, rec.scrubbed, tenant)
			}
		}
	}
	if want := batches * trRecordsPerNamespace * len(trNamespaces); len(seen) != want {
		t.Errorf("%d distinct records delivered, want %d", len(seen), want)
	}
	if got, want := loki.tenants(), []string{"checkout", "payments", "restricted", "search"}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("tenant headers seen: %v, want %v", got, want)
	}
	if bad := loki.refused(); len(bad) > 0 {
		t.Errorf("the sink refused %d requests: %v", len(bad), bad)
	}
	for _, tenant := range []string{"payments", "checkout", "search"} {
		if n := len(loki.received(tenant)); n != clean {
			t.Errorf("tenant %s received %d records, want %d", tenant, n, clean)
		}
	}
	if n := trMetric(metrics, "otelcol_exporter_tenant_router_records_retried", `tenant="checkout"`); n == 0 {
		t.Error("records_retried{tenant=checkout} is 0 after an outage")
	}
	for tenant, want := range map[string]int{"restricted": trPIIPerNamespace * len(trNamespaces) * batches, "checkout": clean, "payments": clean} {
		if n := trMetric(metrics, "otelcol_exporter_tenant_router_records_sent", fmt.Sprintf(`tenant=%q`, tenant)); n != float64(want) {
			t.Errorf("records_sent{tenant=%s} = %v, want %d", tenant, n, want)
		}
	}
	if n := trMetric(metrics, "otelcol_exporter_tenant_router_records_failed"); n != 0 {
		t.Errorf("records_failed = %v, want 0 (a 503 outage is retryable)", n)
	}
	// The collector's own log and metrics never carry data values: no address, card number or record id.
	// The card number is looked for whole, spaced or not: "4111" alone is in a loopback port such as
	// 127.0.0.1:41111 often enough to fail the check without a leak.
	for _, leak := range []string{"@example.com", "4111 1111 1111 1111", "4111111111111111", "jane.doe", ".b0.", "order shipped"} {
		if strings.Contains(c.Log(), leak) || strings.Contains(metrics, leak) {
			t.Errorf("the collector's own log or metrics contain %q", leak)
		}
	}
	t.Logf("delivered %d records exactly once; per tenant: payments %d, search %d, checkout %d, restricted %d; 503s to checkout %d",
		len(seen), len(loki.received("payments")), len(loki.received("search")), len(loki.received("checkout")),
		len(loki.received("restricted")), loki.failures("checkout"))
}

const tenantRouterBadInputConfig = `
receivers:
  otlp:
    protocols:
      grpc:
        endpoint: ${env:TR_GRPC}
exporters:
  tenant_router/loki:
    endpoint: ${env:TR_LOKI}/otlp
    rules:
      - {attribute: pii.scrubbed, scope: record, equals: "true", tenant: restricted}
      - {attribute: k8s.namespace.name, scope: resource}
    default_tenant: shared
    sending_queue: {num_consumers: 2}
  # Nothing listens there: every request is a transport error, retried briefly, then given up.
  tenant_router/unreachable:
    endpoint: http://${env:TR_DEAD}/otlp
    rules: [{attribute: k8s.namespace.name, scope: resource}]
    default_tenant: shared
    timeout: 2s
    retry_on_failure: {initial_interval: 100ms, max_interval: 200ms, max_elapsed_time: 1s}
    sending_queue: {num_consumers: 1}
service:
  pipelines:
    logs: {receivers: [otlp], exporters: [tenant_router/loki]}
    logs/unreachable: {receivers: [otlp], exporters: [tenant_router/unreachable]}
`

// Bad tenant values never become a header: empty, huge, with a path separator, CR/LF, a lone ".",
// non-ASCII, or an attribute of the wrong type (int namespace, map marker) are counted by reason and the
// record goes to the next rule or the default tenant. An unreachable endpoint is a counted transport
// error. Afterwards the collector is still running and still routes good data.
func TestTenantRouterBadInputIsCountedAndNothingCrashes(t *testing.T) {
	loki := startLokiTenants(t)
	grpc := FreeEndpoint(t)
	c := StartCollector(t, tenantRouterBadInputConfig, WithName("tenant-router-bad-input"),
		WithEnv("TR_GRPC="+grpc, "TR_LOKI="+loki.server.URL, "TR_DEAD="+FreeEndpoint(t)))
	client := NewOTLPClient(t, grpc)

	badNamespaces := map[string]string{ // value -> rejection reason
		"":                            "empty",
		strings.Repeat("n", 151):      "too_long",
		strings.Repeat("huge", 1<<16): "too_long",
		"team/../../admin":            "invalid_characters",
		"ops\r\nX-Scope-OrgID: admin": "invalid_characters",
		"a|b":                         "invalid_characters",
		"équipe":                      "invalid_characters",
		".":                           "unsafe_path_segment",
		"..":                          "unsafe_path_segment",
	}
	ld := plog.NewLogs()
	addRecord := func(setNS func(pcommon.Map), id string, marker func(pcommon.Map)) {
		rl := ld.ResourceLogs().AppendEmpty()
		setNS(rl.Resource().Attributes())
		lr := rl.ScopeLogs().AppendEmpty().LogRecords().AppendEmpty()
		lr.Attributes().PutStr("test.id", id)
		lr.Body().SetStr("bad input")
		if marker != nil {
			marker(lr.Attributes())
		}
	}
	i := 0
	for value := range badNamespaces {
		addRecord(func(m pcommon.Map) { m.PutStr("k8s.namespace.name", value) }, fmt.Sprintf("bad.ns%d", i), nil)
		i++
	}
	// A namespace of the wrong type (int, map, bytes) and a marker of the wrong type (map).
	addRecord(func(m pcommon.Map) { m.PutInt("k8s.namespace.name", 42) }, "bad.int", nil)
	addRecord(func(m pcommon.Map) { m.PutEmptyMap("k8s.namespace.name").PutStr("x", "y") }, "bad.map", nil)
	addRecord(func(m pcommon.Map) { m.PutEmptyBytes("k8s.namespace.name").FromRaw([]byte("ns")) }, "bad.bytes", nil)
	addRecord(func(m pcommon.Map) { m.PutStr("k8s.namespace.name", "good-ns") }, "good.marker-map",
		func(m pcommon.Map) { m.PutEmptyMap("pii.scrubbed").PutBool("v", true) })
	// A record without any namespace goes to the default tenant without a rejection.
	addRecord(func(pcommon.Map) {}, "none", nil)
	total := ld.LogRecordCount()
	if err := client.SendLogs(ld); err != nil {
		t.Fatalf("sending bad input: %v", err)
	}

	Eventually(t, 30*time.Second, func() bool {
		return len(loki.received("shared"))+len(loki.received("good-ns")) >= total
	}, "every record must reach the default tenant or its valid namespace")
	Eventually(t, 30*time.Second, func() bool {
		m := c.SelfMetrics(t)
		return trMetric(m, "otelcol_exporter_tenant_router_requests", `status_class="transport_error"`) > 0
	}, "the unreachable endpoint's transport errors must be counted")

	if got := loki.tenants(); fmt.Sprint(got) != "[good-ns shared]" {
		t.Errorf("tenant headers seen: %q, want only good-ns and shared", got)
	}
	if got := loki.received("good-ns"); len(got) != 1 || got[0].id != "good.marker-map" {
		t.Errorf("good-ns received %v, want only the record with a map marker", got)
	}
	if n := len(loki.received("shared")); n != total-1 {
		t.Errorf("shared received %d records, want %d", n, total-1)
	}
	if bad := loki.refused(); len(bad) > 0 {
		t.Errorf("the sink refused %d requests: %v", len(bad), bad)
	}

	// Good data still flows after the bad input: the collector is alive and routing.
	good := plog.NewLogs()
	rl := good.ResourceLogs().AppendEmpty()
	rl.Resource().Attributes().PutStr("k8s.namespace.name", "after")
	rl.ScopeLogs().AppendEmpty().LogRecords().AppendEmpty().Attributes().PutStr("test.id", "after.0")
	if err := client.SendLogs(good); err != nil {
		t.Fatalf("sending good data after bad input: %v", err)
	}
	Eventually(t, 30*time.Second, func() bool { return len(loki.received("after")) == 1 },
		"good data after bad input must still be routed")
	if !c.Running() {
		t.Fatal("the collector exited")
	}

	m := c.SelfMetrics(t)
	wantRejected := map[string]float64{"wrong_type": 4}
	for _, reason := range badNamespaces {
		wantRejected[reason]++
	}
	for reason, want := range wantRejected {
		// Both exporters see the bad namespaces; only tenant_router/loki has the marker rule.
		if reason == "wrong_type" {
			want = want*2 - 1
		} else {
			want *= 2
		}
		if n := trMetric(m, "otelcol_exporter_tenant_router_tenant_values_rejected", fmt.Sprintf(`reason=%q`, reason)); n != want {
			t.Errorf("tenant_values_rejected{reason=%s} = %v, want %v", reason, n, want)
		}
	}
	Eventually(t, 30*time.Second, func() bool {
		m = c.SelfMetrics(t)
		return SumSamples(m, "otelcol_exporter_send_failed_log_records", `tenant_router/unreachable`)+
			SumSamples(m, "otelcol_exporter_send_failed_log_records_total", `tenant_router/unreachable`) > 0
	}, "the unreachable endpoint's records must be counted as failed once retries are exhausted")
	t.Logf("rejected by reason: empty %v, too_long %v, invalid_characters %v, unsafe_path_segment %v, wrong_type %v; transport errors %v",
		trMetric(m, "otelcol_exporter_tenant_router_tenant_values_rejected", `reason="empty"`),
		trMetric(m, "otelcol_exporter_tenant_router_tenant_values_rejected", `reason="too_long"`),
		trMetric(m, "otelcol_exporter_tenant_router_tenant_values_rejected", `reason="invalid_characters"`),
		trMetric(m, "otelcol_exporter_tenant_router_tenant_values_rejected", `reason="unsafe_path_segment"`),
		trMetric(m, "otelcol_exporter_tenant_router_tenant_values_rejected", `reason="wrong_type"`),
		trMetric(m, "otelcol_exporter_tenant_router_requests", `status_class="transport_error"`))
	for _, leak := range []string{"admin", "équipe", "huge"} {
		if strings.Contains(c.Log(), leak) || strings.Contains(m, leak) {
			t.Errorf("the collector's own log or metrics contain the data value %q", leak)
		}
	}
}

// A tenant_router config with an invalid setting stops start-up with a message naming the key.
func TestTenantRouterBadConfigStopsStartup(t *testing.T) {
	cases := map[string]string{
		"default_tenant: a/b":      `default_tenant: "a/b" is not a valid tenant ID`,
		"header: \"X Bad\"":        `header: "X Bad" is not a valid HTTP header name`,
		"max_tenants_per_batch: 0": "max_tenants_per_batch: must be between 1 and max_tenants",
		"unmatched: maybe":         `unmatched: "maybe" must be "default" or "drop"`,
		"rules: [{attribute: k8s.namespace.name, scope: pod}]":                          `rules[0].scope: "pod" must be`,
		"rules: [{attribute: pii.scrubbed, equals: \"true\", tenant: \"re stricted\"}]": `rules[0].tenant: "re stricted" is not a valid tenant ID`,
		"rules: [{attribute: ns, mapping: {a: \"..\"}}]":                                `rules[0].mapping["a"]: ".." is not a valid tenant ID`,
	}
	for line, want := range cases {
		t.Run(line, func(t *testing.T) {
			base := "    default_tenant: shared\n"
			if strings.HasPrefix(line, "default_tenant:") {
				base = ""
			}
			config := "receivers:\n  otlp:\n    protocols:\n      grpc: {endpoint: \"127.0.0.1:0\"}\n" +
				"exporters:\n  tenant_router:\n    endpoint: http://127.0.0.1:1/otlp\n" + base + "    " + line + "\n" +
				"service:\n  pipelines:\n    logs: {receivers: [otlp], exporters: [tenant_router]}\n"
			path := filepath.Join(t.TempDir(), "bad.yaml")
			if err := os.WriteFile(path, []byte(config), 0o600); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			out, err := exec.CommandContext(ctx, WardenBin(t), "--config", path).CombinedOutput()
			if err == nil || ctx.Err() != nil {
				t.Fatalf("collector did not stop on a bad config (err %v):\n%s", err, out)
			}
			if !strings.Contains(string(out), want) {
				t.Errorf("message does not contain %q:\n%s", want, out)
			}
			if strings.Contains(string(out), readyLogLine) {
				t.Errorf("collector reported ready on a bad config:\n%s", out)
			}
		})
	}
}
