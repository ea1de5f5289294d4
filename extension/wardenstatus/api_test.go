package wardenstatus

import (
	"context"
	"errors"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/configauth"
	"go.opentelemetry.io/collector/config/confighttp"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/otelcol-warden/otelcol-warden/internal/statusapi"
)

const exposition = `# TYPE otelcol_receiver_accepted_spans_total counter
otelcol_receiver_accepted_spans_total{receiver="otlp",transport="grpc"} 100
# TYPE otelcol_receiver_refused_spans_total counter
otelcol_receiver_refused_spans_total{receiver="otlp",transport="grpc"} 5
# TYPE otelcol_processor_incoming_items_total counter
otelcol_processor_incoming_items_total{otel_signal="traces",processor="pii_scrub"} 100
otelcol_processor_incoming_items_total{otel_signal="traces",processor="tail_policy"} 100
# TYPE otelcol_processor_outgoing_items_total counter
otelcol_processor_outgoing_items_total{otel_signal="traces",processor="pii_scrub"} 100
otelcol_processor_outgoing_items_total{otel_signal="traces",processor="tail_policy"} 30
# TYPE otelcol_exporter_sent_spans_total counter
otelcol_exporter_sent_spans_total{exporter="file/traces"} 30
`

var tracesPipeline = map[string]any{
	"service": map[string]any{
		"extensions": []any{"warden_status"},
		"pipelines": map[string]any{
			"traces": map[string]any{
				"receivers":  []any{"otlp"},
				"processors": []any{"pii_scrub", "tail_policy"},
				"exporters":  []any{"file/traces"},
			},
		},
	},
}

func TestKindsWithoutProviderAnswerAnEmptyDocument(t *testing.T) {
	f := start(t, nil, nil)
	for _, kind := range []string{"cardinality", "tail", "pii", "usage", "logs", "tail_retention"} {
		code, doc := getJSON(t, f.base+"/api/v1/"+kind)
		assert.Equal(t, http.StatusOK, code, kind)
		assert.Equal(t, "success", doc["status"])
		assert.Equal(t, "v1", doc["api_version"])
		assert.Equal(t, kind, doc["kind"])
		assert.Contains(t, doc["message"], "no component provides "+kind)
		assert.Equal(t, map[string]any{"providers": []any{}}, doc["data"])
	}
	code, doc := getJSON(t, f.base+"/api/v1/summary")
	assert.Equal(t, http.StatusOK, code)
	data := doc["data"].(map[string]any)
	assert.Equal(t, []any{}, data["components"])
	assert.Equal(t, []any{}, data["pipelines"])
	assert.Equal(t, "disabled", data["self_metrics"])
}

func TestSummaryMergesOwnMetricsAndProviders(t *testing.T) {
	self := newSelfMetricsServer(t, exposition)
	f := start(t, func(c *Config) { c.SelfMetrics = SelfMetricsConfig{Enabled: true, Endpoint: self.endpoint()} }, nil)
	f.notifyConfig(t, tracesPipeline)
	f.ext.RegisterStatusProvider(component.MustNewID("tail_policy"), statusapi.KindSummary, statusapi.ProviderFunc(func() any {
		return statusapi.Summary{
			In: statusapi.Volume{Items: 100, Bytes: 10000}, Out: statusapi.Volume{Items: 30, Bytes: 3000},
			Removed: []statusapi.Removal{{Reason: "dropped_by_rule", Items: 70, Bytes: 7000}},
		}
	}))
	f.ext.ComponentStatusChanged(instance("tail_policy", component.KindProcessor), okEvent())

	sum := summaryOfDoc(t, f.base)
	assert.Equal(t, "ok", sum.SelfMetrics)
	require.Len(t, sum.Pipelines, 1)
	var ids []string
	for _, c := range sum.Components {
		ids = append(ids, c.Kind+"/"+c.ID)
	}
	assert.Equal(t, []string{"receiver/otlp", "processor/pii_scrub", "processor/tail_policy", "exporter/file/traces"}, ids)

	otlp, tail := sum.Components[0], sum.Components[2]
	assert.Equal(t, volumeDoc{Items: 105}, otlp.Lifetime.In)
	assert.Equal(t, volumeDoc{Items: 100}, otlp.Lifetime.Out)
	assert.Equal(t, []removalDoc{{Reason: "refused", Items: 5}}, otlp.Lifetime.Removed)
	assert.Equal(t, []string{"self_metrics"}, otlp.Sources)
	assert.Equal(t, "unknown", otlp.Health)

	assert.Equal(t, volumeDoc{Items: 100, Bytes: 10000}, tail.Lifetime.In, "items from own metrics, bytes from the provider")
	assert.Equal(t, volumeDoc{Items: 30, Bytes: 3000}, tail.Lifetime.Out)
	assert.Equal(t, []removalDoc{{Reason: "dropped_by_rule", Items: 70, Bytes: 7000}}, tail.Lifetime.Removed)
	assert.InDelta(t, 0.7, tail.Lifetime.ReductionRatio, 1e-9)
	assert.Equal(t, []string{"self_metrics", "provider"}, tail.Sources)
	assert.Equal(t, "ok", tail.Health)
}

