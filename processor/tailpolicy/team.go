// Copyright otelcol-warden authors
// SPDX-License-Identifier: Apache-2.0

package tailpolicy // import "github.com/otelcol-warden/otelcol-warden/processor/tailpolicy"

import (
	"context"
	"maps"
	"math"
	"slices"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.uber.org/zap"

	"github.com/otelcol-warden/otelcol-warden/internal/teamid"
)

// Per-team budgets (team_budgets): each budgeted team has its own scale for
// its probabilistic rules, driven by its own kept-span rate, so one noisy team
// never lowers another team's keep rate or changes its th.
//
// Teams are resolved with internal/teamid, the rules usage_meter counts by, so a budgeted
// team here is the team on the usage dashboards.

// noTeam is the team index of resources whose team has no budget.
const noTeam = -1

// teamBudget is one budgeted team's controller state; the workers read scale
// and add to the counters, control() swaps them once a second.
type teamBudget struct {
	name       string
	perSecond  float64
	scaleBits  atomic.Uint64 // float64 in (0, 1]
	keptFixed  atomic.Int64
	keptScaled atomic.Int64
	throttled  bool // control() only
}

func (t *teamBudget) scale() float64 { return math.Float64frombits(t.scaleBits.Load()) }

// teamBudgets resolves a resource's team and holds the budgeted teams.
type teamBudgets struct {
	resolver teamid.Resolver
	index    map[string]int
	teams    []*teamBudget
}

func newTeamBudgets(cfg TeamBudgetsConfig) *teamBudgets {
	if len(cfg.Teams) == 0 {
		return nil
	}
	tb := &teamBudgets{
		resolver: teamid.Resolver{Attributes: cfg.TeamAttributes, Mapping: cfg.TeamMapping, Default: cfg.DefaultTeam},
		index:    map[string]int{},
	}
	for _, name := range slices.Sorted(maps.Keys(cfg.Teams)) {
		t := &teamBudget{name: name, perSecond: cfg.Teams[name]}
		t.scaleBits.Store(math.Float64bits(1))
		tb.index[name] = len(tb.teams)
		tb.teams = append(tb.teams, t)
	}
	return tb
}

// teamOf returns the budget index of a resource's team, or noTeam.
func (tb *teamBudgets) teamOf(resource pcommon.Map) int32 {
	if tb == nil {
		return noTeam
	}
	if i, ok := tb.index[tb.resolver.Resolve(resource, nil)]; ok {
		return int32(i)
	}
	return noTeam
}

// teamScale is the scale of team's probabilistic rules (1 without a budget).
func (e *engine) teamScale(team int32) float64 {
	if team == noTeam || e.teams == nil {
		return 1
	}
	return e.teams.teams[team].scale()
}

// countTeamKept adds a kept trace's spans to its team's window.
func (e *engine) countTeamKept(team int32, probabilistic bool, spans int) {
	if team == noTeam || e.teams == nil {
		return
	}
	t := e.teams.teams[team]
	if probabilistic {
		t.keptScaled.Add(int64(spans))
	} else {
		t.keptFixed.Add(int64(spans))
	}
}

// controlTeams moves each team's scale toward its budget, as the global budget
// does, and logs the start and the end of a team's throttling once each.
func (p *tailPolicy) controlTeams(elapsed time.Duration) {
	if p.eng.teams == nil {
		return
	}
	for _, t := range p.eng.teams.teams {
		fixed, scaled := t.keptFixed.Swap(0), t.keptScaled.Swap(0)
		next := nextBudgetScale(t.perSecond, float64(fixed), float64(scaled), elapsed.Seconds(), t.scale())
		if next >= teamUnthrottleScale {
			// The halfway steps approach 1 only asymptotically.
			next = 1
		}
		t.scaleBits.Store(math.Float64bits(next))
		switch {
		case next < 1 && !t.throttled:
			t.throttled = true
			p.tb.ProcessorTailPolicyTeamThrottlings.Add(context.Background(), 1, metric.WithAttributes(attribute.String("team", t.name)))
			p.logger.Info("tail_policy: team over its span budget, scaling its probabilistic rules",
				zap.String("team", t.name), zap.Float64("spans_per_second", t.perSecond), zap.Float64("scale", next))
		case next == 1 && t.throttled:
			t.throttled = false
			p.logger.Info("tail_policy: team back within its span budget", zap.String("team", t.name))
		}
	}
}

const teamUnthrottleScale = 0.99
