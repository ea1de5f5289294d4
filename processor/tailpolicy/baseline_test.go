// Copyright otelcol-warden authors
// SPDX-License-Identifier: Apache-2.0

package tailpolicy

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

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