func TestWindowsComeFromTheHistoryRing(t *testing.T) {
	self := newSelfMetricsServer(t, exposition)
	f := start(t, func(c *Config) {
		c.SelfMetrics = SelfMetricsConfig{Enabled: true, Endpoint: self.endpoint()}
	}, nil)
	f.notifyConfig(t, tracesPipeline)
	// The first snapshot (at start) saw 100 spans into pii_scrub; ten minutes later 400 more came.
	for i := 1; i <= 10; i++ {
		self.set(strings.ReplaceAll(exposition, `processor="pii_scrub"} 100`, `processor="pii_scrub"} `+strconv.Itoa(100+40*i)))
		f.snapshot(time.Minute)
	}
	f.clock.advance(30 * time.Second)
	time.Sleep(selfMetricsCacheFor) // the reader caches one second of wall time
	sum := summaryOfDoc(t, f.base)
	pii := sum.Components[1]
	require.Equal(t, "pii_scrub", pii.ID)
	assert.Equal(t, uint64(500), pii.Lifetime.In.Items)
	assert.Equal(t, uint64(200), pii.Last5m.In.Items, "since the snapshot at 5m30s ago: 5 x 40")
	assert.Equal(t, int64(330), pii.Last5m.Seconds)
	assert.Equal(t, uint64(400), pii.Last60m.In.Items, "the ring is younger than an hour: since the first snapshot")
	assert.Equal(t, int64(630), pii.Last60m.Seconds)

	code, doc := getJSON(t, f.base+"/api/v1/history?minutes=3")
	require.Equal(t, http.StatusOK, code)
	data := doc["data"].(map[string]any)
	assert.Len(t, data["at"], 4, "three snapshots in the last 3 minutes and the live interval")
	series := data["series"].([]any)[1].(map[string]any)
	assert.Equal(t, "pii_scrub", series["id"])
	assert.Equal(t, []any{40.0, 40.0, 40.0, 0.0}, series["in_items"])
}

func TestHistoryRingIsBounded(t *testing.T) {
	h := newHistory(3)
	t0 := time.Unix(0, 0)
	for i := range 5 {
		h.add(collection{At: t0.Add(time.Duration(i) * time.Minute)})
	}
	all := h.all()
	require.Len(t, all, 3)
	assert.Equal(t, t0.Add(2*time.Minute), all[0].At, "oldest first, the two oldest overwritten")
	assert.Equal(t, t0.Add(4*time.Minute), all[2].At)
}

func TestRequestBounds(t *testing.T) {
	f := start(t, nil, nil)
	for _, q := range []string{"0", "-1", "100000", "x"} {
		code, doc := getJSON(t, f.base+"/api/v1/history?minutes="+q)
		assert.Equal(t, http.StatusBadRequest, code, q)
		assert.Contains(t, doc["error"], "minutes must be an integer from 1 to")
	}
	code, doc := getJSON(t, f.base+"/api/v2/summary")
	assert.Equal(t, http.StatusNotFound, code)
	assert.Equal(t, "error", doc["status"])
	resp, err := http.Post(f.base+"/api/v1/summary", "application/json", strings.NewReader("{}"))
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusNotFound, resp.StatusCode, "the API is read-only but for /api/v1/tail/keep")
}

func TestRetainedTracesWithoutRetentionAnswer404(t *testing.T) {
	f := start(t, nil, nil)
	code, doc := getJSON(t, f.base+"/api/v1/tail/traces/0102030405060708090a0b0c0d0e0f10")
	assert.Equal(t, http.StatusNotFound, code)
	assert.Contains(t, doc["error"], "no component retains dropped traces")
	resp, err := http.Post(f.base+"/api/v1/tail/keep", "application/json", strings.NewReader(`{"trace_id":"0102030405060708090a0b0c0d0e0f10"}`))
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)
}

type fakeRetention struct {
	statusapi.ProviderFunc
	kept []statusapi.KeepRequest
}

