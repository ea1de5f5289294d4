package cardinalityguard // import "github.com/otelcol-warden/otelcol-warden/processor/cardinalityguard"

import (
	"context"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// minStep keeps emitted timestamps strictly increasing at Prometheus' millisecond resolution.
const minStep = pcommon.Timestamp(time.Millisecond)

// flush is the single writer of every re-aggregated series: one point per updated output,
// stamped with the tick (or 1 ms after the series' previous point), then stale state is swept.
func (g *guard) flush(ctx context.Context) error {
	g.mu.Lock()
	now := g.now()
	g.clock = uint32(now.Sub(g.startWall) / time.Second)
	ts := pcommon.NewTimestampFromTime(now)
	md := pmetric.NewMetrics()
	for _, om := range g.outputs {
		var m pmetric.Metric
		for _, out := range om.series {
			if !out.dirty {
				continue
			}
			if m == (pmetric.Metric{}) {
				m = om.newMetric(md)
			}
			t := max(ts, out.lastEmit+minStep)
			om.emit(out, m, t)
			if adm := om.budget.admitted[out.key]; adm != nil {
				adm.lastTs = uint64(t)
			}
		}
	}
	g.sweep()
	g.mu.Unlock()
	n := md.DataPointCount()
	if n == 0 {
		return nil
	}
	if err := g.next.ConsumeMetrics(ctx, md); err != nil {
		// The folded state was already cleared (delta increases, dirty marks): this data is
		// lost. Count it rather than dropping it silently; the caller logs or returns err.
		g.tel.ProcessorCardinalityGuardDatapointsDropped.Add(ctx, int64(n),
			metric.WithAttributeSet(attribute.NewSet(attribute.String("reason", reasonDownstreamError))))
		addReason(&g.status.dropped, reasonDownstreamError, int64(n))
		return err
	}
	g.tel.ProcessorCardinalityGuardDatapointsEmitted.Add(ctx, int64(n))
	g.status.emitted.Add(int64(n))
	return nil
}

func (om *outputMetric) newMetric(md pmetric.Metrics) pmetric.Metric {
	rm := md.ResourceMetrics().AppendEmpty()
	om.resource.CopyTo(rm.Resource())
	sm := rm.ScopeMetrics().AppendEmpty()
	om.scope.CopyTo(sm.Scope())
	m := sm.Metrics().AppendEmpty()
	m.SetName(om.name)
	m.SetDescription(om.description)
	m.SetUnit(om.unit)
	switch om.typ {
	case pmetric.MetricTypeGauge:
		m.SetEmptyGauge()
	case pmetric.MetricTypeSum:
		m.SetEmptySum().SetAggregationTemporality(om.temporality)
		m.Sum().SetIsMonotonic(om.monotonic)
	case pmetric.MetricTypeHistogram:
		m.SetEmptyHistogram().SetAggregationTemporality(om.temporality)
	case pmetric.MetricTypeExponentialHistogram:
		m.SetEmptyExponentialHistogram().SetAggregationTemporality(om.temporality)
	}
	return m
}

// sweep forgets inputs, outputs, admitted series and admitted label values not seen for
// reaggregation.max_stale, so that state follows the live series set.
func (g *guard) sweep() {
	maxStale := uint32(g.cfg.Reaggregation.MaxStale / time.Second)
	if g.clock < maxStale {
		return
	}
	horizon := g.clock - maxStale
	for k, in := range g.inputs {
		if in.lastSeen < horizon {
			g.detachInput(in)
			delete(g.inputs, k)
		}
	}
	for k, om := range g.outputs {
		for sk, out := range om.series {
			if out.lastSeen < horizon && out.inputs == 0 && !out.dirty {
				delete(om.series, sk)
			}
		}
		if len(om.series) == 0 {
			delete(g.outputs, k)
		}
	}
	for k, b := range g.budgets {
		for sk, adm := range b.admitted {
			if adm.lastSeen < horizon {
				delete(b.admitted, sk)
				g.totalAdmitted--
			}
		}
		for sk, seen := range b.overflows {
			if seen < horizon {
				delete(b.overflows, sk)
				g.overflowSeries--
			}
		}
		for _, ls := range b.labels {
			for vh, seen := range ls.values {
				if seen < horizon {
					delete(ls.values, vh)
				}
			}
		}
		if len(b.admitted) == 0 && len(b.overflows) == 0 && b.holdsNothing() {
			delete(g.budgets, k)
		}
	}
}

// holdsNothing reports whether the budget's label trackers hold nothing worth keeping:
// no admitted value and no flagged label.
func (b *budget) holdsNothing() bool {
	for _, ls := range b.labels {
		if len(ls.values) > 0 || ls.flagged {
			return false
		}
	}
	return true
}
