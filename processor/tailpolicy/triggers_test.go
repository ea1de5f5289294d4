// Copyright otelcol-warden authors
// SPDX-License-Identifier: Apache-2.0

package tailpolicy

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
)

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

func TestShutdownDecidesEverything(t *testing.T) {
	h := newHarness(t, nil)
	h.send(spanSpec{trace: traceID(1, keptRnd), id: 1, route: "/x"}, spanSpec{trace: traceID(2, keptRnd), id: 2, parent: 1})
	h.p.shards[0].shutdown(h.clk.now)
	assert.Len(t, h.kept(), 2)
	assert.Equal(t, int64(2), h.counter("traces", attribute.String("trigger", "shutdown")))
	assert.Equal(t, int64(0), h.p.bufferedTraces())
	assert.Equal(t, int64(0), h.p.bufferedBytes())
}
