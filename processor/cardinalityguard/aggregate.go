package cardinalityguard // import "github.com/otelcol-warden/otelcol-warden/processor/cardinalityguard"

import (
	"slices"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
)

// maxExemplarsPerOutput bounds exemplars kept per re-aggregated output per flush.
const maxExemplarsPerOutput = 4

// outputMetric groups the re-aggregated outputs of one (resource, instrumentation scope, metric).
type outputMetric struct {
	resource    pcommon.Resource
	scope       pcommon.InstrumentationScope
	name        string
	description string
	unit        string
	typ         pmetric.MetricType
	temporality pmetric.AggregationTemporality
	monotonic   bool
	budget      *budget
	series      map[uint64]*outputSeries
}

// outputSeries is one re-aggregated series, written by exactly one writer: the flush.
type outputSeries struct {
	key       uint64
	metric    *outputMetric
	adm       *admission // the output's admission (nil for the overflow series)
	attrs     pcommon.Map
	start     pcommon.Timestamp
	lastEmit  pcommon.Timestamp
	lastSeen  uint32
	inputs    int
	dirty     bool
	intValued bool
	// baselineInput is the key of the pass-through input this output took over; its first
	// re-aggregated point contributes nothing, since its history was already emitted.
	baselineInput uint64
	converted     bool
	seed          admission

	value      float64 // sums and gauges
	pointTs    pcommon.Timestamp
	interval   pcommon.Timestamp // start of the current delta interval
	hist       *histAcc
	expo       *expoHist
	exemplars  pmetric.ExemplarSlice
	hasMinMax  bool
	minV, maxV float64
}

type histAcc struct {
	bounds []float64
	counts []uint64
	count  uint64
	sum    float64
}

// inputState is kept per input series of a re-aggregated output when the type needs it
// (cumulative sums and histograms, gauge sums): the previous cumulative value, so that only
// increases are added, and a reset (start time changed or value went down) adds the new value.
type inputState struct {
	out      *outputSeries
	start    pcommon.Timestamp
	lastTs   pcommon.Timestamp
	lastSeen uint32
	// routed: the input's last route (reason, output) may be reused without the label steps
	// while the budget's epoch is epoch and for max_stale/2 after checkedAt.
	checkedAt uint32
	epoch     uint32
	routed    bool
	reason    uint8 // index in foldReasons
	last      float64
	hist      []uint64
	count     uint64
	sum       float64
	expo      *expoHist
}

func newOutputMetric(res pcommon.Resource, sc pcommon.InstrumentationScope, m pmetric.Metric, b *budget) *outputMetric {
	om := &outputMetric{
		resource: pcommon.NewResource(), scope: pcommon.NewInstrumentationScope(),
		name: m.Name(), description: m.Description(), unit: m.Unit(), typ: m.Type(), budget: b,
		series: map[uint64]*outputSeries{},
	}
	res.CopyTo(om.resource)
	sc.CopyTo(om.scope)
	switch m.Type() {
	case pmetric.MetricTypeSum:
		om.temporality, om.monotonic = m.Sum().AggregationTemporality(), m.Sum().IsMonotonic()
	case pmetric.MetricTypeHistogram:
		om.temporality = m.Histogram().AggregationTemporality()
	case pmetric.MetricTypeExponentialHistogram:
		om.temporality = m.ExponentialHistogram().AggregationTemporality()
	}
	return om
}

func (om *outputMetric) cumulative() bool {
	return om.temporality == pmetric.AggregationTemporalityCumulative
}

// needsInputState reports whether folding this metric needs per-input state.
func (om *outputMetric) needsInputState() bool {
	switch om.typ {
	case pmetric.MetricTypeSum, pmetric.MetricTypeHistogram, pmetric.MetricTypeExponentialHistogram:
		return om.cumulative()
	case pmetric.MetricTypeGauge:
		return om.budget.policy.gauge == GaugeSum
	}
	return false
}

// firstContribution decides what the first point of a new input adds to a cumulative output:
// all of it when the input started after the processor (nothing of it was counted before),
// nothing otherwise (its history was counted elsewhere, or by this processor before a restart).
func firstContribution(out *outputSeries, inKey uint64, start, processorStart pcommon.Timestamp) bool {
	if out.converted && inKey == out.baselineInput {
		return false
	}
	return start != 0 && start >= processorStart
}

