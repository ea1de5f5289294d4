// Copyright otelcol-warden authors
// SPDX-License-Identifier: Apache-2.0

package usagemeter // import "github.com/otelcol-warden/otelcol-warden/processor/usagemeter"

import (
	"net/netip"
	"strings"
	"sync"

	"go.opentelemetry.io/collector/pdata/pcommon"

	"github.com/otelcol-warden/otelcol-warden/internal/tenantid"
)

// Team values are label values on the collector's own metrics and names in its log, so on top of
// the tenant rules (tenantid: no header, path or label injection) a value shaped like personal
// data is refused: an IP address, or a run of 7 or more digits (phone, card and account numbers,
// numeric user IDs). Namespaces and service names never look like that.
const (
	reasonPersonalData = tenantid.ReasonCount + iota
	teamReasonCount
)

type teamReason = tenantid.Reason

var teamReasonNames = [teamReasonCount]string{
	"", "empty", "too_long", "invalid_characters", "unsafe_path_segment", "wrong_type", "looks_like_personal_data",
}

const maxDigitRun = 6

// validateTeam returns tenantid.OK when team can be used as a label value.
func validateTeam(team string) teamReason {
	if r := tenantid.Validate(team); r != tenantid.OK {
		return r
	}
	run := 0
	for i := 0; i < len(team); i++ {
		if c := team[i]; c >= '0' && c <= '9' {
			if run++; run > maxDigitRun {
				return reasonPersonalData
			}
		} else {
			run = 0
		}
	}
	if strings.ContainsAny(team, ".:") {
		if _, err := netip.ParseAddr(team); err == nil {
			return reasonPersonalData
		}
	}
	return tenantid.OK
}

// teamResolver finds the team of a resource: the first of the configured attributes that is a
// string and is mapped or valid; else the default team. It holds no state.
type teamResolver struct {
	keys        []string
	mapping     map[string]string
	defaultTeam string
}

func newTeamResolver(cfg *Config) *teamResolver {
	return &teamResolver{keys: cfg.TeamAttributes, mapping: cfg.TeamMapping, defaultTeam: cfg.DefaultTeam}
}

// resolve returns the team of a resource; rejected values are counted in rejected and the next
// attribute is tried, so an invalid value never becomes a label.
func (r *teamResolver) resolve(resource pcommon.Map, rejected *[teamReasonCount]int64) string {
	for _, key := range r.keys {
		v, ok := resource.Get(key)
		if !ok {
			continue
		}
		if v.Type() != pcommon.ValueTypeStr {
			rejected[tenantid.WrongType]++
			continue
		}
		s := v.Str()
		if team, mapped := r.mapping[s]; mapped {
			return team
		}
		if reason := validateTeam(s); reason != tenantid.OK {
			rejected[reason]++
			continue
		}
		return s
	}
	return r.defaultTeam
}

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
