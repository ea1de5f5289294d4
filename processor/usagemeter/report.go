// Copyright otelcol-warden authors
// SPDX-License-Identifier: Apache-2.0

package usagemeter // import "github.com/otelcol-warden/otelcol-warden/processor/usagemeter"

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"go.uber.org/zap"
)

// teamLine is one team's usage of one signal in the report.
type teamLine struct {
	team           string
	records, bytes int64
	otherStages    []stageUsage // same team at the other usage_meter instances (e.g. exported)
	cost           float64
}

type stageUsage struct {
	stage string
	bytes int64
}

// logReport writes the usage report: per signal, the top teams by volume at this stage with the
// same teams at the other stages of this collector (received vs exported) and the share of the
// top 20% of teams; then the top teams by estimated monthly cost when prices are set. Team names
// are validated label values; nothing from the records themselves is logged.
func (m *meter) logReport(now time.Time) {
	others := allMeters()
	slices.SortFunc(others, func(a, b *meter) int { return strings.Compare(a.stage, b.stage) })
	fields := []zap.Field{zap.String("stage", m.stage)}
	costs := map[string]float64{}
	for s := range signalCount {
		lines := m.signalLines(signal(s), others)
		if len(lines) == 0 {
			continue
		}
		for _, l := range lines {
			costs[l.team] += l.cost
		}
		slices.SortFunc(lines, func(a, b teamLine) int { return cmp.Or(cmp.Compare(b.bytes, a.bytes), strings.Compare(a.team, b.team)) })
		fields = append(fields,
			zap.Strings(signal(s).String()+"_top_by_volume", m.formatLines(lines[:min(len(lines), m.cfg.Report.TopN)])),
			zap.String(signal(s).String()+"_top_20pct_share", fmt.Sprintf("%.1f%%", 100*topShare(lines))))
	}
	if m.cfg.Prices.LogsPerGB > 0 || m.cfg.Prices.SpansPerMillion > 0 || m.cfg.Prices.SeriesPerMonth > 0 {
		fields = append(fields, zap.Strings("top_by_estimated_monthly_cost", m.formatCosts(costs)))
	}
	m.logger.Info("usage_meter: usage report", fields...)
}

func (m *meter) signalLines(s signal, all []*meter) []teamLine {
	var lines []teamLine
	for _, t := range m.teams.all() {
		u := &t.usage[s]
		l := teamLine{team: t.name, records: u.records.Load(), bytes: u.bytes.Load()}
		if l.records == 0 {
			continue
		}
		if m.cfg.Prices.priced(s) {
			l.cost = m.monthlyCost(t, s)
		}
		for _, o := range all {
			if o == m {
				continue
			}
			o.teams.mu.RLock()
			ot, ok := o.teams.teams[t.name]
			o.teams.mu.RUnlock()
			if ok {
				l.otherStages = append(l.otherStages, stageUsage{o.stage, ot.usage[s].bytes.Load()})
			}
		}
		lines = append(lines, l)
	}
	return lines
}

func (m *meter) formatLines(lines []teamLine) []string {
	out := make([]string, 0, len(lines))
	for _, l := range lines {
		var b strings.Builder
		fmt.Fprintf(&b, "%s: %d records, %s at %s", l.team, l.records, humanBytes(l.bytes), m.stage)
		for _, o := range l.otherStages {
			fmt.Fprintf(&b, ", %s at %s", humanBytes(o.bytes), o.stage)
			if l.bytes > 0 {
				fmt.Fprintf(&b, " (%+.0f%%)", 100*(float64(o.bytes)-float64(l.bytes))/float64(l.bytes))
			}
		}
		out = append(out, b.String())
	}
	return out
}

func (m *meter) formatCosts(costs map[string]float64) []string {
	teams := sortedKeys(costs)
	slices.SortStableFunc(teams, func(a, b string) int { return cmp.Compare(costs[b], costs[a]) })
	cur := m.cfg.Prices.Currency
	out := make([]string, 0, m.cfg.Report.TopN)
	for _, t := range teams[:min(len(teams), m.cfg.Report.TopN)] {
		out = append(out, fmt.Sprintf("%s: %.2f %s/month", t, costs[t], cur))
	}
	return out
}

// topShare is the share of the bytes sent by the top 20% of teams (at least one team); lines are
// sorted by bytes, descending.
func topShare(lines []teamLine) float64 {
	var total, top int64
	n := int(math.Ceil(float64(len(lines)) * 0.2))
	for i, l := range lines {
		total += l.bytes
		if i < n {
			top += l.bytes
		}
	}
	if total == 0 {
		return 0
	}
	return float64(top) / float64(total)
}

func humanBytes(n int64) string {
	const unit = 1000
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for v := n / unit; v >= unit; v /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %cB", float64(n)/float64(div), "kMGTPE"[exp])
}
