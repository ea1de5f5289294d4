// Copyright otelcol-warden authors
// SPDX-License-Identifier: Apache-2.0

package usagemeter

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap/confmaptest"

	"github.com/otelcol-warden/otelcol-warden/processor/usagemeter/internal/metadata"
)

func loadConfig(t *testing.T, name string) *Config {
	t.Helper()
	cm, err := confmaptest.LoadConf(filepath.Join("testdata", "config.yaml"))
	require.NoError(t, err)
	sub, err := cm.Sub(component.NewIDWithName(metadata.Type, name).String())
	require.NoError(t, err)
	cfg := createDefaultConfig().(*Config)
	require.NoError(t, sub.Unmarshal(cfg))
	return cfg
}

func TestUnmarshalDefaultConfig(t *testing.T) {
	cfg := loadConfig(t, "")
	assert.Equal(t, createDefaultConfig(), cfg)
	assert.NoError(t, cfg.Validate())
	assert.Equal(t, []string{"k8s.namespace.name", "service.namespace", "service.name"}, cfg.TeamAttributes)
	assert.Equal(t, "WARN", cfg.KeepSeverity)
}

func TestUnmarshalConfig(t *testing.T) {
	cfg := loadConfig(t, "received")
	require.NoError(t, cfg.Validate())
	want := &Config{
		TeamAttributes: []string{"k8s.namespace.name", "service.name"},
		TeamMapping:    map[string]string{"shop-prod": "shop", "shop-staging": "shop"},
		DefaultTeam:    "platform",
		MaxTeams:       50,
		Series:         SeriesConfig{Window: 30 * time.Minute, Buckets: 3, MaxTrackedPerTeam: 5000},
		Prices:         PricesConfig{LogsPerGB: 0.5, SpansPerMillion: 1.7, SeriesPerMonth: 0.008, Currency: "USD"},
		Report:         ReportConfig{Interval: 10 * time.Minute, TopN: 3},
		KeepSeverity:   "ERROR",
		Budgets: map[string]TeamBudget{"checkout": {
			Logs:    &SignalBudget{BytesPerSecond: 50000, BurstBytes: 200000},
			Metrics: &SignalBudget{DailyBytes: 1_000_000_000},
			Traces:  &SignalBudget{BytesPerSecond: 100000, BurstBytes: 400000, DailyBytes: 5_000_000_000},
		}},
	}
	assert.Equal(t, want, cfg)
}

func TestUnmarshalInvalidConfigNamesTheKey(t *testing.T) {
	assert.ErrorContains(t, loadConfig(t, "bad_team").Validate(), `default_team: "jane@example.com" is not a valid team (invalid_characters)`)
	assert.ErrorContains(t, loadConfig(t, "bad_budget").Validate(), `budgets["checkout"].logs.burst_bytes: must be set with bytes_per_second`)
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name   string
		modify func(*Config)
		want   string
	}{
		{"defaults are valid", func(*Config) {}, ""},
		{"no team attributes", func(c *Config) { c.TeamAttributes = nil }, "team_attributes: at least one attribute is required"},
		{"empty team attribute", func(c *Config) { c.TeamAttributes = []string{"a", ""} }, "team_attributes[1]: must not be empty"},
		{"empty default team", func(c *Config) { c.DefaultTeam = "" }, `default_team: "" is not a valid team (empty)`},
		{"reserved default team", func(c *Config) { c.DefaultTeam = OtherTeam }, `default_team: "__other__" is reserved`},
		{"default team shaped like an address", func(c *Config) { c.DefaultTeam = "10.0.0.1" }, "looks_like_personal_data"},
		{"mapping to invalid team", func(c *Config) { c.TeamMapping = map[string]string{"ns": "a b"} }, `team_mapping["ns"]: "a b" is not a valid team (invalid_characters)`},
		{"max teams zero", func(c *Config) { c.MaxTeams = 0 }, "max_teams: must be at least 1, got 0"},
		{"series window too short", func(c *Config) { c.Series.Window = time.Millisecond }, "series.window: must be at least 1s"},
		{"series buckets zero", func(c *Config) { c.Series.Buckets = 0 }, "series.buckets: must be between 1 and 60, got 0"},
		{"series tracked zero", func(c *Config) { c.Series.MaxTrackedPerTeam = 0 }, "series.max_tracked_per_team: must be at least 1"},
		{"negative price", func(c *Config) { c.Prices.LogsPerGB = -1 }, "prices.logs_per_gb: must be a finite number >= 0, got -1"},
		{"report interval too short", func(c *Config) { c.Report.Interval = time.Millisecond }, "report.interval: must be 0 (off) or at least 1s"},
		{"report top_n zero", func(c *Config) { c.Report.TopN = 0 }, "report.top_n: must be at least 1, got 0"},
		{"unknown keep severity", func(c *Config) { c.KeepSeverity = "LOUD" }, `keep_severity: "LOUD" must be one of`},
		{"budget for invalid team", func(c *Config) { c.Budgets = map[string]TeamBudget{"a/b": {Logs: &SignalBudget{DailyBytes: 1}}} }, `budgets["a/b"]: "a/b" is not a valid team`},
		{"budget without signal", func(c *Config) { c.Budgets = map[string]TeamBudget{"a": {}} }, `budgets["a"]: set a budget for at least one of logs, metrics, traces`},
		{"budget without limit", func(c *Config) { c.Budgets = map[string]TeamBudget{"a": {Logs: &SignalBudget{}}} }, `budgets["a"].logs: set bytes_per_second (with burst_bytes) or daily_bytes`},
		{"burst without rate", func(c *Config) {
			c.Budgets = map[string]TeamBudget{"a": {Metrics: &SignalBudget{BurstBytes: 5000, DailyBytes: 9}}}
		}, `budgets["a"].metrics.bytes_per_second: must be set with burst_bytes`},
		{"burst too small", func(c *Config) {
			c.Budgets = map[string]TeamBudget{"a": {Logs: &SignalBudget{BytesPerSecond: 10, BurstBytes: 10}}}
		}, `budgets["a"].logs.burst_bytes: must be at least 1024, got 10`},
		{"negative daily", func(c *Config) { c.Budgets = map[string]TeamBudget{"a": {Traces: &SignalBudget{DailyBytes: -1}}} }, `budgets["a"].traces.daily_bytes: must be >= 0, got -1`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := createDefaultConfig().(*Config)
			tt.modify(cfg)
			err := (cfg).Validate()
			if tt.want == "" {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.True(t, strings.Contains(err.Error(), tt.want), "error %q does not contain %q", err, tt.want)
		})
	}
}
