// Copyright otelcol-warden authors
// SPDX-License-Identifier: Apache-2.0

package tenantrouter

import (
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/exporter/exporterhelper"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/plog/plogotlp"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/pmetric/pmetricotlp"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/otelcol-warden/otelcol-warden/exporter/tenantrouter/internal/metadatatest"
)

// backend is an httptest OTLP/HTTP server recording, per request, the tenant header and the records
// in the body; a tenant can be made to answer a given status.
type backend struct {
	t      testing.TB
	server *httptest.Server
	header string

	mu       sync.Mutex
	failWith map[string]int // tenant -> status answered instead of 200
	requests map[string]int // tenant -> requests received (any outcome)
	records  map[string][]string
	paths    map[string]bool
}

func newBackend(t testing.TB, header string) *backend {
	b := &backend{t: t, header: header, failWith: map[string]int{}, requests: map[string]int{}, records: map[string][]string{}, paths: map[string]bool{}}
	b.server = httptest.NewServer(http.HandlerFunc(b.handle))
	t.Cleanup(b.server.Close)
	return b
}

func (b *backend) handle(w http.ResponseWriter, r *http.Request) {
	tenants := r.Header.Values(b.header)
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
	if err != nil || len(tenants) != 1 || r.Header.Get("Content-Type") != "application/x-protobuf" {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	tenant := tenants[0]
	b.mu.Lock()
	defer b.mu.Unlock()
	b.requests[tenant]++
	b.paths[r.URL.Path] = true
	if status := b.failWith[tenant]; status != 0 {
		w.WriteHeader(status)
		return
	}
	ids, err := recordIDs(r.URL.Path, raw)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	b.records[tenant] = append(b.records[tenant], ids...)
	w.WriteHeader(http.StatusOK)
}

// recordIDs decodes an OTLP body and returns the id of each record (log body, span name, data point
// attribute "id").
func recordIDs(path string, raw []byte) ([]string, error) {
	var ids []string
	switch {
	case strings.HasSuffix(path, "/v1/logs"):
		req := plogotlp.NewExportRequest()
		if err := req.UnmarshalProto(raw); err != nil {
			return nil, err
		}
		rls := req.Logs().ResourceLogs()
		for i := 0; i < rls.Len(); i++ {
			for j := 0; j < rls.At(i).ScopeLogs().Len(); j++ {
				lrs := rls.At(i).ScopeLogs().At(j).LogRecords()
				for k := 0; k < lrs.Len(); k++ {
					ids = append(ids, lrs.At(k).Body().Str())
				}
			}
		}
	case strings.HasSuffix(path, "/v1/traces"):
		req := ptraceotlp.NewExportRequest()
		if err := req.UnmarshalProto(raw); err != nil {
			return nil, err
		}
		rss := req.Traces().ResourceSpans()
		for i := 0; i < rss.Len(); i++ {
			for j := 0; j < rss.At(i).ScopeSpans().Len(); j++ {
				spans := rss.At(i).ScopeSpans().At(j).Spans()
				for k := 0; k < spans.Len(); k++ {
					ids = append(ids, spans.At(k).Name())
				}
			}
		}
	case strings.HasSuffix(path, "/v1/metrics"):
		req := pmetricotlp.NewExportRequest()
		if err := req.UnmarshalProto(raw); err != nil {
			return nil, err
		}
		rms := req.Metrics().ResourceMetrics()
		for i := 0; i < rms.Len(); i++ {
			for j := 0; j < rms.At(i).ScopeMetrics().Len(); j++ {
				ms := rms.At(i).ScopeMetrics().At(j).Metrics()
				for k := 0; k < ms.Len(); k++ {
					dps := ms.At(k).Sum().DataPoints()
					for d := 0; d < dps.Len(); d++ {
						id, _ := dps.At(d).Attributes().Get("id")
						ids = append(ids, ms.At(k).Name()+"/"+id.Str())
					}
				}
			}
		}
	default:
		return nil, fmt.Errorf("unexpected path %s", path)
	}
	return ids, nil
}

func (b *backend) fail(tenant string, status int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if status == 0 {
		delete(b.failWith, tenant)
	} else {
		b.failWith[tenant] = status
	}
}

func (b *backend) received() map[string][]string {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := map[string][]string{}
	for tenant, ids := range b.records {
		out[tenant] = append([]string(nil), ids...)
	}
	return out
}

func (b *backend) requestCount(tenant string) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.requests[tenant]
}

