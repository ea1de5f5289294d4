package e2e

import (
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/plog/plogotlp"
)

// lokiTenants is a loopback stand-in for Loki's OTLP endpoint: it records the X-Scope-OrgID header and
// the log bodies of every request, and can make one tenant answer 503 (an outage of that tenant).
type lokiTenants struct {
	server *httptest.Server
	mu     sync.Mutex
	down   map[string]bool
	bodies map[string][]string
	failed map[string]int
}

func startLokiTenants(t *testing.T) *lokiTenants {
	l := &lokiTenants{down: map[string]bool{}, bodies: map[string][]string{}, failed: map[string]int{}}
	l.server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tenant := r.Header.Get("X-Scope-OrgID")
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
		if err != nil || r.URL.Path != "/otlp/v1/logs" || tenant == "" || req.UnmarshalProto(raw) != nil {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		l.mu.Lock()
		defer l.mu.Unlock()
		if l.down[tenant] {
			l.failed[tenant]++
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		rls := req.Logs().ResourceLogs()
		for i := 0; i < rls.Len(); i++ {
			for j := 0; j < rls.At(i).ScopeLogs().Len(); j++ {
				lrs := rls.At(i).ScopeLogs().At(j).LogRecords()
				for k := 0; k < lrs.Len(); k++ {
					l.bodies[tenant] = append(l.bodies[tenant], lrs.At(k).Body().Str())
				}
			}
		}
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(l.server.Close)
	return l
}

func (l *lokiTenants) setDown(tenant string, down bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.down[tenant] = down
}

func (l *lokiTenants) received(tenant string) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.bodies[tenant]...)
}

func (l *lokiTenants) failures(tenant string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.failed[tenant]
}

const tenantRouterConfig = `
extensions:
  file_storage/queue:
    directory: ${env:WARDEN_DATA_DIR}
receivers:
  otlp:
    protocols:
      grpc:
        endpoint: ${env:TR_GRPC}
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
    logs: {receivers: [otlp], exporters: [tenant_router/loki]}
`

// tenantLogs is one request of an agent: records of several namespaces, some scrubbed by pii_scrub.
func tenantLogs(batch int) plog.Logs {
	ld := plog.NewLogs()
	for _, ns := range []string{"payments", "checkout", "search"} {
		rl := ld.ResourceLogs().AppendEmpty()
		rl.Resource().Attributes().PutStr("k8s.namespace.name", ns)
		lrs := rl.ScopeLogs().AppendEmpty().LogRecords()
		for i := range 4 {
			lr := lrs.AppendEmpty()
			if i == 0 {
				lr.Body().SetStr(fmt.Sprintf("scrubbed/%s/%d/%d", ns, batch, i))
				lr.Attributes().PutBool("pii.scrubbed", true)
				continue
			}
			lr.Body().SetStr(fmt.Sprintf("%s/%d/%d", ns, batch, i))
		}
	}
	return ld
}

// Logs from three namespaces, some scrubbed: scrubbed records reach only the restricted tenant, the
// others their namespace's tenant. The checkout tenant is down for 30 s while data keeps coming: the
// other tenants keep receiving, and once checkout is back every one of its records arrives exactly once.
func TestTenantRouterRoutesByNamespaceAndSurvivesATenantOutage(t *testing.T) {
	const batches = 10
	loki := startLokiTenants(t)
	grpc := FreeEndpoint(t)
	c := StartCollector(t, tenantRouterConfig, WithName("tenant-router"), WithEnv("TR_GRPC="+grpc, "TR_LOKI="+loki.server.URL))
	client := NewOTLPClient(t, grpc)

	loki.setDown("checkout", true)
	outageStart := time.Now()
	for b := range batches {
		if err := client.SendLogs(tenantLogs(b)); err != nil {
			t.Fatalf("sending batch %d: %v", b, err)
		}
		time.Sleep(2 * time.Second)
	}
	// During the outage the other tenants are served: their lanes do not wait for checkout's.
	Eventually(t, 20*time.Second, func() bool {
		return len(loki.received("payments")) == 3*batches && len(loki.received("search")) == 3*batches &&
			len(loki.received("restricted")) == 3*batches
	}, "payments, search and restricted must be delivered while checkout is down")
	if got := loki.received("checkout"); len(got) != 0 {
		t.Fatalf("checkout received %d records while down", len(got))
	}
	if loki.failures("checkout") == 0 {
		t.Fatal("checkout was never attempted during the outage")
	}
	time.Sleep(time.Until(outageStart.Add(30 * time.Second)))
	loki.setDown("checkout", false)
	Eventually(t, 60*time.Second, func() bool { return len(loki.received("checkout")) >= 3*batches },
		"checkout's records must arrive after the outage")

	seen := map[string]string{}
	for _, tenant := range []string{"payments", "checkout", "search", "restricted", "shared"} {
		for _, body := range loki.received(tenant) {
			if prev, dup := seen[body]; dup {
				t.Errorf("record %q delivered twice (%s and %s)", body, prev, tenant)
			}
			seen[body] = tenant
			scrubbed := strings.HasPrefix(body, "scrubbed/")
			switch {
			case scrubbed && tenant != "restricted":
				t.Errorf("scrubbed record %q reached tenant %s", body, tenant)
			case !scrubbed && !strings.HasPrefix(body, tenant+"/"):
				t.Errorf("record %q reached tenant %s", body, tenant)
			}
		}
	}
	if want := batches * 12; len(seen) != want {
		t.Errorf("%d distinct records delivered, want %d", len(seen), want)
	}
	if n := c.SelfMetric(t, "otelcol_exporter_tenant_router_records_retried", `tenant="checkout"`); n == 0 {
		t.Error("otelcol_exporter_tenant_router_records_retried{tenant=checkout} is 0 after an outage")
	}
	if n := c.SelfMetric(t, "otelcol_exporter_tenant_router_records_sent", `tenant="restricted"`); n != 3*batches {
		t.Errorf("records_sent{tenant=restricted} = %v, want %d", n, 3*batches)
	}
}

// A tenant_router config with an invalid tenant stops start-up with a message naming the key.
func TestTenantRouterBadConfigStopsStartup(t *testing.T) {
	cases := map[string]string{
		"default_tenant: a/b":      `default_tenant: "a/b" is not a valid tenant ID`,
		"header: \"X Bad\"":        `header: "X Bad" is not a valid HTTP header name`,
		"max_tenants_per_batch: 0": "max_tenants_per_batch",
	}
	for line, want := range cases {
		t.Run(line, func(t *testing.T) {
			config := "receivers:\n  otlp:\n    protocols:\n      grpc: {endpoint: \"127.0.0.1:0\"}\n" +
				"exporters:\n  tenant_router:\n    endpoint: http://127.0.0.1:1/otlp\n    default_tenant: shared\n    " + line + "\n" +
				"service:\n  pipelines:\n    logs: {receivers: [otlp], exporters: [tenant_router]}\n"
			path := filepath.Join(t.TempDir(), "bad.yaml")
			if err := os.WriteFile(path, []byte(config), 0o600); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			out, err := exec.CommandContext(ctx, WardenBin(t), "--config", path).CombinedOutput()
			if err == nil || ctx.Err() != nil {
				t.Fatalf("collector did not stop on a bad config (err %v):\n%s", err, out)
			}
			if !strings.Contains(string(out), want) {
				t.Errorf("message does not contain %q:\n%s", want, out)
			}
		})
	}
}
