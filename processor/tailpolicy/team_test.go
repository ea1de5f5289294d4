// Copyright otelcol-warden authors
// SPDX-License-Identifier: Apache-2.0

package tailpolicy

import (
	"testing"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/sampling"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/otel/attribute"
)

func withTeams(teams map[string]float64) func(*Config) {
	return func(c *Config) {
		c.TeamBudgets.Teams = teams
		c.TeamBudgets.TeamMapping = map[string]string{"shop-frontend": "quiet"}
	}
}

// keptByService groups the forwarded spans by their resource's service.name.
func keptByService(h *harness) map[string][]ptrace.Span {
	m := map[string][]ptrace.Span{}
	for _, td := range h.out {
		for i := 0; i < td.ResourceSpans().Len(); i++ {
			rs := td.ResourceSpans().At(i)
			svc, _ := rs.Resource().Attributes().Get("service.name")
			for j := 0; j < rs.ScopeSpans().Len(); j++ {
				spans := rs.ScopeSpans().At(j).Spans()
				for k := 0; k < spans.Len(); k++ {
					m[svc.Str()] = append(m[svc.Str()], spans.At(k))
				}
			}
		}
	}
	return m
}

// spreadRnd gives trace i of n a randomness spread evenly over [0, 2^56).
func spreadRnd(i, n int) uint64 { return uint64(i)*((1<<56)/uint64(n)) + 1 }

func sendRoots(h *harness, service string, first, n int, rnd func(int) uint64, err bool) {
	specs := make([]spanSpec, 0, n)
	for i := range n {
		specs = append(specs, spanSpec{trace: traceID(uint16(first+i), rnd(i)), id: 1, service: service, err: err})
	}
	h.send(specs...)
}

func thOf(t *testing.T, p float64) sampling.Threshold {
	th, err := sampling.ProbabilityToThresholdWithPrecision(max(p, sampling.MinSamplingProbability), thresholdPrecision)
	require.NoError(t, err)
	return th
}

func TestTeamBudgetScalesOnlyTheNoisyTeamsProbabilisticRules(t *testing.T) {
	h := newHarness(t, withTeams(map[string]float64{"noisy": 10, "quiet": 1000}))
	h.p.lastScale = h.clk.now // as Start does
	// Over budget: 300 kept default-rule spans a second for three seconds.
	next := 1
	for range 3 {
		sendRoots(h, "noisy", next, 300, func(int) uint64 { return keptRnd }, false)
		next += 300
		h.tick(time.Second)
		h.tick(2 * time.Second) // decision_delay
		h.p.control(h.clk.now)
	}
	noisy := h.p.eng.teams.teams[h.p.eng.teams.index["noisy"]]
	scale := noisy.scale()
	require.Less(t, scale, 1.0)
	require.Greater(t, scale, 0.0)
	assert.Equal(t, 1.0, h.p.eng.teams.teams[h.p.eng.teams.index["quiet"]].scale())
	assert.Equal(t, int64(1), h.counter("team_throttlings", attribute.String("team", "noisy")))
	assert.Equal(t, int64(0), h.counter("team_throttlings", attribute.String("team", "quiet")))
	h.out = nil

	const n = 2000
	defaultProb := h.p.cfg.Rules[len(h.p.cfg.Rules)-1].Probability
	scaledTh, plainTh := thOf(t, *defaultProb*scale), thOf(t, *defaultProb)
	wantNoisy, wantQuiet := 0, 0
	for i := range n {
		r := sampling.TraceIDToRandomness(traceID(0, spreadRnd(i, n)))
		if scaledTh.ShouldSample(r) {
			wantNoisy++
		}
		if plainTh.ShouldSample(r) {
			wantQuiet++
		}
	}
	t.Logf("noisy scale %.4f: th %s keeps %d of %d; quiet th %s keeps %d", scale, scaledTh.TValue(), wantNoisy, n, plainTh.TValue(), wantQuiet)
	require.Positive(t, wantNoisy)
	require.Less(t, wantNoisy, wantQuiet)

	rnd := func(i int) uint64 { return spreadRnd(i, n) }
	sendRoots(h, "noisy", 10_000, n, rnd, false)
	sendRoots(h, "shop-frontend", 20_000, n, rnd, false) // mapped to quiet
	sendRoots(h, "noisy", 30_000, 200, func(int) uint64 { return droppedRnd }, true)
	h.tick(3 * time.Second)
	got := keptByService(h)

	tests := []struct {
		name    string
		service string
		rule    string
		want    int
		th      string
	}{
		{"noisy team: fewer default keeps at the scaled th", "noisy", "default", wantNoisy, "ot=th:" + scaledTh.TValue()},
		{"noisy team: every error trace kept", "noisy", "errors", 200, "ot=th:0"},
		{"quiet team: keep rate and th unchanged", "shop-frontend", "default", wantQuiet, "ot=th:" + plainTh.TValue()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			count := 0
			for _, s := range got[tt.service] {
				if ruleOf(s) != tt.rule {
					continue
				}
				count++
				assert.Equal(t, tt.th, s.TraceState().AsRaw())
			}
			assert.Equal(t, tt.want, count)
		})
	}
	// The th on a kept span is what pkg/sampling derives from the scaled probability.
	for _, s := range got["noisy"] {
		if ruleOf(s) == "default" {
			w3c, err := sampling.NewW3CTraceState(s.TraceState().AsRaw())
			require.NoError(t, err)
			th, ok := w3c.OTelValue().TValueThreshold()
			require.True(t, ok)
			assert.Equal(t, scaledTh, th)
			assert.InDelta(t, *defaultProb*scale, th.Probability(), 1e-4)
			break
		}
	}
}

