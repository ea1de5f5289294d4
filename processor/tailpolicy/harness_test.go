// Copyright otelcol-warden authors
// SPDX-License-Identifier: Apache-2.0

package tailpolicy

import (
	"context"
	"encoding/binary"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/otelcol-warden/otelcol-warden/processor/tailpolicy/internal/metadatatest"
)

type fakeClock struct{ now time.Time }

func (c *fakeClock) Now() time.Time          { return c.now }
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

func TestRootSpanDecidesAfterDecisionDelay(t *testing.T) {
	h := newHarness(t, nil)
	id := traceID(1, keptRnd)
	h.send(spanSpec{trace: id, id: 1, route: "/api/checkout"})
	h.tick(1999 * time.Millisecond)
	assert.Empty(t, h.kept(), "nothing before root + decision_delay")
	h.send(spanSpec{trace: id, id: 2, parent: 1})
	h.tick(time.Millisecond)
	kept := h.kept()
	require.Len(t, kept, 2)
	assert.Equal(t, "high_value", ruleOf(kept[1]))
	assert.Equal(t, "ot=th:8", kept[1].TraceState().AsRaw())
	assert.Equal(t, int64(1), h.counter("traces", attribute.String("trigger", "root_span"), attribute.String("decision", "kept")))
}

func TestTraceTimeoutDecidesRootlessTrace(t *testing.T) {
	h := newHarness(t, nil)
	h.send(spanSpec{trace: traceID(1, droppedRnd), id: 2, parent: 1})
	h.tick(29 * time.Second)
	assert.Equal(t, int64(0), h.counter("traces"))
	h.tick(time.Second)
	assert.Empty(t, h.kept())
	assert.Equal(t, int64(1), h.counter("traces", attribute.String("trigger", "trace_timeout"), attribute.String("rule", "default"), attribute.String("decision", "dropped")))
}

func TestSpanLimitDecidesAndLaterSpansFollow(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.SpanLimit = 3 })
	id := traceID(1, keptRnd)
	h.send(spanSpec{trace: id, id: 2, parent: 1}, spanSpec{trace: id, id: 3, parent: 1})
	assert.Empty(t, h.kept())
	h.send(spanSpec{trace: id, id: 4, parent: 1})
	require.Len(t, h.kept(), 3, "decided at the limit")
	h.send(spanSpec{trace: id, id: 5, parent: 1})
	kept := h.kept()
	require.Len(t, kept, 4)
	assert.Equal(t, kept[2].TraceState().AsRaw(), kept[5].TraceState().AsRaw(), "late span carries the same th")
	assert.Equal(t, "default", ruleOf(kept[5]))
	assert.Equal(t, int64(1), h.counter("traces", attribute.String("trigger", "span_limit")))
	assert.Equal(t, int64(1), h.counter("late_spans", attribute.String("outcome", "kept")))
}

func TestFirstErrorSpanKeepsEarlyAndLateSpansFollow(t *testing.T) {
	h := newHarness(t, nil)
	id := traceID(1, droppedRnd)
	h.send(spanSpec{trace: id, id: 2, parent: 1})
	h.send(spanSpec{trace: id, id: 3, parent: 1, status: 503})
	kept := h.kept()
	require.Len(t, kept, 2, "kept at once on the first error span")
	assert.Equal(t, "errors", ruleOf(kept[3]))
	assert.Equal(t, "ot=th:0", kept[3].TraceState().AsRaw())
	h.send(spanSpec{trace: id, id: 1, route: "/health"})
	kept = h.kept()
	require.Len(t, kept, 3)
	assert.Equal(t, "ot=th:0", kept[1].TraceState().AsRaw())
	assert.Equal(t, int64(1), h.counter("traces", attribute.String("trigger", "early_keep"), attribute.String("rule", "errors")))
}

func TestLateSpanOfDroppedTraceIsDropped(t *testing.T) {
	h := newHarness(t, nil)
	id := traceID(1, droppedRnd)
	h.send(spanSpec{trace: id, id: 1, route: "/catalog"})
	h.tick(2 * time.Second)
	h.tick(10 * time.Second)
	h.send(spanSpec{trace: id, id: 2, parent: 1})
	assert.Empty(t, h.kept())
	assert.Equal(t, int64(1), h.counter("late_spans", attribute.String("outcome", "dropped")))
}

