package piiscrub // import "github.com/otelcol-warden/otelcol-warden/processor/piiscrub"

import (
	"context"

	"github.com/otelcol-warden/otelcol-warden/internal/pmetricutil"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/processor/processorhelper"
)

// Every field the issue lists, per signal. Resource and scope attributes are scrubbed once per resource/scope
// with the timestamp of its first record (so replays of the same batch give the same day key); a change there
// marks every record below it.

func (p *scrubProcessor) processTraces(ctx context.Context, td ptrace.Traces) (ptrace.Traces, error) {
	st := p.getState(sigTraces)
	dropped := int64(0)
	td.ResourceSpans().RemoveIf(func(rs ptrace.ResourceSpans) bool {
		resChanged, resFail := st.scrubContainer(rs.Resource().Attributes(), locResource, firstSpanTime(rs))
		if resFail {
			n := int64(0)
			for i := 0; i < rs.ScopeSpans().Len(); i++ {
				n += int64(rs.ScopeSpans().At(i).Spans().Len())
			}
			st.processed += n
			st.dropped[st.recReason] += n
			dropped += n
			return true
		}
		rs.ScopeSpans().RemoveIf(func(ss ptrace.ScopeSpans) bool {
			var ts uint64
			if ss.Spans().Len() > 0 {
				ts = uint64(ss.Spans().At(0).StartTimestamp())
			}
			scopeChanged, scopeFail := st.scrubContainer(ss.Scope().Attributes(), locScope, ts)
			if scopeFail {
				n := int64(ss.Spans().Len())
				st.processed += n
				st.dropped[st.recReason] += n
				dropped += n
				return true
			}
			before := ss.Spans().Len()
			ss.Spans().RemoveIf(func(span ptrace.Span) bool {
				if st.record(func() { st.scrubSpan(span) }) {
					dropped++
					return true
				}
				st.markRecord(span.Attributes(), resChanged || scopeChanged, st.e.marker)
				return false
			})
			return before > 0 && ss.Spans().Len() == 0
		})
		return rs.ScopeSpans().Len() == 0 && dropped > 0
	})
	p.flush(ctx, st)
	if dropped > 0 && td.ResourceSpans().Len() == 0 {
		return td, processorhelper.ErrSkipProcessingData
	}
	return td, nil
}

func firstSpanTime(rs ptrace.ResourceSpans) uint64 {
	for i := 0; i < rs.ScopeSpans().Len(); i++ {
		if sp := rs.ScopeSpans().At(i).Spans(); sp.Len() > 0 {
			return uint64(sp.At(0).StartTimestamp())
		}
	}
	return 0
}

func (st *state) scrubSpan(span ptrace.Span) {
	st.setTime(uint64(span.StartTimestamp()))
	st.setKey("")
	st.loc = locSpanName
	if out, changed := st.scrubText(span.Name()); changed {
		span.SetName(out)
	}
	st.loc = locSpanAttr
	st.scrubAttrs(span.Attributes(), 0)
	if msg := span.Status().Message(); msg != "" {
		st.setKey("")
		st.loc = locStatus
		if out, changed := st.scrubText(msg); changed {
			span.Status().SetMessage(out)
		}
	}
	events := span.Events()
	for i := 0; i < events.Len(); i++ {
		ev := events.At(i)
		st.setKey("")
		st.loc = locEventName
		if out, changed := st.scrubText(ev.Name()); changed {
			ev.SetName(out)
		}
		st.loc = locEventAttr
		st.scrubAttrs(ev.Attributes(), 0)
	}
	links := span.Links()
	for i := 0; i < links.Len(); i++ {
		st.loc = locLinkAttr
		st.scrubAttrs(links.At(i).Attributes(), 0)
	}
}

