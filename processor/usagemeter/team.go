// Copyright otelcol-warden authors
// SPDX-License-Identifier: Apache-2.0

package usagemeter // import "github.com/otelcol-warden/otelcol-warden/processor/usagemeter"

import (
	"strings"
	"sync"
)

// teamTable is the bounded set of teams an instance has seen, shared by its three signals. Teams
// named in the configuration (default_team, budgets) are admitted at start; the first max_teams
// others get their own entry, later ones share __other__. Entries are never evicted, so a team's
// counters stay monotonic for the life of the collector.
type teamTable struct {
	mu    sync.RWMutex
	teams map[string]*team
	max   int
	other *team
	// order lists teams in admission order, for stable iteration in callbacks and reports.
	order   []*team
	newTeam func(name string) *team
}

func newTeamTable(maxTeams int, preset []string, newTeam func(string) *team) *teamTable {
	t := &teamTable{teams: map[string]*team{}, max: maxTeams, newTeam: newTeam}
	t.other = newTeam(OtherTeam)
	for _, name := range preset {
		t.admit(name)
	}
	t.order = append(t.order, t.other)
	return t
}

// get returns the entry of a team, admitting it while there is room.
func (t *teamTable) get(name string) *team {
	t.mu.RLock()
	tm, ok := t.teams[name]
	t.mu.RUnlock()
	if ok {
		return tm
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if tm, ok := t.teams[name]; ok {
		return tm
	}
	if len(t.teams) >= t.max {
		return t.other
	}
	// Clone: name may point into a batch's memory, which must not be retained.
	return t.admit(strings.Clone(name))
}

func (t *teamTable) admit(name string) *team {
	if tm, ok := t.teams[name]; ok {
		return tm
	}
	tm := t.newTeam(name)
	t.teams[name] = tm
	t.order = append(t.order, tm)
	return tm
}

// all returns the teams in admission order (__other__ among them).
func (t *teamTable) all() []*team {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return append([]*team(nil), t.order...)
}
