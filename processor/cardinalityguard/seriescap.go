package cardinalityguard // import "github.com/otelcol-warden/otelcol-warden/processor/cardinalityguard"

import "go.opentelemetry.io/collector/pdata/pmetric"

// OverflowAttribute marks the series that collects everything beyond a metric's series cap (OTel SDK convention).
const OverflowAttribute = "otel.metric.overflow"

var overflowPairHash = pairHash(keyHash(OverflowAttribute), 0x3b)

// seriesCapStep is step 5, the per-metric series cap (OTel SDK style): it admits the output
// series the label steps arrived at, or, beyond max_series_per_metric or
// state.max_tracked_series, sends the point to the budget's overflow series. It returns the
// output's admission (nil for the overflow series).
func (g *guard) seriesCapStep(mc *metricCtx, key, outHash uint64, rs *routeState) (decision, *admission) {
	b, p := mc.b, mc.b.policy
	d := decision{inKey: key, outKey: combine(mc.seriesBase, outHash)}
	if adm := b.admitted[d.outKey]; adm != nil {
		return d, adm
	}
	if (p.maxSeries == 0 || len(b.admitted) < p.maxSeries) && g.trackedSeries() < g.cfg.State.MaxTrackedSeries {
		adm := &admission{}
		b.admitted[d.outKey] = adm
		g.totalAdmitted++
		d.fresh = true
		return d, adm
	}
	// One overflow series per budget (scope, metric, rule) and metric type, whatever the
	// resource: it is a tracked series, itself bounded by max_tracked_series.
	rs.changed, rs.reason = true, reasonSeriesLimit
	d.overflow = true
	d.outKey = mc.overflow
	if mc.m.Type() != pmetric.MetricTypeSummary { // summaries never fold into it
		if _, ok := b.overflows[d.outKey]; !ok {
			if g.trackedSeries() >= g.cfg.State.MaxTrackedSeries {
				return decision{drop: reasonSeriesLimit}, nil
			}
			g.overflowSeries++
		}
		b.overflows[d.outKey] = g.clock
	}
	return d, nil
}

// trackedSeries counts the series state.max_tracked_series bounds: admitted and overflow.
func (g *guard) trackedSeries() int { return g.totalAdmitted + g.overflowSeries }