func TestTeamBudgetEndsThrottlingWhenTheTeamCalmsDown(t *testing.T) {
	h := newHarness(t, withTeams(map[string]float64{"noisy": 10}))
	h.p.lastScale = h.clk.now // as Start does
	sendRoots(h, "noisy", 1, 300, func(int) uint64 { return keptRnd }, false)
	h.tick(3 * time.Second)
	noisy := h.p.eng.teams.teams[0]
	h.p.control(h.clk.now)
	require.Less(t, noisy.scale(), 1.0)
	require.True(t, noisy.throttled)
	for range 20 {
		h.clk.advance(time.Second)
		h.p.control(h.clk.now)
	}
	assert.Equal(t, 1.0, noisy.scale())
	assert.False(t, noisy.throttled)
	assert.Equal(t, int64(1), h.counter("team_throttlings", attribute.String("team", "noisy")))
}

func TestTeamResolutionFollowsUsageMeterRules(t *testing.T) {
	tb := newTeamBudgets(TeamBudgetsConfig{
		TeamAttributes: []string{"k8s.namespace.name", "service.namespace", "service.name"},
		TeamMapping:    map[string]string{"shop-prod": "shop"},
		DefaultTeam:    "unattributed",
		Teams:          map[string]float64{"shop": 1, "pay": 1, "unattributed": 1},
	})
	tests := []struct {
		name  string
		attrs map[string]any
		want  string
	}{
		{"namespace mapped", map[string]any{"k8s.namespace.name": "shop-prod", "service.name": "pay"}, "shop"},
		{"namespace first", map[string]any{"k8s.namespace.name": "pay", "service.name": "shop"}, "pay"},
		{"non-string skipped", map[string]any{"k8s.namespace.name": int64(3), "service.namespace": "pay"}, "pay"},
		{"personal-data shape skipped", map[string]any{"service.namespace": "5551234567", "service.name": "shop"}, "shop"},
		{"invalid skipped", map[string]any{"service.namespace": "a/../b", "service.name": "pay"}, "pay"},
		{"default team", map[string]any{}, "unattributed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := ptrace.NewResourceSpans().Resource()
			require.NoError(t, res.Attributes().FromRaw(tt.attrs))
			assert.Equal(t, tt.want, tb.resolver.Resolve(res.Attributes(), nil))
			assert.Equal(t, int32(tb.index[tt.want]), tb.teamOf(res.Attributes()))
		})
	}
	assert.Equal(t, int32(noTeam), (*teamBudgets)(nil).teamOf(ptrace.NewResourceSpans().Resource().Attributes()))
}

func TestTeamBudgetsValidateNamesTheKey(t *testing.T) {
	tests := []struct {
		name string
		cfg  TeamBudgetsConfig
		want string
	}{
		{"disabled is valid", TeamBudgetsConfig{}, ""},
		{"zero budget", TeamBudgetsConfig{TeamAttributes: []string{"service.name"}, DefaultTeam: "x", Teams: map[string]float64{"shop": 0}}, "teams::shop: spans per second must be positive"},
		{"bad team name", TeamBudgetsConfig{TeamAttributes: []string{"service.name"}, DefaultTeam: "x", Teams: map[string]float64{"a/b": 1}}, `teams::a/b: "a/b" is not a valid team`},
		{"bad mapping", TeamBudgetsConfig{TeamAttributes: []string{"service.name"}, DefaultTeam: "x", TeamMapping: map[string]string{"ns": ""}, Teams: map[string]float64{"shop": 1}}, "team_mapping::ns"},
		{"no attributes", TeamBudgetsConfig{DefaultTeam: "x", Teams: map[string]float64{"shop": 1}}, "team_attributes: at least one"},
		{"bad default", TeamBudgetsConfig{TeamAttributes: []string{"service.name"}, Teams: map[string]float64{"shop": 1}}, "default_team"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			if tt.want == "" {
				assert.NoError(t, err)
				return
			}
			assert.ErrorContains(t, err, tt.want)
		})
	}
}