// namespaceConfig is the Loki setup of the issue: scrubbed records to "restricted", the rest to
// their namespace's tenant, the remainder to "shared".
func namespaceConfig(endpoint string) *Config {
	cfg := createDefaultConfig().(*Config)
	cfg.ClientConfig.Endpoint = endpoint
	cfg.Rules = []RuleConfig{
		{Attribute: "pii.scrubbed", Scope: ScopeRecord, Equals: "true", Tenant: "restricted"},
		{Attribute: "k8s.namespace.name", Scope: ScopeResource},
	}
	cfg.DefaultTenant = "shared"
	cfg.RetryConfig.InitialInterval = 5 * time.Millisecond
	cfg.RetryConfig.MaxInterval = 20 * time.Millisecond
	cfg.RetryConfig.RandomizationFactor = 0
	return cfg
}

// logRecord describes one record of a test batch; its body is its id.
type logRecord struct {
	namespace string // "" = no k8s.namespace.name
	id        string
	scrubbed  bool
}

func makeLogs(records ...logRecord) plog.Logs {
	ld := plog.NewLogs()
	byNamespace := map[string]plog.LogRecordSlice{}
	for _, r := range records {
		lrs, ok := byNamespace[r.namespace]
		if !ok {
			rl := ld.ResourceLogs().AppendEmpty()
			if r.namespace != "" {
				rl.Resource().Attributes().PutStr("k8s.namespace.name", r.namespace)
			}
			rl.ScopeLogs().AppendEmpty().Scope().SetName("test")
			lrs = rl.ScopeLogs().At(0).LogRecords()
			byNamespace[r.namespace] = lrs
		}
		lr := lrs.AppendEmpty()
		lr.Body().SetStr(r.id)
		if r.scrubbed {
			lr.Attributes().PutBool("pii.scrubbed", true)
		}
	}
	return ld
}

func startLogs(t *testing.T, cfg *Config, tt *componenttest.Telemetry) *logsExporterHandle {
	t.Helper()
	require.NoError(t, cfg.Validate())
	exp, err := NewFactory().CreateLogs(context.Background(), metadatatest.NewSettings(tt), cfg)
	require.NoError(t, err)
	require.NoError(t, exp.Start(context.Background(), componenttest.NewNopHost()))
	h := &logsExporterHandle{exp: exp.(logsExporter)}
	t.Cleanup(func() { h.shutdown(t) })
	return h
}

type logsExporterHandle struct {
	exp  logsExporter
	once sync.Once
}

func (h *logsExporterHandle) shutdown(t *testing.T) {
	h.once.Do(func() { require.NoError(t, h.exp.Shutdown(context.Background())) })
}

// counter returns the value of a self-metric counter for the data point with exactly these attributes.
func counter(t *testing.T, tt *componenttest.Telemetry, name string, attrs ...attribute.KeyValue) int64 {
	t.Helper()
	m, err := tt.GetMetric("otelcol_" + name)
	if err != nil {
		return 0
	}
	want := attribute.NewSet(attrs...)
	for _, dp := range m.Data.(metricdata.Sum[int64]).DataPoints {
		if dp.Attributes.Equals(&want) {
			return dp.Value
		}
	}
	return 0
}

func tenant(name string) attribute.KeyValue { return attribute.String("tenant", name) }

func TestLogsReachTheirTenantExactlyOnce(t *testing.T) {
	be := newBackend(t, "X-Scope-OrgID")
	tt := componenttest.NewTelemetry()
	h := startLogs(t, namespaceConfig(be.server.URL), tt)

	require.NoError(t, h.exp.ConsumeLogs(context.Background(), makeLogs(
		logRecord{namespace: "payments", id: "p1"},
		logRecord{namespace: "payments", id: "p2-pii", scrubbed: true},
		logRecord{namespace: "payments", id: "p3"},
		logRecord{namespace: "checkout", id: "c1"},
		logRecord{namespace: "checkout", id: "c2-pii", scrubbed: true},
		logRecord{id: "orphan"},
	)))
	h.shutdown(t) // drains the per-tenant queues

	assert.Equal(t, map[string][]string{
		"payments":   {"p1", "p3"},
		"checkout":   {"c1"},
		"restricted": {"p2-pii", "c2-pii"},
		"shared":     {"orphan"},
	}, be.received())
	assert.Equal(t, int64(2), counter(t, tt, "exporter_tenant_router_records_sent", tenant("restricted")))
	assert.Equal(t, int64(1), counter(t, tt, "exporter_tenant_router_requests", tenant("payments"), attribute.String("status_class", "2xx")))
}