// foldNumber adds a sum or gauge point; it returns a drop reason or "".
func (om *outputMetric) foldNumber(out *outputSeries, in *inputState, isNew, full bool, v float64, isInt bool, start, ts pcommon.Timestamp) string {
	if !isInt {
		out.intValued = false
	}
	switch {
	case om.typ == pmetric.MetricTypeGauge:
		switch om.budget.policy.gauge {
		case GaugeSum:
			if !isNew && ts <= in.lastTs {
				return reasonOutOfOrder
			}
			out.value += v - in.last
			in.last, in.lastTs = v, ts
		case GaugeMin:
			if !out.dirty || v < out.value {
				out.value = v
			}
		case GaugeMax:
			if !out.dirty || v > out.value {
				out.value = v
			}
		default: // last
			if !out.dirty || ts >= out.pointTs {
				out.value, out.pointTs = v, ts
			}
		}
	case !om.cumulative():
		out.value += v
		if out.interval == 0 || (start != 0 && start < out.interval) {
			out.interval = start
		}
	case om.monotonic:
		if !isNew && ts <= in.lastTs {
			return reasonOutOfOrder
		}
		var inc float64
		switch {
		case isNew:
			if full {
				inc = v
			}
		case start != in.start || v < in.last:
			inc = v
		default:
			inc = v - in.last
		}
		out.value += inc
		in.last, in.start, in.lastTs = v, start, ts
	default: // cumulative non-monotonic: Σ latest value of each live input
		if !isNew && ts <= in.lastTs {
			return reasonOutOfOrder
		}
		out.value += v - in.last
		in.last, in.start, in.lastTs = v, start, ts
	}
	out.dirty = true
	return ""
}

// foldHistogram adds an explicit-bucket histogram point. It returns a drop reason or "", and
// whether the point's buckets were moved onto the output's different bounds.
func (om *outputMetric) foldHistogram(out *outputSeries, in *inputState, isNew, full bool, dp pmetric.HistogramDataPoint) (string, bool) {
	bounds := dp.ExplicitBounds().AsRaw()
	counts := dp.BucketCounts().AsRaw()
	if out.hist == nil {
		out.hist = &histAcc{bounds: bounds, counts: make([]uint64, len(bounds)+1)}
	}
	mapping := bucketMapping(bounds, out.hist.bounds)
	if mapping == nil && om.budget.policy.bounds == BoundsDrop {
		return reasonBoundsMismatch, false
	}
	incCounts, incCount, incSum := counts, dp.Count(), dp.Sum()
	if om.cumulative() {
		if !isNew && dp.Timestamp() <= in.lastTs {
			return reasonOutOfOrder, false
		}
		reset := !isNew && (dp.StartTimestamp() != in.start || dp.Count() < in.count || len(in.hist) != len(counts) || decreased(counts, in.hist))
		switch {
		case isNew && !full:
			incCounts, incCount, incSum = nil, 0, 0
		case isNew || reset:
		default:
			incCounts = make([]uint64, len(counts))
			for i := range counts {
				incCounts[i] = counts[i] - in.hist[i]
			}
			incCount, incSum = dp.Count()-in.count, dp.Sum()-in.sum
		}
		in.hist, in.count, in.sum = counts, dp.Count(), dp.Sum()
		in.start, in.lastTs = dp.StartTimestamp(), dp.Timestamp()
	} else if out.interval == 0 || (dp.StartTimestamp() != 0 && dp.StartTimestamp() < out.interval) {
		out.interval = dp.StartTimestamp()
	}
	if len(incCounts) == 0 && incCount > 0 {
		// A histogram without buckets only says how many observations there were: +Inf bucket.
		out.hist.counts[len(out.hist.counts)-1] += incCount
	}
	for i, c := range incCounts {
		if mapping == nil {
			out.hist.counts[rebucket(bounds, i, out.hist.bounds)] += c
		} else {
			out.hist.counts[i] += c
		}
	}
	out.hist.count += incCount
	out.hist.sum += incSum
	if !om.cumulative() && dp.HasMin() && dp.HasMax() && incCount > 0 {
		if !out.hasMinMax {
			out.minV, out.maxV, out.hasMinMax = dp.Min(), dp.Max(), true
		}
		out.minV, out.maxV = min(out.minV, dp.Min()), max(out.maxV, dp.Max())
	}
	out.dirty = true
	return "", mapping == nil
}

// foldExpo adds an exponential histogram point.
func (om *outputMetric) foldExpo(out *outputSeries, in *inputState, isNew, full bool, dp pmetric.ExponentialHistogramDataPoint) string {
	cur := expoFromPoint(dp)
	inc := cur
	if om.cumulative() {
		if !isNew && dp.Timestamp() <= in.lastTs {
			return reasonOutOfOrder
		}
		switch {
		case isNew && !full:
			inc = expoHist{scale: cur.scale}
		case isNew || dp.StartTimestamp() != in.start:
		default:
			if d, ok := expoIncrease(cur, *in.expo); ok {
				inc = d
			}
		}
		in.expo, in.start, in.lastTs = &cur, dp.StartTimestamp(), dp.Timestamp()
	} else if out.interval == 0 || (dp.StartTimestamp() != 0 && dp.StartTimestamp() < out.interval) {
		out.interval = dp.StartTimestamp()
	}
	if out.expo == nil {
		h := inc.clone()
		out.expo = &h
	} else {
		out.expo.add(inc)
	}
	out.dirty = true
	return ""
}

