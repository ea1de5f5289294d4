package cardinalityguard

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestFastPathsChangeNothing runs the same random stream through two guards, one with the
// fast paths (pass-through series and re-aggregated inputs reuse their last route) and one
// without (recheck 0: every point goes through the label steps), and requires the same
// points downstream and the same per-budget statistics. The stream mixes what can change a
// route: relabel rules, denied labels, per-label value limits (sentinels), the series cap
// (overflow), labels flagged and released in auto mode (epoch changes), sums and gauge sums
// (per-input state), and in one seed out of three a max_stale short enough for state to be
// swept and routes to expire.
func TestFastPathsChangeNothing(t *testing.T) {
	kinds := []sumKind{{}, {nonMonotonic: true}, {gauge: true}}
	for seed := uint64(1); seed <= 12; seed++ {
		t.Run(strconv.FormatUint(seed, 10), func(t *testing.T) {
			mutate := func(c *Config) {
				c.Mode = ModeAuto
				c.MaxSeriesPerMetric, c.MaxValuesPerLabel = 30, 6
				c.GaugeAggregation = GaugeSum
				c.Reaggregation.FlushInterval, c.Reaggregation.MaxStale = 5*time.Second, time.Hour
				if seed%3 == 0 {
					// State is swept and routes expire. Without value limits: a fast-path series
					// refreshes its label values only when checked (every max_stale/2), so a
					// value is forgotten between max_stale/2 and max_stale after its last use,
					// where the slow path forgets it exactly max_stale after.
					c.MaxValuesPerLabel, c.Reaggregation.MaxStale = 0, 20*time.Second
				}
				if seed%2 == 0 {
					c.MetricRelabelConfigs = []map[string]any{{"action": "labeldrop", "regex": "zone"}}
				}
			}
			fast, slow := newTestGuard(t, mutate), newTestGuard(t, mutate)
			slow.recheck = 0
			rng := rand.New(rand.NewPCG(seed, seed*31))
			type input struct {
				attrs map[string]any
				value float64
			}
			inputs := make([]*input, 60)
			for i := range inputs {
				attrs := map[string]any{"route": "/r" + strconv.Itoa(rng.IntN(5)), "pod": "p" + strconv.Itoa(rng.IntN(10))}
				if rng.IntN(3) == 0 {
					attrs["user_id"] = "u" + strconv.Itoa(i)
				}
				if rng.IntN(3) == 0 {
					attrs["zone"] = "z" + strconv.Itoa(rng.IntN(3))
				}
				inputs[i] = &input{attrs: attrs}
			}
			now := 2 * time.Second
			for round := range 40 {
				if rng.IntN(8) == 0 { // detection flags or releases "pod" (what detect does)
					for _, g := range []*testGuard{fast, slow} {
						for _, b := range g.budgets {
							if ls := b.labels["pod"]; ls != nil {
								ls.flagged = !ls.flagged
								b.epoch++
							}
						}
					}
				}
				kind := kinds[round%len(kinds)]
				var pts []point
				for _, in := range inputs {
					if rng.IntN(4) == 0 || (round > 20 && in.attrs["route"] == "/r0") { // some series stop
						continue
					}
					now += time.Millisecond
					in.value += float64(rng.IntN(10))
					pts = append(pts, point{attrs: in.attrs, value: in.value, start: time.Second, ts: now})
				}
				name := fmt.Sprint("m", round%len(kinds))
				for _, g := range []*testGuard{fast, slow} {
					g.consume(t, numberMetrics(name, kind, pts...))
				}
				if round%4 == 3 {
					now += time.Duration(1+rng.IntN(12)) * time.Second
					fast.flushAt(t, now)
					slow.flushAt(t, now)
				}
			}
			require.Equal(t, budgetStats(slow), budgetStats(fast))
			now += time.Minute
			fast.flushAt(t, now)
			slow.flushAt(t, now)
			require.Equal(t, downstream(slow), downstream(fast))
		})
	}
}

func downstream(tg *testGuard) []string {
	var out []string
	for i := range 3 {
		for _, p := range tg.numberPoints(fmt.Sprint("m", i)) {
			b, _ := json.Marshal(p.attrs)
			out = append(out, fmt.Sprintf("m%d %s %v %d %d", i, b, p.value, p.start, p.ts))
		}
	}
	slices.Sort(out)
	return out
}

func budgetStats(tg *testGuard) []string {
	var out []string
	for _, b := range tg.budgets {
		s := []string{fmt.Sprintf("%s admitted=%d folded=%d overflowed=%d", b.metric, len(b.admitted), b.folded, b.overflowed)}
		for k, ls := range b.labels {
			s = append(s, fmt.Sprintf("%s:values=%d,sentinels=%d", k, len(ls.values), ls.sentinels))
		}
		slices.Sort(s[1:])
		out = append(out, fmt.Sprint(s))
	}
	slices.Sort(out)
	return out
}