func TestScrubbedRecordsNeverReachNamespaceTenant(t *testing.T) {
	be := newBackend(t, "X-Scope-OrgID")
	h := startLogs(t, namespaceConfig(be.server.URL), componenttest.NewTelemetry())
	// the marker written as a string or int must route the same as pii_scrub's bool
	ld := makeLogs(logRecord{namespace: "payments", id: "bool", scrubbed: true}, logRecord{namespace: "payments", id: "str"}, logRecord{namespace: "payments", id: "clean"})
	ld.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(1).Attributes().PutStr("pii.scrubbed", "true")
	require.NoError(t, h.exp.ConsumeLogs(context.Background(), ld))
	h.shutdown(t)
	assert.Equal(t, map[string][]string{"restricted": {"bool", "str"}, "payments": {"clean"}}, be.received())
}

func TestHeaderNameIsConfigurable(t *testing.T) {
	be := newBackend(t, "X-Tenant")
	cfg := namespaceConfig(be.server.URL)
	cfg.Header = "X-Tenant"
	h := startLogs(t, cfg, componenttest.NewTelemetry())
	require.NoError(t, h.exp.ConsumeLogs(context.Background(), makeLogs(logRecord{namespace: "payments", id: "p1"})))
	h.shutdown(t)
	assert.Equal(t, map[string][]string{"payments": {"p1"}}, be.received())
}

// A tenant whose backend answers 503 is retried in its own lane while the other tenants' data keeps
// flowing; once it recovers, its records arrive exactly once and nobody else's are sent again.
func TestFailingTenantIsRetriedAloneWhileOthersFlow(t *testing.T) {
	be := newBackend(t, "X-Scope-OrgID")
	cfg := namespaceConfig(be.server.URL)
	cfg.RetryConfig.MaxElapsedTime = 0 // retry until the backend recovers
	tt := componenttest.NewTelemetry()
	h := startLogs(t, cfg, tt)
	be.fail("checkout", http.StatusServiceUnavailable)

	for batch := range 5 {
		require.NoError(t, h.exp.ConsumeLogs(context.Background(), makeLogs(
			logRecord{namespace: "payments", id: fmt.Sprintf("p%d", batch)},
			logRecord{namespace: "checkout", id: fmt.Sprintf("c%d", batch)},
		)))
	}
	require.Eventually(t, func() bool { return len(be.received()["payments"]) == 5 }, 10*time.Second, 5*time.Millisecond,
		"payments must be delivered while checkout is failing")
	require.Eventually(t, func() bool { return be.requestCount("checkout") >= 10 }, 10*time.Second, 5*time.Millisecond)
	assert.Empty(t, be.received()["checkout"])

	be.fail("checkout", 0)
	require.Eventually(t, func() bool { return len(be.received()["checkout"]) == 5 }, 10*time.Second, 5*time.Millisecond)
	h.shutdown(t)

	got := be.received()
	assert.ElementsMatch(t, []string{"p0", "p1", "p2", "p3", "p4"}, got["payments"])
	assert.ElementsMatch(t, []string{"c0", "c1", "c2", "c3", "c4"}, got["checkout"])
	assert.Equal(t, 5, be.requestCount("payments"), "a healthy tenant is never re-sent")
	assert.Equal(t, int64(5), counter(t, tt, "exporter_tenant_router_records_sent", tenant("checkout")))
	assert.GreaterOrEqual(t, counter(t, tt, "exporter_tenant_router_records_retried", tenant("checkout")), int64(10))
	assert.GreaterOrEqual(t, counter(t, tt, "exporter_tenant_router_requests", tenant("checkout"), attribute.String("status_class", "5xx")), int64(10))
	assert.Zero(t, counter(t, tt, "exporter_tenant_router_records_retried", tenant("payments")))
}