// bucketMapping returns identity (non-nil) when bounds equal the output's bounds, nil otherwise.
func bucketMapping(in, out []float64) []float64 {
	if slices.Equal(in, out) {
		return out
	}
	return nil
}

// rebucket places input bucket i into the first output bucket whose upper bound is at least
// the input bucket's upper bound: counts are preserved, quantiles shift up by at most one bucket.
func rebucket(inBounds []float64, i int, outBounds []float64) int {
	if i >= len(inBounds) {
		return len(outBounds)
	}
	j, _ := slices.BinarySearch(outBounds, inBounds[i])
	return j
}

func decreased(cur, prev []uint64) bool {
	for i := range cur {
		if cur[i] < prev[i] {
			return true
		}
	}
	return false
}

// addExemplars keeps up to maxExemplarsPerOutput exemplars, without the attributes the
// point lost (the policy's deny list).
func (out *outputSeries) addExemplars(src pmetric.ExemplarSlice, p *policy) {
	if src.Len() == 0 {
		return
	}
	if out.exemplars == (pmetric.ExemplarSlice{}) {
		out.exemplars = pmetric.NewExemplarSlice()
	}
	for i := 0; i < src.Len() && out.exemplars.Len() < maxExemplarsPerOutput; i++ {
		e := out.exemplars.AppendEmpty()
		src.At(i).CopyTo(e)
		e.FilteredAttributes().RemoveIf(p.deniedKey)
	}
}

// emit writes the output's point for this flush into m and resets per-interval accumulators.
func (om *outputMetric) emit(out *outputSeries, m pmetric.Metric, ts pcommon.Timestamp) {
	start := out.start
	if !om.cumulative() {
		start = out.interval
		if start == 0 || start >= ts {
			start = out.lastEmit
		}
	}
	switch om.typ {
	case pmetric.MetricTypeGauge, pmetric.MetricTypeSum:
		var dp pmetric.NumberDataPoint
		if om.typ == pmetric.MetricTypeGauge {
			dp = m.Gauge().DataPoints().AppendEmpty()
		} else {
			dp = m.Sum().DataPoints().AppendEmpty()
			dp.SetStartTimestamp(start)
		}
		if out.intValued {
			dp.SetIntValue(int64(out.value))
		} else {
			dp.SetDoubleValue(out.value)
		}
		dp.SetTimestamp(ts)
		out.attrs.CopyTo(dp.Attributes())
		moveExemplars(out, dp.Exemplars())
		if om.typ == pmetric.MetricTypeSum && !om.cumulative() {
			out.value = 0
		}
	case pmetric.MetricTypeHistogram:
		dp := m.Histogram().DataPoints().AppendEmpty()
		dp.SetStartTimestamp(start)
		dp.SetTimestamp(ts)
		out.attrs.CopyTo(dp.Attributes())
		dp.ExplicitBounds().FromRaw(out.hist.bounds)
		dp.BucketCounts().FromRaw(out.hist.counts)
		dp.SetCount(out.hist.count)
		dp.SetSum(out.hist.sum)
		if out.hasMinMax {
			dp.SetMin(out.minV)
			dp.SetMax(out.maxV)
		}
		moveExemplars(out, dp.Exemplars())
		if !om.cumulative() {
			out.hist.counts = make([]uint64, len(out.hist.counts))
			out.hist.count, out.hist.sum, out.hasMinMax = 0, 0, false
		}
	case pmetric.MetricTypeExponentialHistogram:
		dp := m.ExponentialHistogram().DataPoints().AppendEmpty()
		dp.SetStartTimestamp(start)
		dp.SetTimestamp(ts)
		out.attrs.CopyTo(dp.Attributes())
		out.expo.copyTo(dp)
		moveExemplars(out, dp.Exemplars())
		if !om.cumulative() {
			out.expo = &expoHist{scale: out.expo.scale}
		}
	}
	out.interval = 0
	out.dirty = false
	out.lastEmit = ts
}

func moveExemplars(out *outputSeries, dst pmetric.ExemplarSlice) {
	if out.exemplars == (pmetric.ExemplarSlice{}) || out.exemplars.Len() == 0 {
		return
	}
	out.exemplars.MoveAndAppendTo(dst)
}
