package cardinalityguard // import "github.com/otelcol-warden/otelcol-warden/processor/cardinalityguard"

import (
	"math"

	"go.opentelemetry.io/collector/pdata/pmetric"
)

func (g *guard) numberPoints(c *counts, mc *metricCtx, dps pmetric.NumberDataPointSlice, monotonic bool) {
	dps.RemoveIf(func(dp pmetric.NumberDataPoint) bool {
		var v float64
		isInt := dp.ValueType() == pmetric.NumberDataPointValueTypeInt
		if isInt {
			v = float64(dp.IntValue())
		} else {
			v = dp.DoubleValue()
		}
		switch {
		case math.IsNaN(v) || math.IsInf(v, 0):
			return g.dropPoint(c, reasonNonFinite)
		case monotonic && v < 0:
			return g.dropPoint(c, reasonNegativeCounter)
		}
		d := g.route(mc, dp.Attributes(), dp.Timestamp())
		if d.adm != nil && !d.fold && monotonic {
			d.adm.lastValue, d.adm.lastStart, d.adm.hasValue = v, uint64(dp.StartTimestamp()), true
		}
		return g.apply(c, mc, d, dp.Exemplars(), func() string {
			return g.fold(mc, d, dp.StartTimestamp(), dp.Timestamp(), func(om *outputMetric, out *outputSeries, in *inputState, isNew, full bool) string {
				if in == nil {
					in = &inputState{}
				}
				r := om.foldNumber(out, in, isNew, full, v, isInt, dp.StartTimestamp(), dp.Timestamp())
				if r == "" {
					out.addExemplars(dp.Exemplars(), mc.b.policy)
				}
				return r
			})
		})
	})
}

func (g *guard) histogramPoints(c *counts, mc *metricCtx, dps pmetric.HistogramDataPointSlice) {
	dps.RemoveIf(func(dp pmetric.HistogramDataPoint) bool {
		if r := validHistogram(dp); r != "" {
			return g.dropPoint(c, r)
		}
		d := g.route(mc, dp.Attributes(), dp.Timestamp())
		return g.apply(c, mc, d, dp.Exemplars(), func() string {
			return g.fold(mc, d, dp.StartTimestamp(), dp.Timestamp(), func(om *outputMetric, out *outputSeries, in *inputState, isNew, full bool) string {
				r, rebucketed := om.foldHistogram(out, orEmpty(in), isNew, full, dp)
				if rebucketed && r == "" {
					// Counted under bounds_rebucketed instead of the label step's reason, which
					// apply adds once the fold succeeds: each point is counted exactly once.
					c.folded.add(reasonBoundsRebucketed, 1)
					c.folded.add(d.reason, -1)
				}
				if r == "" {
					out.addExemplars(dp.Exemplars(), mc.b.policy)
				}
				return r
			})
		})
	})
}

func (g *guard) expoPoints(c *counts, mc *metricCtx, dps pmetric.ExponentialHistogramDataPointSlice) {
	dps.RemoveIf(func(dp pmetric.ExponentialHistogramDataPoint) bool {
		if math.IsNaN(dp.Sum()) || math.IsInf(dp.Sum(), 0) {
			return g.dropPoint(c, reasonNonFinite)
		}
		if !expoValid(dp) {
			return g.dropPoint(c, reasonInvalidHistogram)
		}
		d := g.route(mc, dp.Attributes(), dp.Timestamp())
		return g.apply(c, mc, d, dp.Exemplars(), func() string {
			return g.fold(mc, d, dp.StartTimestamp(), dp.Timestamp(), func(om *outputMetric, out *outputSeries, in *inputState, isNew, full bool) string {
				r := om.foldExpo(out, orEmpty(in), isNew, full, dp)
				if r == "" {
					out.addExemplars(dp.Exemplars(), mc.b.policy)
				}
				return r
			})
		})
	})
}

// summaryPoints never folds: quantiles cannot be merged. With summary: refuse, a point whose
// labels would change is forwarded unchanged and counted; with summary: drop it is dropped.
// A new summary series beyond the series cap is dropped.
func (g *guard) summaryPoints(c *counts, mc *metricCtx, dps pmetric.SummaryDataPointSlice) {
	dps.RemoveIf(func(dp pmetric.SummaryDataPoint) bool {
		if math.IsNaN(dp.Sum()) || math.IsInf(dp.Sum(), 0) {
			return g.dropPoint(c, reasonNonFinite)
		}
		d := g.route(mc, dp.Attributes(), dp.Timestamp())
		switch {
		case d.drop != "":
			return g.dropPoint(c, d.drop)
		case d.overflow:
			return g.dropPoint(c, reasonSeriesLimit)
		case d.fold && mc.b.policy.summary == SummaryDrop:
			return g.dropPoint(c, reasonSummaryRefused)
		case d.fold:
			c.folded.add(reasonSummaryRefused, 1)
		}
		return false
	})
}

func orEmpty(in *inputState) *inputState {
	if in == nil {
		return &inputState{}
	}
	return in
}

func (g *guard) dropPoint(c *counts, reason string) bool {
	c.drop(reason)
	return !g.dryRun
}

// apply carries out a decision: pass through (stripping denied keys from exemplars), drop, or fold.
// It reports whether the point leaves the batch. In dry_run mode nothing leaves it.
func (g *guard) apply(c *counts, mc *metricCtx, d decision, exemplars pmetric.ExemplarSlice, fold func() string) bool {
	switch {
	case d.drop != "":
		return g.dropPoint(c, d.drop)
	case !d.fold:
		if exemplars.Len() > 0 && !g.dryRun {
			p := mc.b.policy
			for _, e := range exemplars.All() {
				e.FilteredAttributes().RemoveIf(p.deniedKey)
			}
		}
		return false
	case g.dryRun:
		c.folded.add(d.reason, 1)
		return false
	}
	if r := fold(); r != "" {
		return g.dropPoint(c, r)
	}
	c.folded.add(d.reason, 1)
	if d.overflow {
		mc.b.overflowed++
	}
	mc.b.folded++
	return true
}

func validHistogram(dp pmetric.HistogramDataPoint) string {
	if math.IsNaN(dp.Sum()) || math.IsInf(dp.Sum(), 0) {
		return reasonNonFinite
	}
	n := dp.BucketCounts().Len()
	if n == 0 {
		return ""
	}
	if n != dp.ExplicitBounds().Len()+1 {
		return reasonInvalidHistogram
	}
	var total uint64
	for _, c := range dp.BucketCounts().All() {
		total += c
	}
	prev := math.Inf(-1)
	for _, b := range dp.ExplicitBounds().All() {
		if !(b > prev) || math.IsInf(b, 0) {
			return reasonInvalidHistogram
		}
		prev = b
	}
	if total != dp.Count() {
		return reasonInvalidHistogram
	}
	return ""
}
