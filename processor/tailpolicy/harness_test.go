// Copyright otelcol-warden authors
// SPDX-License-Identifier: Apache-2.0

package tailpolicy

import (
	"context"
	"encoding/binary"
	"testing"
	"time"

	"github.com/otelcol-warden/otelcol-warden/processor/tailpolicy/internal/metadatatest"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

type fakeClock struct{ now time.Time }

func (c *fakeClock) Now() time.Time { return c.now }

func (c *fakeClock) advance(d time.Duration) { c.now = c.now.Add(d) }

var t0 = time.Date(2026, 9, 1, 12, 0, 0, 0, time.UTC)

// Randomness values: keptRnd passes every threshold, droppedRnd none but th:0.
const (
	keptRnd    = 0x00ffffffffffffff
	droppedRnd = 0x0000000000000001
)

func traceID(n uint16, rnd uint64) pcommon.TraceID {
	var id pcommon.TraceID
	binary.BigEndian.PutUint16(id[:2], n)
	binary.BigEndian.PutUint64(id[8:], rnd)
	return id
}

type spanSpec struct {
	trace    pcommon.TraceID
	id       byte
	parent   byte
	route    string
	err      bool
	status   int64
	dur      time.Duration
	attrs    map[string]string
	tstate   string
	service  string
	endDelta time.Duration // end relative to the clock, before dur is subtracted
}

func makeTraces(clk *fakeClock, specs ...spanSpec) ptrace.Traces {
	td := ptrace.NewTraces()
	for _, s := range specs {
		rs := td.ResourceSpans().AppendEmpty()
		svc := s.service
		if svc == "" {
			svc = "shop"
		}
		rs.Resource().Attributes().PutStr("service.name", svc)
		span := rs.ScopeSpans().AppendEmpty().Spans().AppendEmpty()
		span.SetTraceID(s.trace)
		span.SetSpanID(pcommon.SpanID{s.id, 1})
		if s.parent != 0 {
			span.SetParentSpanID(pcommon.SpanID{s.parent, 1})
		}
		span.SetName("op")
		span.SetKind(ptrace.SpanKindServer)
		end := clk.now.Add(s.endDelta)
		dur := s.dur
		if dur == 0 {
			dur = 10 * time.Millisecond
		}
		span.SetStartTimestamp(pcommon.NewTimestampFromTime(end.Add(-dur)))
		span.SetEndTimestamp(pcommon.NewTimestampFromTime(end))
		if s.route != "" {
			span.Attributes().PutStr("http.route", s.route)
		}
		if s.err {
			span.Status().SetCode(ptrace.StatusCodeError)
		}
		if s.status != 0 {
			span.Attributes().PutInt("http.response.status_code", s.status)
		}
		for k, v := range s.attrs {
			span.Attributes().PutStr(k, v)
		}
		if s.tstate != "" {
			span.TraceState().FromRaw(s.tstate)
		}
	}
	return td
}

type harness struct {
	t   *testing.T
	p   *tailPolicy
	clk *fakeClock
	tt  *componenttest.Telemetry
	out []ptrace.Traces
}

func newHarness(t *testing.T, mutate func(*Config)) *harness {
	cfg := createDefaultConfig().(*Config)
	cfg.Workers = 1
	cfg.Baseline.LogInterval = 0
	if mutate != nil {
		mutate(cfg)
	}
	require.NoError(t, cfg.Validate())
	h := &harness{t: t, clk: &fakeClock{now: t0}, tt: componenttest.NewTelemetry()}
	t.Cleanup(func() { require.NoError(t, h.tt.Shutdown(context.Background())) })
	p, err := newTailPolicy(metadatatest.NewSettings(h.tt), cfg, consumertest.NewNop(), h.clk)
	require.NoError(t, err)
	p.shards[0].emit = func(td ptrace.Traces) { h.out = append(h.out, td) }
	h.p = p
	return h
}

func (h *harness) send(specs ...spanSpec) {
	td := makeTraces(h.clk, specs...)
	batches := h.p.split(td)
	h.p.shards[0].ingest(batches[0], h.clk.now)
}

func (h *harness) tick(d time.Duration) {
	h.clk.advance(d)
	h.p.shards[0].expire(h.clk.now)
}

// kept returns the forwarded spans, by span id byte.
func (h *harness) kept() map[byte]ptrace.Span {
	m := map[byte]ptrace.Span{}
	for _, td := range h.out {
		for i := 0; i < td.ResourceSpans().Len(); i++ {
			ss := td.ResourceSpans().At(i).ScopeSpans()
			for j := 0; j < ss.Len(); j++ {
				for k := 0; k < ss.At(j).Spans().Len(); k++ {
					s := ss.At(j).Spans().At(k)
					m[s.SpanID()[0]] = s
				}
			}
		}
	}
	return m
}

func (h *harness) counter(name string, attrs ...attribute.KeyValue) int64 {
	m, err := h.tt.GetMetric("otelcol_processor_tail_policy_" + name)
	if err != nil {
		return 0
	}
	want := attribute.NewSet(attrs...)
	var total int64
	for _, dp := range m.Data.(metricdata.Sum[int64]).DataPoints {
		match := true
		for _, kv := range want.ToSlice() {
			if v, ok := dp.Attributes.Value(kv.Key); !ok || v != kv.Value {
				match = false
			}
		}
		if match {
			total += dp.Value
		}
	}
	return total
}

func ruleOf(s ptrace.Span) string {
	v, _ := s.Attributes().Get(samplingRuleAttribute)
	return v.Str()
}
