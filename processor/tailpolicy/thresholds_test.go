// Copyright otelcol-warden authors
// SPDX-License-Identifier: Apache-2.0

package tailpolicy

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

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

// TestIncomingThresholdsAreNotMemoised: a span without tracestate in a trace
// whose client sent a stricter `th` is stamped with that `th`, formatted on the
// spot; the memoised tracestates stay those of the configuration, however many
// distinct thresholds clients send.
func TestIncomingThresholdsAreNotMemoised(t *testing.T) {
	h := newHarness(t, nil)
	memoised := len(h.p.eng.tvalues)
	for i := 1; i <= 300; i++ {
		tv := fmt.Sprintf("a%03x1", i)
		h.out = nil
		h.send(
			spanSpec{trace: traceID(uint16(i), keptRnd), id: 1, tstate: "ot=th:" + tv},
			spanSpec{trace: traceID(uint16(i), keptRnd), id: 2, parent: 1, err: true})
		kept := h.kept()
		require.Contains(t, kept, byte(2))
		assert.Equal(t, "ot=th:"+tv, kept[2].TraceState().AsRaw(), "the stricter incoming th")
	}
	assert.Equal(t, memoised, len(h.p.eng.tvalues))
	assert.Equal(t, "ot=th:0", h.p.eng.tvalues[h.p.eng.rules.rules[0].threshold])
}