func (p *scrubProcessor) processLogs(ctx context.Context, ld plog.Logs) (plog.Logs, error) {
	st := p.getState(sigLogs)
	dropped := int64(0)
	ld.ResourceLogs().RemoveIf(func(rl plog.ResourceLogs) bool {
		resChanged, resFail := st.scrubContainer(rl.Resource().Attributes(), locResource, firstLogTime(rl))
		if resFail {
			n := int64(0)
			for i := 0; i < rl.ScopeLogs().Len(); i++ {
				n += int64(rl.ScopeLogs().At(i).LogRecords().Len())
			}
			st.processed += n
			st.dropped[st.recReason] += n
			dropped += n
			return true
		}
		rl.ScopeLogs().RemoveIf(func(sl plog.ScopeLogs) bool {
			var ts uint64
			if sl.LogRecords().Len() > 0 {
				ts = logTime(sl.LogRecords().At(0))
			}
			scopeChanged, scopeFail := st.scrubContainer(sl.Scope().Attributes(), locScope, ts)
			if scopeFail {
				n := int64(sl.LogRecords().Len())
				st.processed += n
				st.dropped[st.recReason] += n
				dropped += n
				return true
			}
			before := sl.LogRecords().Len()
			sl.LogRecords().RemoveIf(func(lr plog.LogRecord) bool {
				if st.record(func() { st.scrubLog(lr) }) {
					dropped++
					return true
				}
				st.markRecord(lr.Attributes(), resChanged || scopeChanged, st.e.marker)
				return false
			})
			return before > 0 && sl.LogRecords().Len() == 0
		})
		return rl.ScopeLogs().Len() == 0 && dropped > 0
	})
	p.flush(ctx, st)
	if dropped > 0 && ld.ResourceLogs().Len() == 0 {
		return ld, processorhelper.ErrSkipProcessingData
	}
	return ld, nil
}

func logTime(lr plog.LogRecord) uint64 {
	if ts := lr.Timestamp(); ts != 0 {
		return uint64(ts)
	}
	return uint64(lr.ObservedTimestamp())
}

func firstLogTime(rl plog.ResourceLogs) uint64 {
	for i := 0; i < rl.ScopeLogs().Len(); i++ {
		if lrs := rl.ScopeLogs().At(i).LogRecords(); lrs.Len() > 0 {
			return logTime(lrs.At(0))
		}
	}
	return 0
}

func (st *state) scrubLog(lr plog.LogRecord) {
	st.setTime(logTime(lr))
	st.setKey("")
	st.loc = locLogBody
	body := lr.Body()
	st.deleteAttr = false
	st.scrubValue(body, 0)
	st.loc = locLogAttr
	st.scrubAttrs(lr.Attributes(), 0)
	if name := lr.EventName(); name != "" {
		st.setKey("")
		st.loc = locLogEventName
		if out, changed := st.scrubText(name); changed {
			lr.SetEventName(out)
		}
	}
}

func (p *scrubProcessor) processMetrics(ctx context.Context, md pmetric.Metrics) (pmetric.Metrics, error) {
	st := p.getState(sigMetrics)
	dropped := int64(0)
	md.ResourceMetrics().RemoveIf(func(rm pmetric.ResourceMetrics) bool {
		resChanged, resFail := st.scrubContainer(rm.Resource().Attributes(), locResource, firstMetricTime(rm))
		if resFail {
			n := int64(countDataPoints(rm))
			st.processed += n
			st.dropped[st.recReason] += n
			dropped += n
			return true
		}
		rm.ScopeMetrics().RemoveIf(func(sm pmetric.ScopeMetrics) bool {
			scopeChanged, scopeFail := st.scrubContainer(sm.Scope().Attributes(), locScope, firstScopeMetricTime(sm))
			if scopeFail {
				n := int64(0)
				for i := 0; i < sm.Metrics().Len(); i++ {
					n += int64(pmetricutil.DataPointCount(sm.Metrics().At(i)))
				}
				st.processed += n
				st.dropped[st.recReason] += n
				dropped += n
				return true
			}
			inherited := resChanged || scopeChanged
			sm.Metrics().RemoveIf(func(m pmetric.Metric) bool {
				before := pmetricutil.DataPointCount(m)
				d := st.scrubMetric(m, inherited)
				dropped += d
				return before > 0 && d == int64(before)
			})
			return false
		})
		return false
	})
	p.flush(ctx, st)
	return md, nil
}