func TestOrphanLateSpanIsCountedAndDecided(t *testing.T) {
	h := newHarness(t, nil)
	h.send(spanSpec{trace: traceID(1, keptRnd), id: 2, parent: 1, endDelta: -5 * time.Minute})
	assert.Equal(t, int64(1), h.counter("late_spans", attribute.String("outcome", "orphan")))
	h.tick(30 * time.Second)
	assert.Len(t, h.kept(), 1)
}

func TestConsistentThresholds(t *testing.T) {
	tests := []struct {
		name   string
		rnd    uint64
		route  string
		tstate string
		keep   bool
		want   string
	}{
		{name: "50% rule keeps high randomness", rnd: 0x80000000000000, route: "/api/payment", keep: true, want: "ot=th:8"},
		{name: "50% rule drops low randomness", rnd: 0x7fffffffffffff, route: "/api/payment"},
		{name: "5% rule", rnd: keptRnd, route: "/catalog", keep: true, want: "ot=th:f3333"},
		{name: "rv overrides trace id randomness", rnd: droppedRnd, route: "/api/auth/login", tstate: "ot=rv:ffffffffffffff", keep: true, want: "ot=rv:ffffffffffffff;th:8"},
		{name: "stricter incoming th is never lowered", rnd: keptRnd, route: "/api/checkout", tstate: "ot=th:c", keep: true, want: "ot=th:c"},
		{name: "other vendors' entries survive", rnd: keptRnd, route: "/api/checkout", tstate: "vendor=x", keep: true, want: "ot=th:8,vendor=x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, nil)
			h.send(spanSpec{trace: traceID(1, tt.rnd), id: 1, route: tt.route, tstate: tt.tstate})
			h.tick(2 * time.Second)
			kept := h.kept()
			if !tt.keep {
				assert.Empty(t, kept)
				return
			}
			require.Len(t, kept, 1)
			assert.Equal(t, tt.want, kept[1].TraceState().AsRaw())
		})
	}
}

func TestLearnedBaselineKeepsSlowTraces(t *testing.T) {
	h := newHarness(t, func(c *Config) {
		c.Baseline.Window = 10 * time.Second
		c.Baseline.SubWindows = 2
		c.Baseline.MinSamples = 50
	})
	for i := range 100 {
		h.send(spanSpec{trace: traceID(uint16(i+1), droppedRnd), id: 1, route: "/catalog", dur: time.Duration(10+i%10) * time.Millisecond})
	}
	h.tick(5 * time.Second) // rotation arms the baseline (~19 ms)
	threshold, armed := h.p.eng.baseline.threshold(baselineKey{service: "shop", route: "/catalog", kind: "Server"}, h.clk.now)
	require.True(t, armed)
	assert.InDelta(t, 19, float64(threshold)/float64(time.Millisecond), 1)

	h.out = nil
	h.send(spanSpec{trace: traceID(500, droppedRnd), id: 7, route: "/catalog", dur: 40 * time.Millisecond})
	h.send(spanSpec{trace: traceID(501, droppedRnd), id: 8, route: "/catalog", dur: 12 * time.Millisecond})
	h.tick(2 * time.Second)
	kept := h.kept()
	require.Len(t, kept, 1)
	assert.Equal(t, "slow", ruleOf(kept[7]))
}

func TestUnarmedBaselineUsesStaticFallback(t *testing.T) {
	h := newHarness(t, nil)
	h.send(spanSpec{trace: traceID(1, droppedRnd), id: 1, route: "/new", dur: 3 * time.Second})
	h.tick(2 * time.Second)
	require.Len(t, h.kept(), 1)
	assert.Equal(t, "slow", ruleOf(h.kept()[1]))
}

func TestSyntheticAndOTTLRules(t *testing.T) {
	h := newHarness(t, func(c *Config) {
		c.Rules = append([]RuleConfig{{Name: "vip", Probability: probability(1), Condition: `attributes["customer.tier"] == "gold"`, Match: MatchRootSpan}}, c.Rules...)
	})
	h.send(spanSpec{trace: traceID(1, droppedRnd), id: 1, attrs: map[string]string{"user_agent.original": "Pingdom.com_bot"}})
	h.send(spanSpec{trace: traceID(2, droppedRnd), id: 2, attrs: map[string]string{"customer.tier": "gold"}})
	h.send(spanSpec{trace: traceID(3, droppedRnd), id: 3, parent: 9, attrs: map[string]string{"customer.tier": "gold"}})
	h.tick(30 * time.Second)
	kept := h.kept()
	assert.Equal(t, "synthetic", ruleOf(kept[1]))
	assert.Equal(t, "vip", ruleOf(kept[2]))
	assert.NotContains(t, kept, byte(3), "root_span match ignores child spans")
}

