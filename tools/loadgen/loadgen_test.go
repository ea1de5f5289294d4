package main

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog/plogotlp"
	"go.opentelemetry.io/collector/pdata/pmetric/pmetricotlp"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

func defaultOptions(t *testing.T, signals string) *options {
	t.Helper()
	o := &options{seed: 1, poolSize: 6}
	fs := flagSet()
	registerMix(fs, &o.mix)
	require.NoError(t, fs.Parse(nil))
	require.NoError(t, o.mix.parseSignals(signals))
	return o
}

func decodeTraces(t *testing.T, payload []byte) ptrace.Traces {
	t.Helper()
	req := ptraceotlp.NewExportRequest()
	require.NoError(t, req.UnmarshalProto(payload))
	return req.Traces()
}

func TestPoolIsDeterministicForASeed(t *testing.T) {
	a, err := buildPool(defaultOptions(t, "traces,logs,metrics"))
	require.NoError(t, err)
	b, err := buildPool(defaultOptions(t, "traces,logs,metrics"))
	require.NoError(t, err)
	require.Len(t, a, 18)
	for i := range a {
		assert.Equal(t, a[i].signal, b[i].signal)
		assert.Equal(t, a[i].items, b[i].items)
	}
}

func TestTracesLookLikeAWebShop(t *testing.T) {
	pool, err := buildPool(defaultOptions(t, "traces"))
	require.NoError(t, err)
	kinds := map[string]int{}
	var spans, errs, piiSpans, synthetic int
	for _, req := range pool {
		td := decodeTraces(t, req.payload)
		assert.Equal(t, req.items, td.SpanCount())
		assert.GreaterOrEqual(t, td.SpanCount(), 512)
		for _, rs := range td.ResourceSpans().All() {
			_, ok := rs.Resource().Attributes().Get("service.name")
			assert.True(t, ok)
			for _, ss := range rs.ScopeSpans().All() {
				for _, sp := range ss.Spans().All() {
					spans++
					a := sp.Attributes()
					switch {
					case has(a, "db.query.text"):
						kinds["db"]++
					case has(a, "messaging.system"):
						kinds["messaging"]++
					case sp.Kind() == ptrace.SpanKindServer && has(a, "user_agent.original") && has(a, "client.address"):
						kinds["http_server"]++
					case sp.Kind() == ptrace.SpanKindClient && has(a, "url.full"):
						kinds["http_client"]++
					}
					if sp.Status().Code() == ptrace.StatusCodeError {
						errs++
					}
					if ua, ok := a.Get("user_agent.original"); ok && strings.Contains(strings.ToLower(ua.Str()), "pingdom") {
						synthetic++
					}
					if containsPII(a) {
						piiSpans++
					}
				}
			}
		}
	}
	for _, k := range []string{"db", "messaging", "http_server", "http_client"} {
		assert.Positive(t, kinds[k], k)
	}
	assert.Positive(t, errs)
	assert.Positive(t, synthetic)
	share := float64(piiSpans) / float64(spans)
	assert.InDelta(t, 0.10, share, 0.06, "share of spans with an e-mail or token")
}

func has(m pcommon.Map, k string) bool { _, ok := m.Get(k); return ok }

func containsPII(m pcommon.Map) bool {
	found := false
	m.Range(func(_ string, v pcommon.Value) bool {
		s := v.AsString()
		found = strings.Contains(s, "%40") || strings.Contains(s, "@example.") || strings.Contains(s, "Bearer eyJ")
		return !found
	})
	return found
}

func TestSaltMakesEverySendNewTracesAndKeepsThemTogether(t *testing.T) {
	pool, err := buildPool(defaultOptions(t, "traces"))
	require.NoError(t, err)
	req := pool[0]
	before := decodeTraces(t, req.payload)
	var traces int
	for range traceIDsOf(before) {
		traces++
	}
	assert.Equal(t, before.SpanCount(), len(req.traceIDs), "every span's trace id is found")

	buf := append([]byte(nil), req.payload...)
	salt(buf, req.traceIDs, 7)
	after := decodeTraces(t, buf)
	idsBefore, idsAfter := traceIDsOf(before), traceIDsOf(after)
	assert.Len(t, idsAfter, len(idsBefore), "traces stay distinct and keep their spans together")
	for id := range idsAfter {
		_, seen := idsBefore[id]
		assert.False(t, seen, "a salted trace id is new")
	}
	assert.Equal(t, before.SpanCount(), after.SpanCount())
}

func traceIDsOf(td ptrace.Traces) map[pcommon.TraceID]int {
	ids := map[pcommon.TraceID]int{}
	for _, rs := range td.ResourceSpans().All() {
		for _, ss := range rs.ScopeSpans().All() {
			for _, sp := range ss.Spans().All() {
				ids[sp.TraceID()]++
			}
		}
	}
	return ids
}

