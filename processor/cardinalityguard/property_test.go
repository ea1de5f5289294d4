package cardinalityguard

import (
	"encoding/json"
	"math/rand/v2"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// promIncrease is what Prometheus' increase() sees over a whole series: the first sample
// counts fully (series start after the processor), a drop is a counter reset.
func promIncrease(values []float64) float64 {
	total, prev := 0.0, 0.0
	for _, v := range values {
		if v < prev {
			total += v
		} else {
			total += v - prev
		}
		prev = v
	}
	return total
}

// TestPropertyFoldingPreservesIncreases drives random cumulative counters (denied labels on
// some inputs, resets, a small series cap, interleaved pass-through and folded inputs) and
// checks the invariants of the issue on everything emitted:
//   - Σ increase(outputs) = Σ increase(inputs), exactly;
//   - per output series, timestamps strictly increase (no duplicate, no out-of-order sample);
//   - re-aggregated outputs never decrease between points with the same start;
//   - at most max_series_per_metric + 1 (overflow) output series.
func TestPropertyFoldingPreservesIncreases(t *testing.T) {
	for seed := uint64(1); seed <= 25; seed++ {
		t.Run(strconv.FormatUint(seed, 10), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, seed*7919))
			const limit = 8
			tg := newTestGuard(t, func(c *Config) { c.MaxSeriesPerMetric = limit; c.MaxValuesPerLabel = 5 })
			type input struct {
				attrs map[string]any
				value float64
				start time.Duration
			}
			inputs := make([]*input, 40)
			clean := map[string]bool{} // inputs without a denied label must be distinct series
			for i := range inputs {
				attrs := map[string]any{"route": "/r" + strconv.Itoa(rng.IntN(4)), "pod": "p" + strconv.Itoa(rng.IntN(12))}
				id := attrs["route"].(string) + attrs["pod"].(string)
				if clean[id] || rng.IntN(2) == 0 {
					attrs["user_id"] = "u" + strconv.Itoa(i)
				} else {
					clean[id] = true
				}
				inputs[i] = &input{attrs: attrs, start: time.Second}
			}
			truth := 0.0
			now := 2 * time.Second
			for round := range 30 {
				var pts []point
				for _, in := range inputs {
					if rng.IntN(3) == 0 {
						continue
					}
					now += time.Millisecond * time.Duration(1+rng.IntN(50))
					if rng.IntN(15) == 0 && in.value > 20 { // a reset Prometheus can see on raw series too
						in.value, in.start = 0, now-time.Millisecond
					}
					inc := float64(rng.IntN(10))
					in.value += inc
					truth += inc
					pts = append(pts, point{attrs: in.attrs, value: in.value, start: in.start, ts: now})
				}
				tg.consume(t, numberMetrics("requests", sumKind{}, pts...))
				if round%3 == 2 {
					now += 10 * time.Second
					tg.flushAt(t, now)
				}
			}
			now += 10 * time.Second
			tg.flushAt(t, now)

			series := map[string][]emitted{}
			for _, p := range tg.numberPoints("requests") {
				k, _ := json.Marshal(p.attrs)
				series[string(k)] = append(series[string(k)], p)
			}
			assert.LessOrEqual(t, len(series), limit+1)
			got := 0.0
			for k, pts := range series {
				values := make([]float64, len(pts))
				for i, p := range pts {
					values[i] = p.value
					if i > 0 {
						require.Greater(t, p.ts, pts[i-1].ts, "series %s: timestamps must strictly increase", k)
						if p.start == pts[i-1].start {
							require.GreaterOrEqual(t, p.value, pts[i-1].value, "series %s decreased without a reset", k)
						}
					}
				}
				got += promIncrease(values)
			}
			assert.InDelta(t, truth, got, 1e-9, "sum of increases preserved")
		})
	}
}