func (r *fakeRetention) RetainedTrace(_ context.Context, id pcommon.TraceID) (ptrace.Traces, bool, error) {
	if id != (pcommon.TraceID{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}) {
		return ptrace.Traces{}, false, nil
	}
	td := ptrace.NewTraces()
	span := td.ResourceSpans().AppendEmpty().ScopeSpans().AppendEmpty().Spans().AppendEmpty()
	span.SetTraceID(id)
	span.SetName("GET /checkout")
	return td, true, nil
}

func (r *fakeRetention) KeepRetained(_ context.Context, req statusapi.KeepRequest) (statusapi.KeepResult, error) {
	r.kept = append(r.kept, req)
	return statusapi.KeepResult{Traces: 1, Spans: 3}, nil
}

func TestRetainedTracesFromAProvider(t *testing.T) {
	f := start(t, nil, nil)
	ret := &fakeRetention{ProviderFunc: func() any { return map[string]any{"retained_traces": 1} }}
	f.ext.RegisterStatusProvider(component.MustNewID("tail_policy"), statusapi.KindTailRetention, ret)

	code, body := get(t, f.base+"/api/v1/tail/traces/0102030405060708090a0b0c0d0e0f10")
	require.Equal(t, http.StatusOK, code, body)
	td, err := (&ptrace.JSONUnmarshaler{}).UnmarshalTraces([]byte(body))
	require.NoError(t, err)
	assert.Equal(t, 1, td.SpanCount())

	code, doc := getJSON(t, f.base+"/api/v1/tail/traces/ffffffffffffffffffffffffffffffff")
	assert.Equal(t, http.StatusNotFound, code)
	assert.Contains(t, doc["error"], "trace not retained")
	code, doc = getJSON(t, f.base+"/api/v1/tail/traces/jane@example.com")
	assert.Equal(t, http.StatusBadRequest, code)
	assert.Equal(t, "trace_id must be 32 hex digits", doc["error"], "the input is not echoed")

	post := func(body string) int {
		resp, err := http.Post(f.base+"/api/v1/tail/keep", "application/json", strings.NewReader(body))
		require.NoError(t, err)
		resp.Body.Close()
		return resp.StatusCode
	}
	assert.Equal(t, http.StatusOK, post(`{"trace_id":"0102030405060708090a0b0c0d0e0f10"}`))
	assert.Equal(t, http.StatusOK, post(`{"service":"checkout","start":"2026-12-01T10:00:00Z","end":"2026-12-01T10:30:00Z"}`))
	assert.Equal(t, http.StatusBadRequest, post(`{"service":"checkout","start":"2026-12-01T10:00:00Z","end":"2026-12-01T12:00:00Z"}`), "range over 1h")
	assert.Equal(t, http.StatusBadRequest, post(`{"trace_id":"00000000000000000000000000000000"}`))
	assert.Equal(t, http.StatusBadRequest, post(`{"unknown":1}`))
	assert.Equal(t, http.StatusBadRequest, post(`{"service":"`+strings.Repeat("a", 5000)+`"}`), "body over 4 KiB")
	require.Len(t, ret.kept, 2)
	assert.Equal(t, "checkout", ret.kept[1].Service)
}

// fakeAuth accepts requests carrying the one token, like bearertokenauth.
type fakeAuth struct {
	component.StartFunc
	component.ShutdownFunc
}

func (fakeAuth) Authenticate(ctx context.Context, headers map[string][]string) (context.Context, error) {
	for k, v := range headers {
		if strings.EqualFold(k, "authorization") && len(v) == 1 && v[0] == "Bearer s3cret" {
			return ctx, nil
		}
	}
	return ctx, errors.New("unauthenticated")
}

func TestAuthProtectsPageAndAPI(t *testing.T) {
	authID := component.MustNewID("bearertokenauth")
	f := start(t, func(c *Config) {
		c.ServerConfig.Auth = configoptional.Some(confighttp.AuthConfig{Config: configauth.Config{AuthenticatorID: authID}})
	}, testHost{authID: fakeAuth{}})
	for _, path := range []string{"/", "/api/v1/summary", "/static/style.css"} {
		code, _ := get(t, f.base+path)
		assert.Equal(t, http.StatusUnauthorized, code, path)
		req, _ := http.NewRequest(http.MethodGet, f.base+path, nil)
		req.Header.Set("Authorization", "Bearer s3cret")
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, http.StatusOK, resp.StatusCode, path)
	}
}