func TestEvictionDecidesInsteadOfDropping(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.Memory.LimitBytes = 1 << 20 })
	const n = 4000
	for i := range n {
		h.send(spanSpec{trace: traceID(uint16(i+1), keptRnd), id: 2, parent: 1, attrs: map[string]string{"payload": string(make([]byte, 200))}})
	}
	evicted := h.counter("evictions")
	assert.Positive(t, evicted)
	assert.LessOrEqual(t, h.p.bufferedBytes(), h.p.shards[0].evictAt)
	assert.Equal(t, evicted, h.counter("traces", attribute.String("trigger", "eviction")))
	h.p.shards[0].shutdown(h.clk.now)
	assert.Equal(t, int64(n), h.counter("traces"), "every trace got a decision")
}

func TestShutdownDecidesEverything(t *testing.T) {
	h := newHarness(t, nil)
	h.send(spanSpec{trace: traceID(1, keptRnd), id: 1, route: "/x"}, spanSpec{trace: traceID(2, keptRnd), id: 2, parent: 1})
	h.p.shards[0].shutdown(h.clk.now)
	assert.Len(t, h.kept(), 2)
	assert.Equal(t, int64(2), h.counter("traces", attribute.String("trigger", "shutdown")))
	assert.Equal(t, int64(0), h.p.bufferedTraces())
	assert.Equal(t, int64(0), h.p.bufferedBytes())
}

func TestStatelessOverloadKeepsErrorSpans(t *testing.T) {
	h := newHarness(t, nil)
	h.p.eng.state.Store(int32(stateStateless))
	h.send(
		spanSpec{trace: traceID(1, droppedRnd), id: 1, err: true},
		spanSpec{trace: traceID(2, droppedRnd), id: 2},
		spanSpec{trace: traceID(3, keptRnd), id: 3},
	)
	kept := h.kept()
	require.Len(t, kept, 2)
	assert.Equal(t, ruleOverloadError, ruleOf(kept[1]))
	assert.Equal(t, "ot=th:0", kept[1].TraceState().AsRaw())
	assert.Equal(t, ruleOverload, ruleOf(kept[3]))
	assert.Equal(t, "ot=th:f3333", kept[3].TraceState().AsRaw())
	assert.Equal(t, int64(0), h.p.bufferedTraces(), "nothing new is buffered")
}

func TestRefusingStateReturnsRetryableError(t *testing.T) {
	h := newHarness(t, nil)
	h.p.eng.state.Store(int32(stateRefusing))
	err := h.p.ConsumeTraces(context.Background(), makeTraces(h.clk, spanSpec{trace: traceID(1, keptRnd), id: 1}))
	require.ErrorIs(t, err, errRefused)
	assert.False(t, consumererror.IsPermanent(err))
	assert.Equal(t, int64(1), h.counter("refused_spans", attribute.String("reason", "hard_limit")))
}

func TestOverloadHysteresis(t *testing.T) {
	c := newOverloadController(MemoryConfig{HighWaterPercent: 90, LowWaterPercent: 75, MinOverloadDuration: 10 * time.Second})
	steps := []struct {
		at   time.Duration
		fill float64
		want overloadState
	}{
		{0, 0.5, stateNormal},
		{1 * time.Second, 0.89, stateNormal},
		{2 * time.Second, 0.91, stateStateless},
		{3 * time.Second, 0.80, stateStateless},
		{4 * time.Second, 0.70, stateStateless},
		{12 * time.Second, 0.70, stateStateless}, // last sample at or above low water was at 3 s
		{13 * time.Second, 0.70, stateNormal},
		{15 * time.Second, 1.0, stateRefusing},
		{16 * time.Second, 0.95, stateStateless},
		{27 * time.Second, 0.5, stateNormal},
	}
	for _, s := range steps {
		got, _ := c.update(s.fill, t0.Add(s.at))
		assert.Equal(t, s.want, got, "at %v fill %v", s.at, s.fill)
	}
}