// Without a queue the caller gets back only the failed tenant's records as retryable data;
// permanently rejected records are dropped and counted, delivered ones are not returned.
func TestWithoutQueueOnlyTheFailedPartIsReturned(t *testing.T) {
	be := newBackend(t, "X-Scope-OrgID")
	cfg := namespaceConfig(be.server.URL)
	cfg.QueueConfig = configoptional.None[exporterhelper.QueueBatchConfig]()
	cfg.RetryConfig.Enabled = false
	tt := componenttest.NewTelemetry()
	h := startLogs(t, cfg, tt)
	be.fail("checkout", http.StatusTooManyRequests)
	be.fail("billing", http.StatusBadRequest)

	err := h.exp.ConsumeLogs(context.Background(), makeLogs(
		logRecord{namespace: "payments", id: "p1"},
		logRecord{namespace: "checkout", id: "c1"},
		logRecord{namespace: "checkout", id: "c2"},
		logRecord{namespace: "billing", id: "b1"},
	))
	require.Error(t, err)
	assert.False(t, consumererror.IsPermanent(err))
	var failed consumererror.Logs
	require.ErrorAs(t, err, &failed)
	var returned []string
	rls := failed.Data().ResourceLogs()
	for i := 0; i < rls.Len(); i++ {
		lrs := rls.At(i).ScopeLogs().At(0).LogRecords()
		for k := 0; k < lrs.Len(); k++ {
			returned = append(returned, lrs.At(k).Body().Str())
		}
		ns, _ := rls.At(i).Resource().Attributes().Get("k8s.namespace.name")
		assert.Equal(t, "checkout", ns.Str(), "the returned part keeps its resource")
	}
	assert.Equal(t, []string{"c1", "c2"}, returned)
	assert.Equal(t, map[string][]string{"payments": {"p1"}}, be.received())
	assert.Contains(t, err.Error(), `tenant "checkout"`)
	assert.Contains(t, err.Error(), `tenant "billing"`)
	assert.Equal(t, int64(1), counter(t, tt, "exporter_tenant_router_records_failed", tenant("billing")))
	assert.Equal(t, int64(2), counter(t, tt, "exporter_tenant_router_records_retried", tenant("checkout")))
}

func TestOnlyPermanentFailuresArePermanent(t *testing.T) {
	be := newBackend(t, "X-Scope-OrgID")
	cfg := namespaceConfig(be.server.URL)
	cfg.QueueConfig = configoptional.None[exporterhelper.QueueBatchConfig]()
	h := startLogs(t, cfg, componenttest.NewTelemetry())
	be.fail("billing", http.StatusBadRequest)
	err := h.exp.ConsumeLogs(context.Background(), makeLogs(logRecord{namespace: "billing", id: "b1"}, logRecord{namespace: "payments", id: "p1"}))
	require.Error(t, err)
	assert.True(t, consumererror.IsPermanent(err))
	assert.Equal(t, map[string][]string{"payments": {"p1"}}, be.received())
}

func TestInvalidTenantValuesNeverBecomeHeaders(t *testing.T) {
	be := newBackend(t, "X-Scope-OrgID")
	tt := componenttest.NewTelemetry()
	h := startLogs(t, namespaceConfig(be.server.URL), tt)

	ld := makeLogs(
		logRecord{namespace: "", id: "empty-value"},
		logRecord{namespace: strings.Repeat("n", 151), id: "too-long"},
		logRecord{namespace: "team/../admin", id: "slash"},
		logRecord{namespace: "a\r\nX-Injected: 1", id: "crlf"},
		logRecord{namespace: "..", id: "dotdot"},
	)
	// the empty namespace record has no attribute at all in makeLogs: give it an empty string
	ld.ResourceLogs().At(0).Resource().Attributes().PutStr("k8s.namespace.name", "")
	wrongTypes := plog.NewLogs()
	for i, set := range []func(rl plog.ResourceLogs){
		func(rl plog.ResourceLogs) { rl.Resource().Attributes().PutInt("k8s.namespace.name", 42) },
		func(rl plog.ResourceLogs) {
			rl.Resource().Attributes().PutEmptyMap("k8s.namespace.name").PutStr("a", "b")
		},
		func(rl plog.ResourceLogs) {
			rl.Resource().Attributes().PutEmptyBytes("k8s.namespace.name").FromRaw([]byte("payments"))
		},
	} {
		rl := wrongTypes.ResourceLogs().AppendEmpty()
		set(rl)
		rl.ScopeLogs().AppendEmpty().LogRecords().AppendEmpty().Body().SetStr(fmt.Sprintf("wrong-type-%d", i))
	}
	// a marker of the wrong type does not route to restricted, and is counted
	mapMarker := makeLogs(logRecord{namespace: "payments", id: "map-marker"})
	mapMarker.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(0).Attributes().PutEmptyMap("pii.scrubbed")

	require.NoError(t, h.exp.ConsumeLogs(context.Background(), ld))
	require.NoError(t, h.exp.ConsumeLogs(context.Background(), wrongTypes))
	require.NoError(t, h.exp.ConsumeLogs(context.Background(), mapMarker))
	h.shutdown(t)

	got := be.received()
	assert.ElementsMatch(t, []string{"empty-value", "too-long", "slash", "crlf", "dotdot", "wrong-type-0", "wrong-type-1", "wrong-type-2"}, got["shared"])
	assert.Equal(t, []string{"map-marker"}, got["payments"])
	assert.Len(t, got, 2, "only valid tenants were used as headers")
	reason := func(r string) attribute.KeyValue { return attribute.String("reason", r) }
	assert.Equal(t, int64(1), counter(t, tt, "exporter_tenant_router_tenant_values_rejected", reason("empty")))
	assert.Equal(t, int64(1), counter(t, tt, "exporter_tenant_router_tenant_values_rejected", reason("too_long")))
	assert.Equal(t, int64(2), counter(t, tt, "exporter_tenant_router_tenant_values_rejected", reason("invalid_characters")))
	assert.Equal(t, int64(1), counter(t, tt, "exporter_tenant_router_tenant_values_rejected", reason("unsafe_path_segment")))
	assert.Equal(t, int64(4), counter(t, tt, "exporter_tenant_router_tenant_values_rejected", reason("wrong_type")))
}