func TestProviderFailuresAreContained(t *testing.T) {
	f := start(t, nil, nil)
	f.ext.RegisterStatusProvider(component.MustNewID("a"), statusapi.KindLogs, statusapi.ProviderFunc(func() any { panic("boom") }))
	f.ext.RegisterStatusProvider(component.MustNewID("b"), statusapi.KindLogs, statusapi.ProviderFunc(func() any { return strings.Repeat("x", maxSnapshotBytes) }))
	f.ext.RegisterStatusProvider(component.MustNewID("c"), statusapi.KindLogs, statusapi.ProviderFunc(func() any { return func() {} }))
	f.ext.RegisterStatusProvider(component.MustNewID("d"), statusapi.KindSummary, statusapi.ProviderFunc(func() any { panic("boom") }))
	code, doc := getJSON(t, f.base+"/api/v1/logs")
	require.Equal(t, http.StatusOK, code)
	providers := doc["data"].(map[string]any)["providers"].([]any)
	require.Len(t, providers, 3)
	assert.Equal(t, "provider failed", providers[0].(map[string]any)["error"])
	assert.Contains(t, providers[1].(map[string]any)["error"], "exceeds the 1048576 byte limit")
	assert.Equal(t, "snapshot is not JSON-marshalable", providers[2].(map[string]any)["error"])
	code, _ = get(t, f.base+"/api/v1/summary")
	assert.Equal(t, http.StatusOK, code)
	code, _ = get(t, f.base+"/")
	assert.Equal(t, http.StatusOK, code)
}

func TestUnregisterRemovesTheProvider(t *testing.T) {
	f := start(t, nil, nil)
	host := testHost{component.MustNewID("warden_status"): f.ext}
	undo := statusapi.Register(host, component.MustNewID("cardinality_guard"), statusapi.KindCardinality,
		statusapi.ProviderFunc(func() any { return map[string]any{"series_active": 3} }))
	_, doc := getJSON(t, f.base+"/api/v1/cardinality")
	assert.Len(t, doc["data"].(map[string]any)["providers"], 1)
	undo()
	_, doc = getJSON(t, f.base+"/api/v1/cardinality")
	assert.Empty(t, doc["data"].(map[string]any)["providers"])
}

var dataValue = regexp.MustCompile(`<(?:td|span)[^>]*? data-metric="([^"]+)" data-value="([^"]*)">([^<]*)<`)

func TestPageShowsTheAPINumbers(t *testing.T) {
	self := newSelfMetricsServer(t, exposition)
	f := start(t, func(c *Config) { c.SelfMetrics = SelfMetricsConfig{Enabled: true, Endpoint: self.endpoint()} }, nil)
	f.notifyConfig(t, tracesPipeline)
	f.snapshot(time.Minute)
	sum := summaryOfDoc(t, f.base)
	code, page := get(t, f.base+"/")
	require.Equal(t, http.StatusOK, code)

	rows := strings.Split(page, `<tr data-component="`)[1:]
	require.Len(t, rows, len(sum.Components))
	for i, c := range sum.Components {
		row := rows[i]
		require.True(t, strings.HasPrefix(row, c.Kind+"/"+c.ID+`"`), row[:40])
		got := map[string]string{}
		for _, m := range dataValue.FindAllStringSubmatch(row, -1) {
			got[m[1]] = m[2]
			if strings.HasSuffix(m[1], ".items") {
				assert.Equal(t, m[2], strings.ReplaceAll(m[3], ",", ""), "shown text equals data-value")
			}
		}
		assert.Equal(t, strconv.FormatUint(c.Lifetime.In.Items, 10), got["lifetime.in.items"], c.ID)
		assert.Equal(t, strconv.FormatUint(c.Lifetime.Out.Items, 10), got["lifetime.out.items"], c.ID)
		assert.Equal(t, strconv.FormatUint(c.Last5m.In.Items, 10), got["last_5m.in.items"], c.ID)
		assert.Equal(t, strconv.FormatUint(c.Last60m.Out.Items, 10), got["last_60m.out.items"], c.ID)
	}
	assert.Contains(t, page, `data-pipeline="traces"`)
	assert.Contains(t, page, `data-chart="processor/tail_policy"`)
	assert.Contains(t, page, "<polyline")
	assert.NotContains(t, page, "<script", "the numbers need no JavaScript")
	assert.Contains(t, page, `http-equiv="refresh" content="10"`)
	code, css := get(t, f.base+"/static/style.css")
	assert.Equal(t, http.StatusOK, code)
	assert.Contains(t, css, "@media")
}
