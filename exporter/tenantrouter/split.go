// Copyright otelcol-warden authors
// SPDX-License-Identifier: Apache-2.0

package tenantrouter // import "github.com/otelcol-warden/otelcol-warden/exporter/tenantrouter"

import (
	"github.com/otelcol-warden/otelcol-warden/internal/pmetricutil"
	"go.opentelemetry.io/collector/pdata/pmetric"
)

// The split functions MOVE records into their tenant's part (the exporter declares MutatesData, so the
// pipeline hands it data nobody else reads). The resource side of the rules is evaluated once per
// resource (resolver.planResource). When every rule reads resource attributes only, whole resources
// move without visiting their records. Otherwise logs and spans are resolved per record, and moved in
// the largest units possible:
//   - a resource whose records all go to one tenant moves whole;
//   - otherwise the tenant most of the resource's records go to (the majority) keeps the resource:
//     a scope whose records all go to another tenant moves whole into a copy of the resource there,
//     and only the remaining minority records move one by one into copies of their resource and scope;
//     their husks (and dropped records) are removed, then the resource moves whole to the majority.
// Moving every record individually cost 3.5x otlp_http's marshal path in BenchmarkMarshalPath.

// countSlot counts the records going to slot.
func countSlot(slots []int, slot int) int {
	n := 0
	for _, s := range slots {
		if s == slot {
			n++
		}
	}
	return n
}

// sameSlot reports whether all records of a scope go to the same slot (false for an empty scope).
func sameSlot(slots []int) (int, bool) {
	if len(slots) == 0 {
		return 0, false
	}
	for _, s := range slots[1:] {
		if s != slots[0] {
			return 0, false
		}
	}
	return slots[0], true
}

// splitMetrics routes per data point: a metric whose points belong to several tenants is re-created
// (name, description, unit, metadata, type, temporality, monotonicity) once per tenant.
func splitMetrics(md pmetric.Metrics, b *batch[pmetric.Metrics]) {
	var resources lazyDest[pmetric.ResourceMetrics]
	var scopes lazyDest[pmetric.ScopeMetrics]
	var metrics lazyDest[pmetric.Metric]
	rms := md.ResourceMetrics()
	for i := 0; i < rms.Len(); i++ {
		rm := rms.At(i)
		b.planResource(rm.Resource().Attributes())
		if b.resourceOnly() {
			// a resource without records is not sent (it would make an empty request)
			if n := dataPointsIn(rm); n > 0 {
				if slot := b.routeResource(n); slot >= 0 {
					rm.MoveTo(b.parts[slot].data.ResourceMetrics().AppendEmpty())
				}
			}
			continue
		}
		resources.reset()
		sms := rm.ScopeMetrics()
		for j := 0; j < sms.Len(); j++ {
			sm := sms.At(j)
			scopes.reset()
			ms := sm.Metrics()
			for k := 0; k < ms.Len(); k++ {
				m := ms.At(k)
				metrics.reset()
				destMetric := func(slot int) pmetric.Metric {
					dm, ok := metrics.get(slot)
					if ok {
						return dm
					}
					dsm, ok := scopes.get(slot)
					if !ok {
						drm, ok := resources.get(slot)
						if !ok {
							drm = b.parts[slot].data.ResourceMetrics().AppendEmpty()
							rm.Resource().CopyTo(drm.Resource())
							drm.SetSchemaUrl(rm.SchemaUrl())
							resources.set(slot, drm)
						}
						dsm = drm.ScopeMetrics().AppendEmpty()
						sm.Scope().CopyTo(dsm.Scope())
						dsm.SetSchemaUrl(sm.SchemaUrl())
						scopes.set(slot, dsm)
					}
					dm = dsm.Metrics().AppendEmpty()
					copyMetricShell(m, dm)
					metrics.set(slot, dm)
					return dm
				}
				splitDataPoints(m, b, destMetric)
			}
		}
	}
}