func TestMappingAndUnmatchedDrop(t *testing.T) {
	be := newBackend(t, "X-Scope-OrgID")
	cfg := namespaceConfig(be.server.URL)
	cfg.Rules[1].Mapping = map[string]string{"payments": "team-money"}
	cfg.Rules[1].Unmapped = UnmappedSkip
	cfg.DefaultTenant = ""
	cfg.Unmatched = UnmatchedDrop
	tt := componenttest.NewTelemetry()
	h := startLogs(t, cfg, tt)
	require.NoError(t, h.exp.ConsumeLogs(context.Background(), makeLogs(
		logRecord{namespace: "payments", id: "p1"},
		logRecord{namespace: "checkout", id: "c1"},
		logRecord{id: "orphan"},
		logRecord{namespace: "checkout", id: "c2-pii", scrubbed: true},
	)))
	h.shutdown(t)
	assert.Equal(t, map[string][]string{"team-money": {"p1"}, "restricted": {"c2-pii"}}, be.received())
	assert.Equal(t, int64(2), counter(t, tt, "exporter_tenant_router_records_dropped", attribute.String("reason", "no_tenant")))
}

func TestTenantBoundsOverflowToDefault(t *testing.T) {
	be := newBackend(t, "X-Scope-OrgID")
	cfg := namespaceConfig(be.server.URL)
	cfg.MaxTenants = 4 // shared + restricted + two dynamic tenants
	cfg.MaxTenantsPerBatch = 2
	tt := componenttest.NewTelemetry()
	h := startLogs(t, cfg, tt)

	// one batch with four namespaces: two fit the per-batch bound, the other two overflow
	require.NoError(t, h.exp.ConsumeLogs(context.Background(), makeLogs(
		logRecord{namespace: "ns1", id: "a"}, logRecord{namespace: "ns2", id: "b"},
		logRecord{namespace: "ns3", id: "c"}, logRecord{namespace: "ns4", id: "d"},
	)))
	// a later batch with a fifth namespace: the exporter already has four lanes
	require.NoError(t, h.exp.ConsumeLogs(context.Background(), makeLogs(logRecord{namespace: "ns5", id: "e"}, logRecord{namespace: "ns1", id: "f"})))
	h.shutdown(t)

	got := be.received()
	assert.ElementsMatch(t, []string{"a", "f"}, got["ns1"]) // two requests, delivered by concurrent queue consumers
	assert.Equal(t, []string{"b"}, got["ns2"])
	assert.ElementsMatch(t, []string{"c", "d", "e"}, got["shared"])
	assert.Len(t, got, 3)
	assert.Equal(t, int64(2), counter(t, tt, "exporter_tenant_router_records_overflowed", attribute.String("limit", "per_batch")))
	assert.Equal(t, int64(1), counter(t, tt, "exporter_tenant_router_records_overflowed", attribute.String("limit", "total")))
}

