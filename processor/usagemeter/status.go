// Copyright otelcol-warden authors
// SPDX-License-Identifier: Apache-2.0

package usagemeter // import "github.com/otelcol-warden/otelcol-warden/processor/usagemeter"

import (
	"cmp"
	"math"
	"slices"
	"strings"
	"sync/atomic"

	"go.opentelemetry.io/collector/component"

	"github.com/otelcol-warden/otelcol-warden/internal/statusapi"
)

// Reasons records are refused for budget (the reason attribute of the dropped counter).
const (
	reasonBudget     = "budget_exceeded"
	reasonDailyQuota = "daily_quota_exceeded"
	reasonNewSeries  = "new_series_over_budget"
)

var removalReasons = []string{reasonBudget, reasonDailyQuota, reasonNewSeries}

// maxStatusTeams bounds the teams in a usage snapshot (top by bytes), well under the 1 MiB limit.
const maxStatusTeams = 200

type removedCounter struct{ items, bytes atomic.Int64 }

// UsageStatus is the snapshot usage_meter gives the warden_status extension (kind "usage"):
// lifetime usage per team and signal at this stage. Team names go through statusapi.ReportName,
// verbatim when configured (budgets, team_mapping, default_team).
type UsageStatus struct {
	Stage        string       `json:"stage"`
	Currency     string       `json:"currency,omitempty"`
	Teams        []TeamStatus `json:"teams"`
	TeamsOmitted int          `json:"teams_omitted,omitempty"`
}

// TeamStatus is one team's usage; EstimatedMonthlyCost is set when any of its signals is priced.
type TeamStatus struct {
	Team                 string         `json:"team"`
	Bytes                int64          `json:"bytes"`
	EstimatedMonthlyCost *float64       `json:"estimated_monthly_cost,omitempty"`
	Signals              []SignalStatus `json:"signals"`
}

// SignalStatus is one team's usage of one signal: records (spans, log records, data points) and
// framed OTLP bytes as they arrived, those refused for budget, the active-series estimate
// (metrics), the cost if priced and the budget's state if the team has one.
type SignalStatus struct {
	Signal               string        `json:"signal"`
	Records              int64         `json:"records"`
	Bytes                int64         `json:"bytes"`
	Dropped              int64         `json:"dropped"`
	ActiveSeries         *uint64       `json:"active_series,omitempty"`
	EstimatedMonthlyCost *float64      `json:"estimated_monthly_cost,omitempty"`
	Budget               *BudgetStatus `json:"budget,omitempty"`
}

// BudgetStatus is a budget's state as of its last once-a-second tick.
type BudgetStatus struct {
	Throttled   bool    `json:"throttled"`
	Utilization float64 `json:"utilization"`
}

func (m *meter) initStatus() {
	m.removed = make(map[string]*removedCounter, len(removalReasons))
	for _, r := range removalReasons {
		m.removed[r] = &removedCounter{}
	}
	m.configuredNames = map[string]struct{}{m.cfg.DefaultTeam: {}, OtherTeam: {}}
	for name := range m.cfg.Budgets {
		m.configuredNames[name] = struct{}{}
	}
	for _, name := range m.cfg.TeamMapping {
		m.configuredNames[name] = struct{}{}
	}
	m.unregisterStatus = func() {}
}

// countRemoved adds refused records to the summary's removals (reasons are the constants above).
func (m *meter) countRemoved(reason string, n, bytes int64) {
	if c, ok := m.removed[reason]; ok {
		c.items.Add(n)
		c.bytes.Add(bytes)
	}
}

// registerStatus offers both snapshots to warden_status (a no-op without it); m.mu is held, and
// neither snapshot takes it.
func (m *meter) registerStatus(host component.Host) {
	undoUsage := statusapi.Register(host, m.id, statusapi.KindUsage,
		statusapi.ProviderFunc(func() any { return m.usageStatus() }))
	undoSummary := statusapi.Register(host, m.id, statusapi.KindSummary,
		statusapi.ProviderFunc(func() any { return m.summaryStatus() }))
	m.unregisterStatus = func() { undoUsage(); undoSummary() }
}

// usageStatus reads the teams' atomic counters; the series estimate and rates take their own
// short locks.
func (m *meter) usageStatus() UsageStatus {
	st := UsageStatus{Stage: statusapi.ReportName(m.stage, nil), Teams: []TeamStatus{}}
	if m.cfg.Prices.LogsPerGB > 0 || m.cfg.Prices.SpansPerMillion > 0 || m.cfg.Prices.SeriesPerMonth > 0 {
		st.Currency = statusapi.ReportName(m.cfg.Prices.Currency, nil)
	}
	for _, t := range m.teams.all() {
		if ts, ok := m.teamStatus(t); ok {
			st.Teams = append(st.Teams, ts)
		}
	}
	slices.SortFunc(st.Teams, func(a, b TeamStatus) int {
		return cmp.Or(cmp.Compare(b.Bytes, a.Bytes), strings.Compare(a.Team, b.Team))
	})
	if len(st.Teams) > maxStatusTeams {
		st.TeamsOmitted = len(st.Teams) - maxStatusTeams
		st.Teams = st.Teams[:maxStatusTeams]
	}
	return st
}

func (m *meter) teamStatus(t *team) (TeamStatus, bool) {
	ts := TeamStatus{Team: statusapi.ReportName(t.name, m.configuredNames)}
	var cost float64
	priced := false
	for s := range signalCount {
		u := &t.usage[s]
		ss := SignalStatus{Signal: signal(s).String(), Records: u.records.Load(), Bytes: u.bytes.Load(), Dropped: u.dropped.Load()}
		if ss.Records == 0 {
			continue
		}
		if signal(s) == signalMetrics {
			n := t.series.estimate()
			ss.ActiveSeries = &n
		}
		if m.cfg.Prices.priced(signal(s)) {
			c := m.monthlyCost(t, signal(s))
			ss.EstimatedMonthlyCost = &c
			cost, priced = cost+c, true
		}
		if b := t.budgets[s]; b != nil {
			ss.Budget = &BudgetStatus{Throttled: b.throttled.Load(), Utilization: math.Float64frombits(b.utilization.Load())}
		}
		ts.Bytes += ss.Bytes
		ts.Signals = append(ts.Signals, ss)
	}
	if priced {
		ts.EstimatedMonthlyCost = &cost
	}
	return ts, len(ts.Signals) > 0
}

// summaryStatus: in is what arrived (all signals), removed what budgets refused, out the rest.
// Removals are read first: a batch counts its usage before its refusals, so in never lags them.
func (m *meter) summaryStatus() statusapi.Summary {
	var s statusapi.Summary
	var removedItems, removedBytes uint64
	for _, r := range removalReasons {
		c := m.removed[r]
		items, bytes := uint64(c.items.Load()), uint64(c.bytes.Load())
		if items > 0 {
			s.Removed = append(s.Removed, statusapi.Removal{Reason: r, Items: items, Bytes: bytes})
			removedItems += items
			removedBytes += bytes
		}
	}
	for _, t := range m.teams.all() {
		for i := range t.usage {
			s.In.Items += uint64(t.usage[i].records.Load())
			s.In.Bytes += uint64(t.usage[i].bytes.Load())
		}
	}
	s.Out = statusapi.Volume{Items: s.In.Items - min(removedItems, s.In.Items), Bytes: s.In.Bytes - min(removedBytes, s.In.Bytes)}
	return s
}
