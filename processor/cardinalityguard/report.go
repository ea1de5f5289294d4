package cardinalityguard // import "github.com/otelcol-warden/otelcol-warden/processor/cardinalityguard"

import (
	"cmp"
	"context"
	"encoding/json"
	"slices"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.uber.org/zap"
)

// Report is the periodic offenders report. Its "data" member has the shape of Prometheus'
// /api/v1/status/tsdb, so tools that read that endpoint read this too. Label values are
// never reported (they are the data, possibly personal): seriesCountByLabelValuePair stays
// empty, and the extra members name metrics and labels only. Metric names, label keys and
// scope values appear verbatim only when configured or safe, else as "hash:<8 hex>" (reportnames.go).
type Report struct {
	Status string     `json:"status"`
	Data   ReportData `json:"data"`
}

// ReportData mirrors the tsdb status payload, plus the guard's own findings.
type ReportData struct {
	HeadStats                   HeadStats   `json:"headStats"`
	SeriesCountByMetricName     []NameValue `json:"seriesCountByMetricName"`
	LabelValueCountByLabelName  []NameValue `json:"labelValueCountByLabelName"`
	MemoryInBytesByLabelName    []NameValue `json:"memoryInBytesByLabelName"`
	SeriesCountByLabelValuePair []NameValue `json:"seriesCountByLabelValuePair"`
	// Flagged are labels flagged by detection (dropped in auto mode).
	Flagged []LabelFinding `json:"flagged"`
	// Demand are the labels with the most estimated distinct values, including values beyond the limit.
	Demand []LabelFinding `json:"demand"`
	// Folded are the metrics with the most input points folded (re-aggregated or into overflow).
	Folded []MetricFinding `json:"folded"`
}

// HeadStats mirrors the tsdb headStats member.
type HeadStats struct {
	NumSeries     int `json:"numSeries"`
	NumLabelPairs int `json:"numLabelPairs"`
	// SeriesLimit is the sum of the per-metric caps of the tracked metrics.
	SeriesLimit int `json:"seriesLimit"`
}

// NameValue is one entry of a tsdb status list.
type NameValue struct {
	Name  string `json:"name"`
	Value uint64 `json:"value"`
}

// LabelFinding is one label of one metric.
type LabelFinding struct {
	Metric string `json:"metric"`
	Scope  string `json:"scope,omitempty"`
	Label  string `json:"label"`
	// Sentinels counts values replaced by __other__ since start.
	Sentinels      uint64 `json:"replacedBySentinel"`
	DistinctValues uint64 `json:"estimatedDistinctValues"`
	NewPerWindow   uint64 `json:"newValuesPerWindow"`
	Limit          int    `json:"limit"`
	Flagged        bool   `json:"flagged"`
}

// MetricFinding is one metric of one scope.
type MetricFinding struct {
	Metric     string `json:"metric"`
	Scope      string `json:"scope,omitempty"`
	Rule       string `json:"rule"`
	Series     int    `json:"series"`
	Limit      int    `json:"limit"`
	Folded     uint64 `json:"folded"`
	Overflowed uint64 `json:"overflowed"`
}

// bytesPerLabelValue estimates the guard's memory per admitted label value (map entry).
const bytesPerLabelValue = 40

// buildReport must be called with g.mu held.
func (g *guard) buildReport() *Report {
	topN := g.cfg.Report.TopN
	r := &Report{Status: "success"}
	r.Data.HeadStats.NumSeries = g.totalAdmitted
	seriesByMetric := map[string]uint64{}
	valuesByLabel := map[string]uint64{}
	var metrics []MetricFinding
	var labelsFound []LabelFinding
	for _, b := range g.budgets {
		series := len(b.admitted)
		seriesByMetric[b.reportName] += uint64(series)
		r.Data.HeadStats.SeriesLimit += b.policy.maxSeries
		metrics = append(metrics, MetricFinding{
			Metric: b.reportName, Scope: b.scope, Rule: b.policy.name, Series: series, Limit: b.policy.maxSeries,
			Folded: b.folded, Overflowed: b.overflowed,
		})
		for _, ls := range b.labels {
			if ls.denied {
				continue
			}
			r.Data.HeadStats.NumLabelPairs += len(ls.values)
			valuesByLabel[ls.reportKey] += uint64(len(ls.values))
			if ls.evaluated {
				labelsFound = append(labelsFound, LabelFinding{
					Metric: b.reportName, Scope: b.scope, Label: ls.reportKey, DistinctValues: ls.demand, Sentinels: ls.sentinels,
					NewPerWindow: ls.lastNew, Limit: b.policy.maxValues, Flagged: ls.flagged,
				})
			}
		}
	}
	r.Data.SeriesCountByMetricName = topNameValues(seriesByMetric, topN, 1)
	r.Data.LabelValueCountByLabelName = topNameValues(valuesByLabel, topN, 1)
	r.Data.MemoryInBytesByLabelName = topNameValues(valuesByLabel, topN, bytesPerLabelValue)
	r.Data.SeriesCountByLabelValuePair = []NameValue{}
	r.Data.Flagged = []LabelFinding{}
	for _, l := range labelsFound {
		if l.Flagged {
			r.Data.Flagged = append(r.Data.Flagged, l)
		}
	}
	slices.SortFunc(labelsFound, func(a, b LabelFinding) int { return cmp.Compare(b.DistinctValues, a.DistinctValues) })
	r.Data.Demand = append([]LabelFinding{}, labelsFound[:min(topN, len(labelsFound))]...)
	slices.SortFunc(metrics, func(a, b MetricFinding) int {
		return cmp.Or(cmp.Compare(b.Folded, a.Folded), cmp.Compare(b.Series, a.Series))
	})
	r.Data.Folded = append([]MetricFinding{}, metrics[:min(topN, len(metrics))]...)
	return r
}