func (st *state) scrubDataPoint(attrs pcommon.Map, ts pcommon.Timestamp, exemplars pmetric.ExemplarSlice, hasEx bool, inherited bool) bool {
	drop := st.record(func() {
		st.setTime(uint64(ts))
		st.loc = locDataPointAttr
		st.scrubAttrs(attrs, 0)
		if hasEx {
			st.loc = locExemplarAttr
			for i := 0; i < exemplars.Len(); i++ {
				st.scrubAttrs(exemplars.At(i).FilteredAttributes(), 0)
			}
		}
	})
	if !drop {
		st.markRecord(attrs, inherited, st.e.dataPointMarker)
	}
	return drop
}

// scrubMetric scrubs every data point of m and returns how many were dropped.
func (st *state) scrubMetric(m pmetric.Metric, inherited bool) int64 {
	var dropped int64
	switch m.Type() {
	case pmetric.MetricTypeGauge:
		m.Gauge().DataPoints().RemoveIf(func(dp pmetric.NumberDataPoint) bool {
			d := st.scrubDataPoint(dp.Attributes(), dp.Timestamp(), dp.Exemplars(), true, inherited)
			if d {
				dropped++
			}
			return d
		})
	case pmetric.MetricTypeSum:
		m.Sum().DataPoints().RemoveIf(func(dp pmetric.NumberDataPoint) bool {
			d := st.scrubDataPoint(dp.Attributes(), dp.Timestamp(), dp.Exemplars(), true, inherited)
			if d {
				dropped++
			}
			return d
		})
	case pmetric.MetricTypeHistogram:
		m.Histogram().DataPoints().RemoveIf(func(dp pmetric.HistogramDataPoint) bool {
			d := st.scrubDataPoint(dp.Attributes(), dp.Timestamp(), dp.Exemplars(), true, inherited)
			if d {
				dropped++
			}
			return d
		})
	case pmetric.MetricTypeExponentialHistogram:
		m.ExponentialHistogram().DataPoints().RemoveIf(func(dp pmetric.ExponentialHistogramDataPoint) bool {
			d := st.scrubDataPoint(dp.Attributes(), dp.Timestamp(), dp.Exemplars(), true, inherited)
			if d {
				dropped++
			}
			return d
		})
	case pmetric.MetricTypeSummary:
		m.Summary().DataPoints().RemoveIf(func(dp pmetric.SummaryDataPoint) bool {
			d := st.scrubDataPoint(dp.Attributes(), dp.Timestamp(), pmetric.ExemplarSlice{}, false, inherited)
			if d {
				dropped++
			}
			return d
		})
	}
	return dropped
}

func countDataPoints(rm pmetric.ResourceMetrics) int {
	n := 0
	for i := 0; i < rm.ScopeMetrics().Len(); i++ {
		ms := rm.ScopeMetrics().At(i).Metrics()
		for j := 0; j < ms.Len(); j++ {
			n += pmetricutil.DataPointCount(ms.At(j))
		}
	}
	return n
}

func firstMetricTime(rm pmetric.ResourceMetrics) uint64 {
	for i := 0; i < rm.ScopeMetrics().Len(); i++ {
		if ts := firstScopeMetricTime(rm.ScopeMetrics().At(i)); ts != 0 {
			return ts
		}
	}
	return 0
}

// firstScopeMetricTime is the timestamp of the first data point of the scope, or 0.
func firstScopeMetricTime(sm pmetric.ScopeMetrics) uint64 {
	for i := 0; i < sm.Metrics().Len(); i++ {
		m := sm.Metrics().At(i)
		switch m.Type() {
		case pmetric.MetricTypeGauge:
			if dps := m.Gauge().DataPoints(); dps.Len() > 0 {
				return uint64(dps.At(0).Timestamp())
			}
		case pmetric.MetricTypeSum:
			if dps := m.Sum().DataPoints(); dps.Len() > 0 {
				return uint64(dps.At(0).Timestamp())
			}
		case pmetric.MetricTypeHistogram:
			if dps := m.Histogram().DataPoints(); dps.Len() > 0 {
				return uint64(dps.At(0).Timestamp())
			}
		case pmetric.MetricTypeExponentialHistogram:
			if dps := m.ExponentialHistogram().DataPoints(); dps.Len() > 0 {
				return uint64(dps.At(0).Timestamp())
			}
		case pmetric.MetricTypeSummary:
			if dps := m.Summary().DataPoints(); dps.Len() > 0 {
				return uint64(dps.At(0).Timestamp())
			}
		}
	}
	return 0
}