func splitDataPoints(m pmetric.Metric, b *batch[pmetric.Metrics], dest func(int) pmetric.Metric) {
	switch m.Type() {
	case pmetric.MetricTypeGauge:
		dps := m.Gauge().DataPoints()
		for i := 0; i < dps.Len(); i++ {
			if slot := b.routeRecord(dps.At(i).Attributes()); slot >= 0 {
				dps.At(i).MoveTo(dest(slot).Gauge().DataPoints().AppendEmpty())
			}
		}
	case pmetric.MetricTypeSum:
		dps := m.Sum().DataPoints()
		for i := 0; i < dps.Len(); i++ {
			if slot := b.routeRecord(dps.At(i).Attributes()); slot >= 0 {
				dps.At(i).MoveTo(dest(slot).Sum().DataPoints().AppendEmpty())
			}
		}
	case pmetric.MetricTypeHistogram:
		dps := m.Histogram().DataPoints()
		for i := 0; i < dps.Len(); i++ {
			if slot := b.routeRecord(dps.At(i).Attributes()); slot >= 0 {
				dps.At(i).MoveTo(dest(slot).Histogram().DataPoints().AppendEmpty())
			}
		}
	case pmetric.MetricTypeExponentialHistogram:
		dps := m.ExponentialHistogram().DataPoints()
		for i := 0; i < dps.Len(); i++ {
			if slot := b.routeRecord(dps.At(i).Attributes()); slot >= 0 {
				dps.At(i).MoveTo(dest(slot).ExponentialHistogram().DataPoints().AppendEmpty())
			}
		}
	case pmetric.MetricTypeSummary:
		dps := m.Summary().DataPoints()
		for i := 0; i < dps.Len(); i++ {
			if slot := b.routeRecord(dps.At(i).Attributes()); slot >= 0 {
				dps.At(i).MoveTo(dest(slot).Summary().DataPoints().AppendEmpty())
			}
		}
	}
}

// copyMetricShell copies everything of a metric except its data points.
func copyMetricShell(src, dst pmetric.Metric) {
	dst.SetName(src.Name())
	dst.SetDescription(src.Description())
	dst.SetUnit(src.Unit())
	src.Metadata().CopyTo(dst.Metadata())
	switch src.Type() {
	case pmetric.MetricTypeGauge:
		dst.SetEmptyGauge()
	case pmetric.MetricTypeSum:
		dst.SetEmptySum().SetAggregationTemporality(src.Sum().AggregationTemporality())
		dst.Sum().SetIsMonotonic(src.Sum().IsMonotonic())
	case pmetric.MetricTypeHistogram:
		dst.SetEmptyHistogram().SetAggregationTemporality(src.Histogram().AggregationTemporality())
	case pmetric.MetricTypeExponentialHistogram:
		dst.SetEmptyExponentialHistogram().SetAggregationTemporality(src.ExponentialHistogram().AggregationTemporality())
	case pmetric.MetricTypeSummary:
		dst.SetEmptySummary()
	}
}

func dataPointsIn(rm pmetric.ResourceMetrics) int {
	n := 0
	for j := 0; j < rm.ScopeMetrics().Len(); j++ {
		ms := rm.ScopeMetrics().At(j).Metrics()
		for k := 0; k < ms.Len(); k++ {
			n += pmetricutil.DataPointCount(ms.At(k))
		}
	}
	return n
}

// scopePlan holds the slot of every record of one resource and the record count per slot, reused
// across resources.
type scopePlan struct {
	slots  []int
	counts []int
}

func (p *scopePlan) reset(records int) {
	p.slots = p.slots[:0]
	clear(p.counts)
	if cap(p.slots) < records {
		p.slots = make([]int, 0, records)
	}
}

func (p *scopePlan) add(slot int) {
	p.slots = append(p.slots, slot)
	if slot < 0 {
		return
	}
	for len(p.counts) <= slot {
		p.counts = append(p.counts, 0)
	}
	p.counts[slot]++
}

// majority is the slot most records go to, -1 when all are dropped.
func (p *scopePlan) majority() int {
	best, bestCount := -1, 0
	for slot, n := range p.counts {
		if n > bestCount {
			best, bestCount = slot, n
		}
	}
	return best
}

// uniform reports whether every record goes to the same slot (none dropped).
func (p *scopePlan) uniform() bool {
	m := p.majority()
	return m >= 0 && p.counts[m] == len(p.slots)
}
