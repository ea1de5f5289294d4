// Copyright otelcol-warden authors
// SPDX-License-Identifier: Apache-2.0

package tenantrouter // import "github.com/otelcol-warden/otelcol-warden/exporter/tenantrouter"

import (
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// The split functions walk a batch once and MOVE every record into its tenant's part (the exporter
// declares MutatesData, so the pipeline hands it data nobody else reads). Resource and scope are
// copied once per tenant they occur in. When every rule reads resource attributes only, whole
// resources are moved without visiting their records.

var emptyAttributes = pcommon.NewMap()

func splitLogs(ld plog.Logs, b *batch[plog.Logs]) {
	var resources lazyDest[plog.ResourceLogs]
	var scopes lazyDest[plog.ScopeLogs]
	rls := ld.ResourceLogs()
	for i := 0; i < rls.Len(); i++ {
		rl := rls.At(i)
		res := rl.Resource().Attributes()
		if b.resourceOnly() {
			if slot := b.route(emptyAttributes, res, logRecordsIn(rl)); slot >= 0 {
				rl.MoveTo(b.parts[slot].data.ResourceLogs().AppendEmpty())
			}
			continue
		}
		resources.reset()
		sls := rl.ScopeLogs()
		for j := 0; j < sls.Len(); j++ {
			sl := sls.At(j)
			scopes.reset()
			lrs := sl.LogRecords()
			for k := 0; k < lrs.Len(); k++ {
				lr := lrs.At(k)
				slot := b.route(lr.Attributes(), res, 1)
				if slot < 0 {
					continue
				}
				dst, ok := scopes.get(slot)
				if !ok {
					drl, ok := resources.get(slot)
					if !ok {
						drl = b.parts[slot].data.ResourceLogs().AppendEmpty()
						rl.Resource().CopyTo(drl.Resource())
						drl.SetSchemaUrl(rl.SchemaUrl())
						resources.set(slot, drl)
					}
					dst = drl.ScopeLogs().AppendEmpty()
					sl.Scope().CopyTo(dst.Scope())
					dst.SetSchemaUrl(sl.SchemaUrl())
					scopes.set(slot, dst)
				}
				lr.MoveTo(dst.LogRecords().AppendEmpty())
			}
		}
	}
}

func logRecordsIn(rl plog.ResourceLogs) int {
	n := 0
	for j := 0; j < rl.ScopeLogs().Len(); j++ {
		n += rl.ScopeLogs().At(j).LogRecords().Len()
	}
	return n
}

func splitTraces(td ptrace.Traces, b *batch[ptrace.Traces]) {
	var resources lazyDest[ptrace.ResourceSpans]
	var scopes lazyDest[ptrace.ScopeSpans]
	rss := td.ResourceSpans()
	for i := 0; i < rss.Len(); i++ {
		rs := rss.At(i)
		res := rs.Resource().Attributes()
		if b.resourceOnly() {
			if slot := b.route(emptyAttributes, res, spansIn(rs)); slot >= 0 {
				rs.MoveTo(b.parts[slot].data.ResourceSpans().AppendEmpty())
			}
			continue
		}
		resources.reset()
		sss := rs.ScopeSpans()
		for j := 0; j < sss.Len(); j++ {
			ss := sss.At(j)
			scopes.reset()
			spans := ss.Spans()
			for k := 0; k < spans.Len(); k++ {
				span := spans.At(k)
				slot := b.route(span.Attributes(), res, 1)
				if slot < 0 {
					continue
				}
				dst, ok := scopes.get(slot)
				if !ok {
					drs, ok := resources.get(slot)
					if !ok {
						drs = b.parts[slot].data.ResourceSpans().AppendEmpty()
						rs.Resource().CopyTo(drs.Resource())
						drs.SetSchemaUrl(rs.SchemaUrl())
						resources.set(slot, drs)
					}
					dst = drs.ScopeSpans().AppendEmpty()
					ss.Scope().CopyTo(dst.Scope())
					dst.SetSchemaUrl(ss.SchemaUrl())
					scopes.set(slot, dst)
				}
				span.MoveTo(dst.Spans().AppendEmpty())
			}
		}
	}
}

func spansIn(rs ptrace.ResourceSpans) int {
	n := 0
	for j := 0; j < rs.ScopeSpans().Len(); j++ {
		n += rs.ScopeSpans().At(j).Spans().Len()
	}
	return n
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
		res := rm.Resource().Attributes()
		if b.resourceOnly() {
			if slot := b.route(emptyAttributes, res, dataPointsIn(rm)); slot >= 0 {
				rm.MoveTo(b.parts[slot].data.ResourceMetrics().AppendEmpty())
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
				splitDataPoints(m, res, b, destMetric)
			}
		}
	}
}

func splitDataPoints(m pmetric.Metric, res pcommon.Map, b *batch[pmetric.Metrics], dest func(int) pmetric.Metric) {
	switch m.Type() {
	case pmetric.MetricTypeGauge:
		dps := m.Gauge().DataPoints()
		for i := 0; i < dps.Len(); i++ {
			if slot := b.route(dps.At(i).Attributes(), res, 1); slot >= 0 {
				dps.At(i).MoveTo(dest(slot).Gauge().DataPoints().AppendEmpty())
			}
		}
	case pmetric.MetricTypeSum:
		dps := m.Sum().DataPoints()
		for i := 0; i < dps.Len(); i++ {
			if slot := b.route(dps.At(i).Attributes(), res, 1); slot >= 0 {
				dps.At(i).MoveTo(dest(slot).Sum().DataPoints().AppendEmpty())
			}
		}
	case pmetric.MetricTypeHistogram:
		dps := m.Histogram().DataPoints()
		for i := 0; i < dps.Len(); i++ {
			if slot := b.route(dps.At(i).Attributes(), res, 1); slot >= 0 {
				dps.At(i).MoveTo(dest(slot).Histogram().DataPoints().AppendEmpty())
			}
		}
	case pmetric.MetricTypeExponentialHistogram:
		dps := m.ExponentialHistogram().DataPoints()
		for i := 0; i < dps.Len(); i++ {
			if slot := b.route(dps.At(i).Attributes(), res, 1); slot >= 0 {
				dps.At(i).MoveTo(dest(slot).ExponentialHistogram().DataPoints().AppendEmpty())
			}
		}
	case pmetric.MetricTypeSummary:
		dps := m.Summary().DataPoints()
		for i := 0; i < dps.Len(); i++ {
			if slot := b.route(dps.At(i).Attributes(), res, 1); slot >= 0 {
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
			n += dataPointCount(ms.At(k))
		}
	}
	return n
}

func dataPointCount(m pmetric.Metric) int {
	switch m.Type() {
	case pmetric.MetricTypeGauge:
		return m.Gauge().DataPoints().Len()
	case pmetric.MetricTypeSum:
		return m.Sum().DataPoints().Len()
	case pmetric.MetricTypeHistogram:
		return m.Histogram().DataPoints().Len()
	case pmetric.MetricTypeExponentialHistogram:
		return m.ExponentialHistogram().DataPoints().Len()
	case pmetric.MetricTypeSummary:
		return m.Summary().DataPoints().Len()
	}
	return 0
}