func TestLogsAndMetricsDecode(t *testing.T) {
	pool, err := buildPool(defaultOptions(t, "logs,metrics"))
	require.NoError(t, err)
	var stacks, json, points, histograms int
	for _, req := range pool {
		switch req.signal {
		case "logs":
			r := plogotlp.NewExportRequest()
			require.NoError(t, r.UnmarshalProto(req.payload))
			assert.Equal(t, req.items, r.Logs().LogRecordCount())
			for _, rl := range r.Logs().ResourceLogs().All() {
				for _, sl := range rl.ScopeLogs().All() {
					for _, lr := range sl.LogRecords().All() {
						body := lr.Body().AsString()
						if strings.Contains(body, "\n\tat ") {
							stacks++
						}
						if strings.HasPrefix(body, "{") {
							json++
						}
					}
				}
			}
		case "metrics":
			r := pmetricotlp.NewExportRequest()
			require.NoError(t, r.UnmarshalProto(req.payload))
			points += r.Metrics().DataPointCount()
			assert.Equal(t, req.items, r.Metrics().DataPointCount())
			for _, rm := range r.Metrics().ResourceMetrics().All() {
				for _, sm := range rm.ScopeMetrics().All() {
					for _, m := range sm.Metrics().All() {
						if m.Name() == "http.server.request.duration" {
							histograms += m.Histogram().DataPoints().Len()
						}
					}
				}
			}
		}
	}
	assert.Positive(t, stacks)
	assert.Positive(t, json)
	assert.Positive(t, histograms)
	assert.Equal(t, 6*512, points)
}

func TestMixValidationNamesTheFlag(t *testing.T) {
	o := defaultOptions(t, "traces")
	o.mix.pii = 1.5
	assert.ErrorContains(t, o.mix.validate(), "-pii")
	assert.ErrorContains(t, o.mix.parseSignals("traces,profiles"), `"profiles"`)
}

// traceSink is an OTLP trace receiver that counts spans and refuses nothing.
type traceSink struct {
	ptraceotlp.UnimplementedGRPCServer
	spans chan int
}

func (s *traceSink) Export(_ context.Context, req ptraceotlp.ExportRequest) (ptraceotlp.ExportResponse, error) {
	s.spans <- req.Traces().SpanCount()
	return ptraceotlp.NewExportResponse(), nil
}

func TestSendCountsWhatTheServerAccepted(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	srv := grpc.NewServer()
	sink := &traceSink{spans: make(chan int, 100)}
	ptraceotlp.RegisterGRPCServer(srv, sink)
	go func() { _ = srv.Serve(l) }()
	defer srv.Stop()

	pool, err := buildPool(defaultOptions(t, "traces"))
	require.NoError(t, err)
	conn, err := grpc.NewClient(l.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	require.NoError(t, err)
	defer conn.Close()
	sent := map[string]*totals{"traces": {}}
	latency, err := send(conn, pool, pacing{workers: 2, start: time.Now(), deadline: time.Now().Add(time.Minute), maxRequests: 10}, sent)
	require.NoError(t, err)
	close(sink.spans)
	received := 0
	for n := range sink.spans {
		received += n
	}
	assert.Equal(t, int64(10), sent["traces"].requestsOK.Load())
	assert.Equal(t, int64(received), sent["traces"].itemsAccepted.Load())
	assert.Equal(t, 10, latency.Requests, "every request answered OK has its latency")
	assert.Positive(t, latency.Max)
	assert.LessOrEqual(t, latency.P50, latency.P99)
	assert.LessOrEqual(t, latency.P99, latency.Max)
}

func TestPacedSendKeepsTheRate(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	srv := grpc.NewServer()
	sink := &traceSink{spans: make(chan int, 100)}
	ptraceotlp.RegisterGRPCServer(srv, sink)
	go func() { _ = srv.Serve(l) }()
	defer srv.Stop()
	pool, err := buildPool(defaultOptions(t, "traces"))
	require.NoError(t, err)
	conn, err := grpc.NewClient(l.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	require.NoError(t, err)
	defer conn.Close()
	sent := map[string]*totals{"traces": {}}
	// 20 requests/s for 1 s: request i is due at i/20 s, so only requests 0-19 start before the deadline.
	start := time.Now()
	_, err = send(conn, pool, pacing{workers: 4, start: start, deadline: start.Add(time.Second), rate: 20}, sent)
	require.NoError(t, err)
	assert.LessOrEqual(t, sent["traces"].requestsOK.Load(), int64(20))
	assert.Positive(t, sent["traces"].requestsOK.Load())
}
