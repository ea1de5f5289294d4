// Copyright otelcol-warden authors
// SPDX-License-Identifier: Apache-2.0

package usagemeter // import "github.com/otelcol-warden/otelcol-warden/processor/usagemeter"

import (
	"context"
	"sync"
	"time"

	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/processor"
)

// metricsMeter counts data points, estimates active series per team and enforces metrics
// budgets: a team over budget keeps its known series flowing and has new series refused.
type metricsMeter struct {
	*instance
	next   consumer.Metrics
	sizer  pmetric.ProtoMarshaler
	hashes sync.Pool // *[]uint64, one resource's series hashes
}

func newMetricsMeter(set processor.Settings, cfg *Config, next consumer.Metrics) (*metricsMeter, error) {
	in, err := newInstance(set, cfg, signalMetrics)
	if err != nil {
		return nil, err
	}
	p := &metricsMeter{instance: in, next: next}
	p.hashes.New = func() any { s := make([]uint64, 0, 256); return &s }
	return p, nil
}

func (p *metricsMeter) ConsumeMetrics(ctx context.Context, md pmetric.Metrics) error {
	var tl tally
	var emptied []bool
	hp := p.hashes.Get().(*[]uint64)
	defer p.hashes.Put(hp)
	rms := md.ResourceMetrics()
	for i := 0; i < rms.Len(); i++ {
		rm := rms.At(i)
		t := p.teamOf(rm.Resource().Attributes(), &tl)
		hashes := appendSeriesHashes((*hp)[:0], rm)
		*hp = hashes
		// Usage is what arrived; points refused below are counted in dropped as well.
		size := framed(p.sizer.ResourceMetricsSize(rm))
		tl.add(t, int64(len(hashes)), size)
		if b := t.budgets[signalMetrics]; b != nil {
			now := p.m.now()
			if b.fits(int(size)) && b.admit(now, int(size)) == admitted {
				t.known.rememberAll(hashes)
			} else {
				// Refused series are not active: only kept points enter the estimate.
				hashes = p.enforce(rm, t, b, hashes, now, &tl)
				if rm.ScopeMetrics().Len() == 0 {
					if emptied == nil {
						emptied = make([]bool, rms.Len())
					}
					emptied[i] = true
				}
			}
		}
		t.series.insert(hashes)
	}
	if emptied != nil {
		i := 0
		rms.RemoveIf(func(pmetric.ResourceMetrics) bool { i++; return emptied[i-1] })
	}
	p.flush(ctx, &tl)
	if rms.Len() == 0 {
		return nil
	}
	return p.next.ConsumeMetrics(ctx, md)
}

// appendSeriesHashes appends the series identity of every data point of a resource, in walk order.
func appendSeriesHashes(dst []uint64, rm pmetric.ResourceMetrics) []uint64 {
	rh := attributesHash(rm.Resource().Attributes())
	sms := rm.ScopeMetrics()
	for j := 0; j < sms.Len(); j++ {
		sm := sms.At(j)
		sh := scopeHash(rh, sm.Scope())
		ms := sm.Metrics()
		for k := 0; k < ms.Len(); k++ {
			m := ms.At(k)
			mh := metricHash(sh, m.Name())
			switch m.Type() {
			case pmetric.MetricTypeGauge:
				dst = appendNumberHashes(dst, mh, m.Gauge().DataPoints())
			case pmetric.MetricTypeSum:
				dst = appendNumberHashes(dst, mh, m.Sum().DataPoints())
			case pmetric.MetricTypeHistogram:
				dps := m.Histogram().DataPoints()
				for l := 0; l < dps.Len(); l++ {
					dst = append(dst, pointHash(mh, dps.At(l).Attributes()))
				}
			case pmetric.MetricTypeExponentialHistogram:
				dps := m.ExponentialHistogram().DataPoints()
				for l := 0; l < dps.Len(); l++ {
					dst = append(dst, pointHash(mh, dps.At(l).Attributes()))
				}
			case pmetric.MetricTypeSummary:
				dps := m.Summary().DataPoints()
				for l := 0; l < dps.Len(); l++ {
					dst = append(dst, pointHash(mh, dps.At(l).Attributes()))
				}
			}
		}
	}
	return dst
}

func appendNumberHashes(dst []uint64, mh uint64, dps pmetric.NumberDataPointSlice) []uint64 {
	for l := 0; l < dps.Len(); l++ {
		dst = append(dst, pointHash(mh, dps.At(l).Attributes()))
	}
	return dst
}

// enforce decides a resource point by point: points of known series are charged and kept, points
// of new series are kept (and their series remembered) while the budget admits them. It returns
// the hashes of the kept points; metrics and scopes left empty are removed.
func (p *metricsMeter) enforce(rm pmetric.ResourceMetrics, t *team, b *budget, hashes []uint64, now time.Time, tl *tally) []uint64 {
	var refused [3]int64
	var refusedBytes int64
	kept := hashes[:0]
	idx := 0
	t.known.mu.Lock()
	decide := func(size int) bool {
		h := hashes[idx]
		idx++
		if t.known.knows(h) {
			b.charge(now, size)
			kept = append(kept, h)
			return false
		}
		r := b.admit(now, size)
		refused[r]++
		if r != admitted {
			refusedBytes += int64(size)
			return true
		}
		t.known.remember(h)
		kept = append(kept, h)
		return false
	}
	sms := rm.ScopeMetrics()
	for j := 0; j < sms.Len(); j++ {
		sms.At(j).Metrics().RemoveIf(func(m pmetric.Metric) bool {
			return p.enforceMetric(m, decide)
		})
	}
	t.known.mu.Unlock()
	sms.RemoveIf(func(sm pmetric.ScopeMetrics) bool { return sm.Metrics().Len() == 0 })
	tl.drop(t, reasonNewSeries, refused[overRate]+refused[overDailyQuota], refusedBytes)
	return kept
}

// enforceMetric removes the refused points of one metric; it reports whether none is left.
func (p *metricsMeter) enforceMetric(m pmetric.Metric, decide func(size int) bool) bool {
	switch m.Type() {
	case pmetric.MetricTypeGauge:
		dps := m.Gauge().DataPoints()
		dps.RemoveIf(func(dp pmetric.NumberDataPoint) bool { return decide(int(framed(p.sizer.NumberDataPointSize(dp)))) })
		return dps.Len() == 0
	case pmetric.MetricTypeSum:
		dps := m.Sum().DataPoints()
		dps.RemoveIf(func(dp pmetric.NumberDataPoint) bool { return decide(int(framed(p.sizer.NumberDataPointSize(dp)))) })
		return dps.Len() == 0
	case pmetric.MetricTypeHistogram:
		dps := m.Histogram().DataPoints()
		dps.RemoveIf(func(dp pmetric.HistogramDataPoint) bool {
			return decide(int(framed(p.sizer.HistogramDataPointSize(dp))))
		})
		return dps.Len() == 0
	case pmetric.MetricTypeExponentialHistogram:
		dps := m.ExponentialHistogram().DataPoints()
		dps.RemoveIf(func(dp pmetric.ExponentialHistogramDataPoint) bool {
			return decide(int(framed(p.sizer.ExponentialHistogramDataPointSize(dp))))
		})
		return dps.Len() == 0
	case pmetric.MetricTypeSummary:
		dps := m.Summary().DataPoints()
		dps.RemoveIf(func(dp pmetric.SummaryDataPoint) bool { return decide(int(framed(p.sizer.SummaryDataPointSize(dp)))) })
		return dps.Len() == 0
	}
	return false // empty or unknown type: no points, nothing to decide
}