func topNameValues(m map[string]uint64, n int, scale uint64) []NameValue {
	out := make([]NameValue, 0, len(m))
	for k, v := range m {
		out = append(out, NameValue{Name: k, Value: v * scale})
	}
	slices.SortFunc(out, func(a, b NameValue) int { return cmp.Or(cmp.Compare(b.Value, a.Value), cmp.Compare(a.Name, b.Name)) })
	return out[:min(n, len(out))]
}

// logReport builds the report, keeps it for the top-N gauges and logs it as JSON at INFO.
func (g *guard) logReport() {
	g.mu.Lock()
	r := g.buildReport()
	g.mu.Unlock()
	g.reportMu.Lock()
	g.lastReport = r
	g.reportMu.Unlock()
	b, err := json.Marshal(r)
	if err != nil {
		return
	}
	g.logger.Info("cardinality_guard report", zap.String("tsdb_status", string(b)))
}

// registerGauges wires the asynchronous self-metrics. They read counters under the state
// mutex (cheap) or the last report (top-N lists), never computing estimates themselves.
func (g *guard) registerGauges() error {
	tel := g.tel
	if err := tel.RegisterProcessorCardinalityGuardSeriesActiveCallback(func(_ context.Context, o metric.Int64Observer) error {
		g.mu.Lock()
		defer g.mu.Unlock()
		o.Observe(int64(g.totalAdmitted))
		return nil
	}); err != nil {
		return err
	}
	if err := tel.RegisterProcessorCardinalityGuardSeriesLimitCallback(func(_ context.Context, o metric.Int64Observer) error {
		g.mu.Lock()
		defer g.mu.Unlock()
		var limit int
		for _, b := range g.budgets {
			limit += b.policy.maxSeries
		}
		o.Observe(int64(limit))
		return nil
	}); err != nil {
		return err
	}
	if err := tel.RegisterProcessorCardinalityGuardStateEntriesCallback(func(_ context.Context, o metric.Int64Observer) error {
		g.mu.Lock()
		defer g.mu.Unlock()
		var outputs, values int
		for _, om := range g.outputs {
			outputs += len(om.series)
		}
		for _, b := range g.budgets {
			for _, ls := range b.labels {
				values += len(ls.values)
			}
		}
		o.Observe(int64(g.totalAdmitted), metric.WithAttributes(attribute.String("table", "admitted_series")))
		o.Observe(int64(len(g.inputs)), metric.WithAttributes(attribute.String("table", "reaggregation_inputs")))
		o.Observe(int64(outputs), metric.WithAttributes(attribute.String("table", "output_series")))
		o.Observe(int64(values), metric.WithAttributes(attribute.String("table", "label_values")))
		return nil
	}); err != nil {
		return err
	}
	if err := tel.RegisterProcessorCardinalityGuardTopSeriesCallback(func(_ context.Context, o metric.Int64Observer) error {
		g.reportMu.Lock()
		defer g.reportMu.Unlock()
		if g.lastReport != nil {
			for _, nv := range g.lastReport.Data.SeriesCountByMetricName {
				o.Observe(int64(nv.Value), metric.WithAttributes(attribute.String("metric_name", nv.Name)))
			}
		}
		return nil
	}); err != nil {
		return err
	}
	return tel.RegisterProcessorCardinalityGuardLabelDemandCallback(func(_ context.Context, o metric.Int64Observer) error {
		g.reportMu.Lock()
		defer g.reportMu.Unlock()
		if g.lastReport != nil {
			for _, l := range g.lastReport.Data.Demand {
				o.Observe(int64(l.DistinctValues), metric.WithAttributes(
					attribute.String("metric_name", l.Metric), attribute.String("label_key", l.Label)))
			}
		}
		return nil
	})
}

// record adds one batch's counts to the self-metrics.
func (g *guard) record(ctx context.Context, c *counts) {
	tel := g.tel
	tel.ProcessorCardinalityGuardDatapointsReceived.Add(ctx, int64(c.received))
	g.status.received.Add(int64(c.received))
	if c.emitted > 0 {
		tel.ProcessorCardinalityGuardDatapointsEmitted.Add(ctx, int64(c.emitted))
		g.status.emitted.Add(int64(c.emitted))
	}
	for reason, n := range c.folded.counts() {
		tel.ProcessorCardinalityGuardDatapointsFolded.Add(ctx, n, metric.WithAttributeSet(attribute.NewSet(attribute.String("reason", reason))))
		addReason(&g.status.folded, reason, n)
	}
	for reason, n := range c.dropped.counts() {
		tel.ProcessorCardinalityGuardDatapointsDropped.Add(ctx, n, metric.WithAttributeSet(attribute.NewSet(attribute.String("reason", reason))))
		addReason(&g.status.dropped, reason, n)
	}
}
