package wardenstatus

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/otelcol-warden/otelcol-warden/internal/statusapi"
)

// instanceRetention stands in for one tail_policy instance's retention: it holds the traces in
// held and keeps what a request selects.
type instanceRetention struct {
	statusapi.ProviderFunc
	held    map[pcommon.TraceID]string // trace id -> service
	failing bool
	kept    int
}

func (r *instanceRetention) RetainedTrace(_ context.Context, id pcommon.TraceID) (ptrace.Traces, bool, error) {
	if r.failing {
		return ptrace.Traces{}, false, errors.New("disk: /var/lib/x jane@example.com")
	}
	svc, ok := r.held[id]
	if !ok {
		return ptrace.Traces{}, false, nil
	}
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	rs.Resource().Attributes().PutStr("service.name", svc)
	span := rs.ScopeSpans().AppendEmpty().Spans().AppendEmpty()
	span.SetTraceID(id)
	span.SetName("GET /orders/{id}")
	return td, true, nil
}

func (r *instanceRetention) KeepRetained(_ context.Context, req statusapi.KeepRequest) (statusapi.KeepResult, error) {
	if r.failing {
		return statusapi.KeepResult{}, errors.New("disk full")
	}
	var res statusapi.KeepResult
	for id, svc := range r.held {
		if id == req.TraceID || (req.TraceID.IsEmpty() && svc == req.Service) {
			delete(r.held, id)
			res.Traces++
			res.Spans++
		}
	}
	r.kept += res.Traces
	return res, nil
}

func postKeep(t *testing.T, base, body string) (int, map[string]any) {
	t.Helper()
	resp, err := http.Post(base+"/api/v1/tail/keep", "application/json", strings.NewReader(body))
	require.NoError(t, err)
	defer resp.Body.Close()
	doc := map[string]any{}
	_ = json.NewDecoder(resp.Body).Decode(&doc)
	return resp.StatusCode, doc
}

func TestRetainedTracesAcrossInstances(t *testing.T) {
	f := start(t, nil, nil)
	a, b := pcommon.TraceID{1}, pcommon.TraceID{2}
	first := &instanceRetention{ProviderFunc: func() any { return map[string]any{"retained_traces": 1} }, held: map[pcommon.TraceID]string{a: "checkout"}}
	second := &instanceRetention{ProviderFunc: func() any { return map[string]any{"retained_traces": 2} }, held: map[pcommon.TraceID]string{b: "checkout", {3}: "cart"}}
	id := component.MustNewID("tail_policy")
	f.ext.RegisterStatusProvider(id, statusapi.KindTailRetention, first)
	f.ext.RegisterStatusProvider(id, statusapi.KindTailRetention, second)

	code, body := get(t, f.base+"/api/v1/tail/traces/"+b.String())
	require.Equal(t, http.StatusOK, code, "the second instance retained it: %s", body)
	td, err := (&ptrace.JSONUnmarshaler{}).UnmarshalTraces([]byte(body))
	require.NoError(t, err)
	require.Equal(t, 1, td.SpanCount())
	assert.Equal(t, b, td.ResourceSpans().At(0).ScopeSpans().At(0).Spans().At(0).TraceID())

	_, doc := getJSON(t, f.base+"/api/v1/tail_retention")
	assert.Len(t, doc["data"].(map[string]any)["providers"], 2, "one entry per instance")

	code, doc = postKeep(t, f.base, `{"service":"checkout","start":"2026-12-01T10:00:00Z","end":"2026-12-01T11:00:00Z"}`)
	require.Equal(t, http.StatusOK, code)
	assert.Equal(t, map[string]any{"traces": 2.0, "spans": 2.0}, doc["data"], "both instances' checkout traces")
	assert.Equal(t, 1, first.kept)
	assert.Equal(t, 1, second.kept)
	code, _ = get(t, f.base+"/api/v1/tail/traces/"+a.String())
	assert.Equal(t, http.StatusNotFound, code, "a kept trace is no longer retained")
}

func TestRetentionFailuresDoNotLeakTheirText(t *testing.T) {
	f := start(t, nil, nil)
	f.ext.RegisterStatusProvider(component.MustNewID("tail_policy"), statusapi.KindTailRetention, &instanceRetention{failing: true, ProviderFunc: func() any { return nil }})
	code, body := get(t, f.base+"/api/v1/tail/traces/0102030405060708090a0b0c0d0e0f10")
	assert.Equal(t, http.StatusInternalServerError, code)
	assert.NotContains(t, body, "jane@example.com")
	code, doc := postKeep(t, f.base, `{"trace_id":"0102030405060708090a0b0c0d0e0f10"}`)
	assert.Equal(t, http.StatusInternalServerError, code)
	assert.Equal(t, "sending retained traces failed", doc["error"])
}