func TestControlEntersStatelessAboveHighWater(t *testing.T) {
	h := newHarness(t, func(c *Config) {
		c.Memory.LimitBytes = 1 << 20
		c.Memory.EvictPercent = 90
		c.Memory.HighWaterPercent = 90
	})
	h.p.shards[0].bytes.Store(950 << 10)
	h.p.control(h.clk.now)
	assert.Equal(t, stateStateless, overloadState(h.p.eng.state.Load()))
	assert.Equal(t, int64(1), h.counter("overload_transitions", attribute.String("state", "stateless")))
}

func TestBadInputIsCounted(t *testing.T) {
	h := newHarness(t, nil)
	id := traceID(1, keptRnd)
	td := makeTraces(h.clk,
		spanSpec{trace: pcommon.TraceID{}, id: 1},
		spanSpec{trace: id, id: 2, parent: 1},
		spanSpec{trace: id, id: 2, parent: 1},
		spanSpec{trace: id, id: 3, parent: 1, endDelta: time.Hour},
	)
	// end before start
	td.ResourceSpans().At(3).ScopeSpans().At(0).Spans().At(0).SetStartTimestamp(pcommon.NewTimestampFromTime(h.clk.now.Add(2 * time.Hour)))
	h.p.shards[0].ingest(h.p.split(td)[0], h.clk.now)
	h.p.shards[0].shutdown(h.clk.now)
	assert.Equal(t, int64(1), h.counter("bad_input", attribute.String("reason", "empty_trace_id")))
	assert.Equal(t, int64(1), h.counter("bad_input", attribute.String("reason", "duplicate_span")))
	assert.Equal(t, int64(1), h.counter("bad_input", attribute.String("reason", "end_before_start")))
	assert.Equal(t, int64(1), h.counter("bad_input", attribute.String("reason", "clock_skew")))
	assert.Len(t, h.kept(), 2, "duplicate removed from the kept trace")
}

func TestHugeTraceStaysBounded(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.SpanLimit = 1000 })
	id := traceID(1, droppedRnd)
	for batch := range 100 {
		specs := make([]spanSpec, 1000)
		for i := range specs {
			specs[i] = spanSpec{trace: id, id: byte(i), parent: 1}
		}
		h.send(specs...)
		assert.LessOrEqual(t, h.p.bufferedTraces(), int64(1), "batch %d", batch)
	}
	assert.Equal(t, int64(99_000), h.counter("late_spans", attribute.String("outcome", "dropped")))
}

func TestRouteMatches(t *testing.T) {
	tests := []struct {
		route   string
		entries []string
		want    bool
	}{
		{"/api/auth/login", []string{"auth"}, true},
		{"/author", []string{"auth"}, false},
		{"/api/v1/checkout", []string{"checkout"}, true},
		{"/api/payments/{id}", []string{"/api/payments"}, true},
		{"/api/paymentsx", []string{"/api/payments"}, false},
		{"", []string{"auth"}, false},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, routeMatches(tt.route, tt.entries), "%s %v", tt.route, tt.entries)
	}
}

func TestRouteFallsBackToNormalisedPath(t *testing.T) {
	m := pcommon.NewMap()
	m.PutStr("url.path", "/users/12345/orders")
	assert.Equal(t, "/users/{id}/orders", routeOf(m))
	m.PutStr("http.route", "/users/:id/orders")
	assert.Equal(t, "/users/:id/orders", routeOf(m))
}

func TestBudgetScalesOnlyProbabilisticRules(t *testing.T) {
	// 100 spans/s budget, 40 kept by fixed rules, 600 by probabilistic at scale 1.
	next := nextBudgetScale(100, 40, 600, 1, 1)
	assert.InDelta(t, 0.55, next, 0.001) // halfway to 0.1
	assert.Equal(t, 1.0, nextBudgetScale(100, 40, 0, 1, 1))
	assert.InDelta(t, 0.5005, nextBudgetScale(100, 500, 600, 1, 1), 0.001, "fixed rules alone exceed the budget: floor")

	h := newHarness(t, func(c *Config) { c.Budget.SpansPerSecond = 10 })
	h.p.eng.scaleBits.Store(0x3fb999999999999a) // 0.1
	h.send(spanSpec{trace: traceID(1, keptRnd), id: 1, route: "/api/checkout"}, spanSpec{trace: traceID(2, droppedRnd), id: 2, err: true})
	h.tick(2 * time.Second)
	kept := h.kept()
	assert.Equal(t, "ot=th:f3333", kept[1].TraceState().AsRaw(), "50% × 0.1 = 5%")
	assert.Equal(t, "ot=th:0", kept[2].TraceState().AsRaw(), "error rule never scaled")
}
