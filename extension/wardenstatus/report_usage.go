package wardenstatus // import "github.com/otelcol-warden/otelcol-warden/extension/wardenstatus"

import (
	"fmt"
	"sort"
	"strings"
)

// The usage section: one table over every usage_meter stage (received, exported, ...), a row per
// team with its records and bytes at each stage, so what arrived and what left sit side by side,
// the estimated monthly cost where a stage is priced, and the budget state. Stages are ordered by
// their records, most first (what arrives is at least what leaves).

// usageSnapshot is what the section reads (processor/usagemeter/status.go UsageStatus).
type usageSnapshot struct {
	Stage    string `json:"stage"`
	Currency string `json:"currency"`
	Teams    []struct {
		Team                 string   `json:"team"`
		Bytes                uint64   `json:"bytes"`
		EstimatedMonthlyCost *float64 `json:"estimated_monthly_cost"`
		Signals              []struct {
			Signal  string `json:"signal"`
			Records uint64 `json:"records"`
			Dropped uint64 `json:"dropped"`
			Budget  *struct {
				Throttled   bool    `json:"throttled"`
				Utilization float64 `json:"utilization"`
			} `json:"budget"`
		} `json:"signals"`
	} `json:"teams"`
	TeamsOmitted int `json:"teams_omitted"`
}

type usageView struct {
	Stages   []string
	Teams    []teamRow
	Currency string
	Priced   bool
	Omitted  int
}

type teamRow struct {
	Team      string
	Cells     []usageCell // one per stage, in Stages' order
	Cost      string
	Dropped   uint64
	Budget    string // "", "ok 45%" or "throttled 103%"
	BudgetBad bool
}

type usageCell struct {
	Stage          string
	Records, Bytes uint64
}

type teamAcc struct {
	cells             map[string]*usageCell
	cost              float64
	priced, hasBudget bool
	throttled         bool
	utilization       float64
	dropped           uint64
}

// usageBlocks merges every usage provider into one block (errors get their own).
func usageBlocks(snaps []providerSnapshot) []blockView {
	var blocks []blockView
	var good []usageSnapshot
	var raw []any
	for _, ps := range snaps {
		snap, ok := decodeAs[usageSnapshot](ps.Snapshot)
		switch {
		case ps.Error != "":
			blocks = append(blocks, blockView{Key: fmt.Sprintf("%s#%d", ps.Component, ps.Instance), Title: ps.Component, Error: ps.Error})
		case !ok || snap.Teams == nil:
			blocks = append(blocks, blockView{Key: fmt.Sprintf("%s#%d", ps.Component, ps.Instance), Title: ps.Component, Body: renderValue(ps.Snapshot)})
		default:
			good = append(good, snap)
			raw = append(raw, ps.Snapshot)
		}
	}
	if len(good) == 0 {
		return blocks
	}
	v := usageViewOf(good)
	merged := blockView{Key: "usage", Title: "usage_meter: " + strings.Join(v.Stages, " → "), Body: renderReport("report-usage", v, raw)}
	return append([]blockView{merged}, blocks...)
}

func usageViewOf(snaps []usageSnapshot) *usageView {
	v := &usageView{}
	stageRecords := map[string]uint64{}
	teams := map[string]*teamAcc{}
	for _, s := range snaps {
		if s.Currency != "" {
			v.Currency = s.Currency
		}
		v.Omitted = max(v.Omitted, s.TeamsOmitted)
		if _, seen := stageRecords[s.Stage]; !seen {
			v.Stages = append(v.Stages, s.Stage)
		}
		for _, t := range s.Teams {
			acc := teams[t.Team]
			if acc == nil {
				acc = &teamAcc{cells: map[string]*usageCell{}}
				teams[t.Team] = acc
			}
			cell := acc.cells[s.Stage]
			if cell == nil {
				cell = &usageCell{Stage: s.Stage}
				acc.cells[s.Stage] = cell
			}
			cell.Bytes += t.Bytes
			if t.EstimatedMonthlyCost != nil {
				acc.cost, acc.priced, v.Priced = acc.cost+*t.EstimatedMonthlyCost, true, true
			}
			for _, sig := range t.Signals {
				cell.Records += sig.Records
				stageRecords[s.Stage] += sig.Records
				acc.dropped += sig.Dropped
				if sig.Budget != nil {
					acc.hasBudget = true
					acc.throttled = acc.throttled || sig.Budget.Throttled
					acc.utilization = max(acc.utilization, sig.Budget.Utilization)
				}
			}
		}
	}
	sort.SliceStable(v.Stages, func(i, j int) bool { return stageRecords[v.Stages[i]] > stageRecords[v.Stages[j]] })
	for name, acc := range teams {
		v.Teams = append(v.Teams, acc.row(name, v.Stages))
	}
	sort.Slice(v.Teams, func(i, j int) bool {
		a, b := v.Teams[i].Cells[0].Bytes, v.Teams[j].Cells[0].Bytes
		if a != b {
			return a > b
		}
		return v.Teams[i].Team < v.Teams[j].Team
	})
	return v
}

func (acc *teamAcc) row(name string, stages []string) teamRow {
	r := teamRow{Team: name, Dropped: acc.dropped}
	for _, st := range stages {
		if c := acc.cells[st]; c != nil {
			r.Cells = append(r.Cells, *c)
		} else {
			r.Cells = append(r.Cells, usageCell{Stage: st})
		}
	}
	if acc.priced {
		r.Cost = fmt.Sprintf("%.2f", acc.cost)
	}
	if acc.hasBudget {
		state := "ok"
		if acc.throttled {
			state, r.BudgetBad = "throttled", true
		}
		r.Budget = fmt.Sprintf("%s %.0f%%", state, acc.utilization*100)
	}
	return r
}
