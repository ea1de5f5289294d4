// Copyright otelcol-warden authors
// SPDX-License-Identifier: Apache-2.0

package usagemeter

import (
	"fmt"
	"strings"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"go.opentelemetry.io/collector/pdata/pcommon"

	"github.com/otelcol-warden/otelcol-warden/internal/teamid"
	"github.com/otelcol-warden/otelcol-warden/internal/tenantid"
)

func TestResolveTeam(t *testing.T) {
	cfg := createDefaultConfig().(*Config)
	cfg.TeamMapping = map[string]string{"shop-prod": "shop", "checkout": "payments"}
	r := &teamid.Resolver{Attributes: cfg.TeamAttributes, Mapping: cfg.TeamMapping, Default: cfg.DefaultTeam}
	tests := []struct {
		name     string
		resource map[string]any
		want     string
		rejected map[tenantid.Reason]int64
	}{
		{"namespace first", map[string]any{"k8s.namespace.name": "billing", "service.namespace": "x", "service.name": "y"}, "billing", nil},
		{"service.namespace when no k8s namespace", map[string]any{"service.namespace": "search", "service.name": "y"}, "search", nil},
		{"service.name last", map[string]any{"service.name": "frontend"}, "frontend", nil},
		{"nothing: default team", map[string]any{"host.name": "node-1"}, "unattributed", nil},
		{"empty resource: default team", map[string]any{}, "unattributed", nil},
		{"mapped namespace", map[string]any{"k8s.namespace.name": "shop-prod"}, "shop", nil},
		{"mapping applies to any attribute", map[string]any{"service.name": "checkout"}, "payments", nil},
		{"mapping may name values that are not valid teams", map[string]any{"k8s.namespace.name": "shop-prod"}, "shop", nil},
		{"invalid value falls through", map[string]any{"k8s.namespace.name": "a b", "service.name": "cart"}, "cart", map[tenantid.Reason]int64{tenantid.InvalidCharacters: 1}},
		{"e-mail never becomes a team", map[string]any{"service.name": "jane.doe@example.com"}, "unattributed", map[tenantid.Reason]int64{tenantid.InvalidCharacters: 1}},
		{"ip address never becomes a team", map[string]any{"service.namespace": "10.1.2.3", "service.name": "api"}, "api", map[tenantid.Reason]int64{teamid.PersonalData: 1}},
		{"ipv6 address never becomes a team", map[string]any{"service.name": "fe80::1"}, "unattributed", map[tenantid.Reason]int64{tenantid.InvalidCharacters: 1}},
		{"phone number never becomes a team", map[string]any{"service.name": "+14155550123"}, "unattributed", map[tenantid.Reason]int64{tenantid.InvalidCharacters: 1}},
		{"long digit run never becomes a team", map[string]any{"service.name": "user-4111111111111111"}, "unattributed", map[tenantid.Reason]int64{teamid.PersonalData: 1}},
		{"short digit runs are fine", map[string]any{"service.name": "team-2026-v2"}, "team-2026-v2", nil},
		{"wrong type falls through", map[string]any{"k8s.namespace.name": int64(7), "service.name": "cart"}, "cart", map[tenantid.Reason]int64{tenantid.WrongType: 1}},
		{"header injection refused", map[string]any{"service.name": "a\r\nX-Scope-OrgID: admin"}, "unattributed", map[tenantid.Reason]int64{tenantid.InvalidCharacters: 1}},
		{"too long refused", map[string]any{"service.name": strings.Repeat("a", 151)}, "unattributed", map[tenantid.Reason]int64{tenantid.TooLong: 1}},
		{"empty refused", map[string]any{"k8s.namespace.name": "", "service.name": "cart"}, "cart", map[tenantid.Reason]int64{tenantid.Empty: 1}},
		{"path segment refused", map[string]any{"service.name": ".."}, "unattributed", map[tenantid.Reason]int64{tenantid.UnsafePathSegment: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := pcommon.NewMap()
			assert.NoError(t, res.FromRaw(tt.resource))
			var rejected [teamid.ReasonCount]int64
			assert.Equal(t, tt.want, r.Resolve(res, &rejected))
			var want [teamid.ReasonCount]int64
			for k, v := range tt.rejected {
				want[k] = v
			}
			assert.Equal(t, want, rejected)
		})
	}
}

func TestTeamTableIsBoundedByMaxTeams(t *testing.T) {
	cfg := createDefaultConfig().(*Config)
	cfg.MaxTeams = 3
	cfg.Budgets = map[string]TeamBudget{"payments": {Logs: &SignalBudget{DailyBytes: 1}}}
	m := newMeter(testID("bounded"), cfg, nil)
	// default_team and the budgeted team are admitted at start and count against max_teams.
	assert.Equal(t, "unattributed", m.teams.get("unattributed").name)
	assert.Equal(t, "payments", m.teams.get("payments").name)
	assert.Equal(t, "search", m.teams.get("search").name)
	for i := range 10 {
		assert.Equal(t, OtherTeam, m.teams.get(fmt.Sprintf("team-%d", i)).name)
	}
	assert.Equal(t, "search", m.teams.get("search").name, "admitted teams keep their entry")
	assert.Len(t, m.teams.all(), 4, "three teams and __other__")
}

func TestTeamTableDoesNotRetainBatchMemory(t *testing.T) {
	m := newMeter(testID("clone"), createDefaultConfig().(*Config), nil)
	buf := []byte("orders")
	name := string(buf)
	got := m.teams.get(name)
	assert.Equal(t, "orders", got.name)
	assert.NotSame(t, unsafe.StringData(name), unsafe.StringData(got.name), "the team name must be a copy")
}
