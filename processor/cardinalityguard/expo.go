package cardinalityguard // import "github.com/otelcol-warden/otelcol-warden/processor/cardinalityguard"

import (
	"go.opentelemetry.io/collector/pdata/pmetric"
)

// maxExpoBuckets is the bucket cap per side, as in the OTel SDK default and deltatocumulative.
const maxExpoBuckets = 160

// expoBuckets is one side (positive or negative) of an exponential histogram.
type expoBuckets struct {
	offset int32
	counts []uint64
}

// expoHist is an exponential histogram held for merging. The merge follows the
// data model (and contrib deltatocumulative's data.Add, which is internal to its module):
// bring both to the lower scale, merge index-wise, downscale again while a side exceeds
// maxExpoBuckets; the zero bucket takes the larger threshold.
type expoHist struct {
	scale         int32
	zeroThreshold float64
	zeroCount     uint64
	count         uint64
	sum           float64
	pos, neg      expoBuckets
}

func expoFromPoint(dp pmetric.ExponentialHistogramDataPoint) expoHist {
	return expoHist{
		scale:         dp.Scale(),
		zeroThreshold: dp.ZeroThreshold(),
		zeroCount:     dp.ZeroCount(),
		count:         dp.Count(),
		sum:           dp.Sum(),
		pos:           expoBuckets{offset: dp.Positive().Offset(), counts: dp.Positive().BucketCounts().AsRaw()},
		neg:           expoBuckets{offset: dp.Negative().Offset(), counts: dp.Negative().BucketCounts().AsRaw()},
	}
}

func (h *expoHist) copyTo(dp pmetric.ExponentialHistogramDataPoint) {
	dp.SetScale(h.scale)
	dp.SetZeroThreshold(h.zeroThreshold)
	dp.SetZeroCount(h.zeroCount)
	dp.SetCount(h.count)
	dp.SetSum(h.sum)
	dp.Positive().SetOffset(h.pos.offset)
	dp.Positive().BucketCounts().FromRaw(h.pos.counts)
	dp.Negative().SetOffset(h.neg.offset)
	dp.Negative().BucketCounts().FromRaw(h.neg.counts)
}

func (h expoHist) clone() expoHist {
	h.pos.counts = append([]uint64(nil), h.pos.counts...)
	h.neg.counts = append([]uint64(nil), h.neg.counts...)
	return h
}

// downscale merges 2^by adjacent buckets: index i at scale s is index i>>by at scale s-by.
func (b *expoBuckets) downscale(by int32) {
	if by <= 0 || len(b.counts) == 0 {
		return
	}
	first := b.offset >> by
	last := (b.offset + int32(len(b.counts)) - 1) >> by
	out := make([]uint64, last-first+1)
	for i, c := range b.counts {
		out[((b.offset+int32(i))>>by)-first] += c
	}
	b.offset, b.counts = first, out
}

func (b *expoBuckets) add(o expoBuckets) {
	if len(o.counts) == 0 {
		return
	}
	if len(b.counts) == 0 {
		b.offset, b.counts = o.offset, append([]uint64(nil), o.counts...)
		return
	}
	first := min(b.offset, o.offset)
	last := max(b.offset+int32(len(b.counts)), o.offset+int32(len(o.counts)))
	out := make([]uint64, last-first)
	for i, c := range b.counts {
		out[b.offset+int32(i)-first] += c
	}
	for i, c := range o.counts {
		out[o.offset+int32(i)-first] += c
	}
	b.offset, b.counts = first, out
}

// sub subtracts o index-wise; ok is false when a bucket would go negative (a reset).
func (b expoBuckets) sub(o expoBuckets) (expoBuckets, bool) {
	out := expoBuckets{offset: b.offset, counts: append([]uint64(nil), b.counts...)}
	for i, c := range o.counts {
		j := o.offset + int32(i) - b.offset
		if c == 0 {
			continue
		}
		if j < 0 || int(j) >= len(out.counts) || out.counts[j] < c {
			return expoBuckets{}, false
		}
		out.counts[j] -= c
	}
	return out, true
}

func (h *expoHist) downscaleTo(scale int32) {
	if scale >= h.scale {
		return
	}
	h.pos.downscale(h.scale - scale)
	h.neg.downscale(h.scale - scale)
	h.scale = scale
}

func (h *expoHist) fitCap() {
	for len(h.pos.counts) > maxExpoBuckets || len(h.neg.counts) > maxExpoBuckets {
		h.downscaleTo(h.scale - 1)
	}
}

// add merges o into h (both hold counts of disjoint observations).
func (h *expoHist) add(o expoHist) {
	if o.scale < h.scale {
		h.downscaleTo(o.scale)
	} else if o.scale > h.scale {
		o = o.clone()
		o.downscaleTo(h.scale)
	}
	h.pos.add(o.pos)
	h.neg.add(o.neg)
	h.zeroCount += o.zeroCount
	h.zeroThreshold = max(h.zeroThreshold, o.zeroThreshold)
	h.count += o.count
	h.sum += o.sum
	h.fitCap()
}

// increase returns cur - prev for cumulative points of one input; ok is false on a reset.
func expoIncrease(cur, prev expoHist) (expoHist, bool) {
	if cur.count < prev.count || cur.zeroCount < prev.zeroCount {
		return expoHist{}, false
	}
	if cur.scale != prev.scale {
		s := min(cur.scale, prev.scale)
		cur, prev = cur.clone(), prev.clone()
		cur.downscaleTo(s)
		prev.downscaleTo(s)
	}
	pos, ok1 := cur.pos.sub(prev.pos)
	neg, ok2 := cur.neg.sub(prev.neg)
	if !ok1 || !ok2 {
		return expoHist{}, false
	}
	return expoHist{
		scale: cur.scale, zeroThreshold: cur.zeroThreshold,
		zeroCount: cur.zeroCount - prev.zeroCount, count: cur.count - prev.count, sum: cur.sum - prev.sum,
		pos: pos, neg: neg,
	}, true
}

// expoValid checks the count invariant: count = zero + Σ buckets.
func expoValid(dp pmetric.ExponentialHistogramDataPoint) bool {
	total := dp.ZeroCount()
	for _, c := range dp.Positive().BucketCounts().All() {
		total += c
	}
	for _, c := range dp.Negative().BucketCounts().All() {
		total += c
	}
	return total == dp.Count() && dp.Scale() >= -10 && dp.Scale() <= 20
}
