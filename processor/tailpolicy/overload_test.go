// Copyright otelcol-warden authors
// SPDX-License-Identifier: Apache-2.0

package tailpolicy

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/otel/attribute"
)

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
