package wardenstatus // import "github.com/otelcol-warden/otelcol-warden/extension/wardenstatus"

import (
	"fmt"
	"html/template"
)

// The cardinality section: cardinality_guard's report in Prometheus' /api/v1/status/tsdb shape
// (headStats, seriesCountByMetricName, labelValueCountByLabelName, ...) plus its own findings:
// the series admitted against the limit, the top metrics by series and labels by values, and
// which metrics had points folded and which labels were flagged.

// cardinalitySnapshot is what the section reads (processor/cardinalityguard/report.go).
type cardinalitySnapshot struct {
	Status string `json:"status"`
	Data   *struct {
		HeadStats struct {
			NumSeries     uint64 `json:"numSeries"`
			NumLabelPairs uint64 `json:"numLabelPairs"`
			SeriesLimit   uint64 `json:"seriesLimit"`
		} `json:"headStats"`
		SeriesCountByMetricName     []nameValue    `json:"seriesCountByMetricName"`
		LabelValueCountByLabelName  []nameValue    `json:"labelValueCountByLabelName"`
		SeriesCountByLabelValuePair []nameValue    `json:"seriesCountByLabelValuePair"`
		Flagged                     []labelFinding `json:"flagged"`
		Demand                      []labelFinding `json:"demand"`
		Folded                      []struct {
			Metric     string `json:"metric"`
			Scope      string `json:"scope"`
			Rule       string `json:"rule"`
			Series     uint64 `json:"series"`
			Limit      uint64 `json:"limit"`
			Folded     uint64 `json:"folded"`
			Overflowed uint64 `json:"overflowed"`
		} `json:"folded"`
	} `json:"data"`
}

type nameValue struct {
	Name  string `json:"name"`
	Value uint64 `json:"value"`
}

type labelFinding struct {
	Metric         string `json:"metric"`
	Scope          string `json:"scope"`
	Label          string `json:"label"`
	Sentinels      uint64 `json:"replacedBySentinel"`
	DistinctValues uint64 `json:"estimatedDistinctValues"`
	NewPerWindow   uint64 `json:"newValuesPerWindow"`
	Limit          uint64 `json:"limit"`
	Flagged        bool   `json:"flagged"`
}

type cardinalityView struct {
	NumSeries, NumLabelPairs, SeriesLimit uint64
	SeriesFill                            string
	SeriesChart, FoldedChart              template.HTML
	FoldedPoints, OverflowedPoints        uint64
	TopMetrics, TopLabels, TopPairs       []barRow
	Folded                                []foldedRow
	Labels                                []labelFinding
}

// barRow is a name, its count and the bar's width as a share of the list's largest.
type barRow struct {
	Name  string
	Value uint64
	Width string
}

type foldedRow struct {
	Metric, Scope, Rule               string
	Series, Limit, Folded, Overflowed uint64
}

func cardinalityViewOf(snapshot any, owner seriesOwner, past []collection) any {
	snap, ok := decodeAs[cardinalitySnapshot](snapshot)
	if !ok || snap.Data == nil {
		return nil
	}
	d := snap.Data
	v := &cardinalityView{
		NumSeries: d.HeadStats.NumSeries, NumLabelPairs: d.HeadStats.NumLabelPairs, SeriesLimit: d.HeadStats.SeriesLimit,
		SeriesFill: share(d.HeadStats.NumSeries, d.HeadStats.SeriesLimit),
		TopMetrics: bars(d.SeriesCountByMetricName), TopLabels: bars(d.LabelValueCountByLabelName),
		TopPairs: bars(d.SeriesCountByLabelValuePair),
	}
	for _, f := range d.Folded {
		v.FoldedPoints += f.Folded
		v.OverflowedPoints += f.Overflowed
		if f.Folded+f.Overflowed > 0 {
			v.Folded = append(v.Folded, foldedRow(f))
		}
	}
	since := pastHour(past)
	v.SeriesChart = sparkline("series admitted, last hour", sparkSeries{"out", levels(past, seriesKey{owner, "series"}, since)})
	v.FoldedChart = sparkline("points folded per interval, last hour", sparkSeries{"removed", perInterval(past, seriesKey{owner, "folded"}, since)})
	// Flagged labels first (they are dropped in auto mode), then the rest of the demand list.
	v.Labels = append(v.Labels, d.Flagged...)
	for _, l := range d.Demand {
		if !l.Flagged {
			v.Labels = append(v.Labels, l)
		}
	}
	return v
}

func bars(list []nameValue) []barRow {
	peak := uint64(1)
	for _, nv := range list {
		peak = max(peak, nv.Value)
	}
	out := make([]barRow, 0, len(list))
	for _, nv := range list {
		out = append(out, barRow{Name: nv.Name, Value: nv.Value, Width: barWidth(nv.Value, peak)})
	}
	return out
}

// barWidth is value's bar in a 0 to 100 wide SVG (inline styles are not allowed by the page's
// Content-Security-Policy, SVG attributes are).
func barWidth(value, peak uint64) string {
	if peak == 0 {
		return "0"
	}
	return fmt.Sprintf("%.1f", float64(value)*100/float64(peak))
}