func TestUnreachableEndpointIsAnErrorNotACrash(t *testing.T) {
	cfg := namespaceConfig("http://127.0.0.1:1")
	cfg.QueueConfig = configoptional.None[exporterhelper.QueueBatchConfig]()
	cfg.RetryConfig.Enabled = false
	tt := componenttest.NewTelemetry()
	h := startLogs(t, cfg, tt)
	err := h.exp.ConsumeLogs(context.Background(), makeLogs(logRecord{namespace: "payments", id: "p1"}))
	require.Error(t, err)
	// otlp_http's wording, prefixed with the tenant: "tenant "payments": failed to make an HTTP request: Post "http://127.0.0.1:1/v1/logs": ..."
	assert.Contains(t, err.Error(), `tenant "payments": `)
	assert.Contains(t, err.Error(), `"http://127.0.0.1:1/v1/logs"`)
	assert.False(t, consumererror.IsPermanent(err))
	assert.Equal(t, int64(1), counter(t, tt, "exporter_tenant_router_requests", tenant("payments"), attribute.String("status_class", "transport_error")))
}

func TestEmptyBatchSendsNothing(t *testing.T) {
	be := newBackend(t, "X-Scope-OrgID")
	h := startLogs(t, namespaceConfig(be.server.URL), componenttest.NewTelemetry())
	require.NoError(t, h.exp.ConsumeLogs(context.Background(), plog.NewLogs()))
	h.shutdown(t)
	assert.Empty(t, be.received())
}

func TestTracesSplitPerSpan(t *testing.T) {
	be := newBackend(t, "X-Scope-OrgID")
	cfg := namespaceConfig(be.server.URL)
	exp, err := NewFactory().CreateTraces(context.Background(), metadatatest.NewSettings(componenttest.NewTelemetry()), cfg)
	require.NoError(t, err)
	require.NoError(t, exp.Start(context.Background(), componenttest.NewNopHost()))

	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	rs.Resource().Attributes().PutStr("k8s.namespace.name", "payments")
	spans := rs.ScopeSpans().AppendEmpty().Spans()
	spans.AppendEmpty().SetName("GET /cart")
	scrubbed := spans.AppendEmpty()
	scrubbed.SetName("POST /login")
	scrubbed.Attributes().PutBool("pii.scrubbed", true)
	require.NoError(t, exp.ConsumeTraces(context.Background(), td))
	require.NoError(t, exp.Shutdown(context.Background()))
	assert.Equal(t, map[string][]string{"payments": {"GET /cart"}, "restricted": {"POST /login"}}, be.received())
}

func TestMetricsSplitPerDataPoint(t *testing.T) {
	be := newBackend(t, "X-Scope-OrgID")
	cfg := namespaceConfig(be.server.URL)
	cfg.Rules = append(cfg.Rules, RuleConfig{Attribute: "team", Scope: ScopeRecord})
	cfg.Rules[1], cfg.Rules[2] = cfg.Rules[2], cfg.Rules[1] // data point "team" before the namespace
	exp, err := NewFactory().CreateMetrics(context.Background(), metadatatest.NewSettings(componenttest.NewTelemetry()), cfg)
	require.NoError(t, err)
	require.NoError(t, exp.Start(context.Background(), componenttest.NewNopHost()))

	md := pmetric.NewMetrics()
	rm := md.ResourceMetrics().AppendEmpty()
	rm.Resource().Attributes().PutStr("k8s.namespace.name", "payments")
	m := rm.ScopeMetrics().AppendEmpty().Metrics().AppendEmpty()
	m.SetName("requests")
	m.SetEmptySum().SetIsMonotonic(true)
	m.Sum().SetAggregationTemporality(pmetric.AggregationTemporalityCumulative)
	for _, team := range []string{"", "web", "", "api"} {
		dp := m.Sum().DataPoints().AppendEmpty()
		dp.Attributes().PutStr("id", fmt.Sprintf("%d", m.Sum().DataPoints().Len()))
		if team != "" {
			dp.Attributes().PutStr("team", team)
		}
	}
	require.NoError(t, exp.ConsumeMetrics(context.Background(), md))
	require.NoError(t, exp.Shutdown(context.Background()))
	assert.Equal(t, map[string][]string{
		"payments": {"requests/1", "requests/3"},
		"web":      {"requests/2"},
		"api":      {"requests/4"},
	}, be.received())
}
