package cardinalityguard // import "github.com/otelcol-warden/otelcol-warden/processor/cardinalityguard"

import (
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
)

// output returns the re-aggregated series d folds into, creating it from g.scratch.
func (g *guard) output(mc *metricCtx, d decision, start, ts pcommon.Timestamp, full bool) *outputSeries {
	if d.overflow {
		return g.overflowOutput(mc, d, start, ts, full)
	}
	if mc.om == nil {
		omKey := mc.seriesBase
		mc.om = g.outputs[omKey]
		if mc.om == nil {
			mc.om = newOutputMetric(mc.res, mc.sc, mc.m, mc.b)
			g.outputs[omKey] = mc.om
		}
	}
	out := mc.om.series[d.outKey]
	if out != nil {
		out.lastSeen = g.clock
		if d.adm != nil {
			out.adm = d.adm
		}
		return out
	}
	out = &outputSeries{key: d.outKey, metric: mc.om, adm: d.adm, attrs: pcommon.NewMap(), lastSeen: g.clock, intValued: true}
	out.attrs.EnsureCapacity(len(g.scratch))
	for _, kv := range g.scratch {
		switch {
		case kv.removed:
		case kv.replaced:
			out.attrs.PutStr(kv.key, kv.repl)
		default:
			kv.val.CopyTo(out.attrs.PutEmpty(kv.key))
		}
	}
	if d.converted {
		out.converted, out.baselineInput, out.lastEmit = true, d.outKey, pcommon.Timestamp(d.adm.lastTs)
		out.seed = *d.adm
	}
	out.start = start
	if !full || start == 0 {
		out.start = ts
	}
	if d.converted && out.seed.hasValue && mc.om.typ == pmetric.MetricTypeSum && mc.om.cumulative() && mc.om.monotonic {
		// A pass-through counter taken over by a fold continues from its last value with its
		// start: Prometheus sees no reset (it could not tell one that does not go down).
		out.value, out.start = out.seed.lastValue, pcommon.Timestamp(out.seed.lastStart)
	} else if d.converted {
		out.start = ts // other types restart, which the new start time declares
	}
	mc.om.series[d.outKey] = out
	return out
}

// overflowOutput returns the budget's overflow series. Its output metric is keyed by the
// budget and metric identity, not by the resource: its resource carries only the scope
// attributes (scope.resource_attributes) and its instrumentation scope is empty, so
// high-cardinality resource attributes cannot multiply overflow series.
func (g *guard) overflowOutput(mc *metricCtx, d decision, start, ts pcommon.Timestamp, full bool) *outputSeries {
	om := g.outputs[d.outKey]
	if om == nil {
		res := pcommon.NewResource()
		for _, k := range g.cfg.Scope.ResourceAttributes {
			if v, ok := mc.res.Attributes().Get(k); ok {
				v.CopyTo(res.Attributes().PutEmpty(k))
			}
		}
		om = newOutputMetric(res, pcommon.NewInstrumentationScope(), mc.m, mc.b)
		g.outputs[d.outKey] = om
	}
	out := om.series[d.outKey]
	if out != nil {
		out.lastSeen = g.clock
		return out
	}
	out = &outputSeries{key: d.outKey, metric: om, attrs: pcommon.NewMap(), lastSeen: g.clock, intValued: true}
	out.attrs.PutBool(OverflowAttribute, true)
	out.start = start
	if !full || start == 0 {
		out.start = ts
	}
	om.series[d.outKey] = out
	return out
}

// inputFor returns the per-input state of a fold (nil when the type needs none), whether it
// is new, or a drop reason when the state table is full.
func (g *guard) inputFor(mc *metricCtx, out *outputSeries, d decision) (*inputState, bool, string) {
	om := out.metric
	if !om.needsInputState() {
		return nil, false, ""
	}
	in := g.inputs[d.inKey]
	if in != nil && in.out == out {
		in.lastSeen = g.clock
		return in, false, ""
	}
	if in == nil && len(g.inputs) >= g.cfg.State.MaxReaggregationInputs {
		return nil, false, reasonStateFull
	}
	if in != nil {
		// The input now maps to another output (its label was flagged, or a value aged out of
		// a limit): the old output keeps what it counted, the new one continues from the
		// input's last value, so no increase is lost or counted twice.
		g.detachInput(in)
		in.out, in.lastSeen = out, g.clock
		out.inputs++
		if sumsLatestValues(om) {
			out.value += in.last
			out.dirty = true
		}
		return in, false, ""
	}
	in = &inputState{out: out, lastSeen: g.clock}
	out.inputs++
	g.inputs[d.inKey] = in
	if out.converted && d.inKey == out.baselineInput && out.seed.hasValue &&
		om.typ == pmetric.MetricTypeSum && om.cumulative() && om.monotonic {
		// The series passed through until a fold took it over: continue from its last value.
		in.last, in.start, in.lastTs = out.seed.lastValue, pcommon.Timestamp(out.seed.lastStart), pcommon.Timestamp(out.seed.lastTs)
		return in, false, ""
	}
	return in, true, ""
}

// sumsLatestValues reports whether an output is the sum of the latest value of each live
// input (gauge sum, non-monotonic cumulative sum) rather than of increases.
func sumsLatestValues(om *outputMetric) bool {
	return (om.typ == pmetric.MetricTypeGauge && om.budget.policy.gauge == GaugeSum) ||
		(om.typ == pmetric.MetricTypeSum && om.cumulative() && !om.monotonic)
}

// detachInput removes an input from its output. Outputs that sum the latest value of each
// live input (gauge sum, non-monotonic cumulative sum) lose its contribution; monotonic
// outputs keep it, since a counter must never go down.
func (g *guard) detachInput(in *inputState) {
	out := in.out
	out.inputs--
	if sumsLatestValues(out.metric) {
		out.value -= in.last
		out.dirty = true
	}
}

// fold merges one point into its output. It returns a drop reason or "".
func (g *guard) fold(mc *metricCtx, d decision, start, ts pcommon.Timestamp, merge func(om *outputMetric, out *outputSeries, in *inputState, isNew, full bool) string) string {
	full := start != 0 && start >= g.startTime
	if in := d.in; in != nil {
		out := in.out
		mc.om = out.metric
		out.lastSeen, in.lastSeen = g.clock, g.clock
		return merge(out.metric, out, in, false, full)
	}
	out := g.output(mc, d, start, ts, full)
	in, isNew, reason := g.inputFor(mc, out, d)
	if reason != "" {
		return reason
	}
	if in != nil {
		var known bool
		in.reason, known = foldReasonIndex(d.reason)
		in.routed = known && d.cacheable && out.adm != nil && out.adm == d.adm
		in.epoch, in.checkedAt = mc.b.epoch, g.clock
	}
	if isNew {
		full = firstContribution(out, d.inKey, start, g.startTime)
	}
	return merge(out.metric, out, in, isNew, full)
}
