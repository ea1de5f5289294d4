// Copyright otelcol-warden authors
// SPDX-License-Identifier: Apache-2.0

package tailpolicy

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/confmaptest"

	"github.com/otelcol-warden/otelcol-warden/processor/tailpolicy/internal/metadata"
)

func loadConfig(t *testing.T, name string) *Config {
	cm, err := confmaptest.LoadConf(filepath.Join("testdata", "config.yaml"))
	require.NoError(t, err)
	sub, err := cm.Sub(component.MustNewIDWithName(metadata.Type.String(), name).String())
	require.NoError(t, err)
	cfg := createDefaultConfig().(*Config)
	require.NoError(t, sub.Unmarshal(cfg))
	return cfg
}

func TestUnmarshalDefaultConfig(t *testing.T) {
	cfg := loadConfig(t, "")
	assert.Equal(t, createDefaultConfig(), cfg)
	require.NoError(t, confmap.Validate(cfg))
	names := []string{}
	for _, r := range cfg.Rules {
		names = append(names, r.Name)
	}
	assert.Equal(t, []string{"errors", "slow", "synthetic", "high_value", "default"}, names)
}

func TestUnmarshalConfig(t *testing.T) {
	cfg := loadConfig(t, "custom")
	require.NoError(t, confmap.Validate(cfg))
	assert.Equal(t, time.Second, cfg.DecisionDelay)
	assert.Equal(t, 4, cfg.Workers)
	assert.Equal(t, int64(104857600), cfg.Memory.LimitBytes)
	assert.Equal(t, 1000.0, cfg.Budget.SpansPerSecond)
	require.Len(t, cfg.Rules, 3)
	assert.Equal(t, MatchRootSpan, cfg.Rules[0].Match)
	assert.Equal(t, 500*time.Millisecond, cfg.Rules[1].LatencyOver)
	assert.Equal(t, 0.1, *cfg.Rules[2].Probability)
}

func TestInvalidConfigNamesTheKey(t *testing.T) {
	tests := []struct {
		name string
		want string
	}{
		{"bad_probability", "rules::0: probability: 1.5 is outside [0, 1]"},
		{"no_catch_all", `rules::0: the last rule "errors" must be a catch-all`},
		{"bad_ottl", "rules::0: condition:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := confmap.Validate(loadConfig(t, tt.name))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

func TestValidateTable(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*Config)
		want   string
	}{
		{"catch-all not last", func(c *Config) {
			c.Rules = append([]RuleConfig{{Name: "all", Probability: probability(1)}}, c.Rules...)
		}, `rules::0: "all" has no condition`},
		{"duplicate name", func(c *Config) { c.Rules[1].Name = "errors" }, `rules::1: name: "errors" is used`},
		{"reserved name", func(c *Config) { c.Rules[0].Name = "_x" }, "rules::0: name: \"_x\": names starting with '_' are reserved"},
		{"missing probability", func(c *Config) { c.Rules[0].Probability = nil }, "rules::0: probability: required"},
		{"negative probability", func(c *Config) { c.Rules[4].Probability = probability(-0.1) }, "rules::4: probability: -0.1 is outside"},
		{"bad match", func(c *Config) { c.Rules[0].Match = "some_span" }, "rules::0: match: \"some_span\""},
		{"no rules", func(c *Config) { c.Rules = nil }, "rules: at least one rule"},
		{"delay over timeout", func(c *Config) { c.DecisionDelay = time.Minute }, "decision_delay: 1m0s must not exceed trace_timeout 30s"},
		{"watermarks", func(c *Config) { c.Memory.LowWaterPercent = 95 }, "memory: low_water_percent: need 0 < low_water_percent"},
		{"tiny memory", func(c *Config) { c.Memory.LimitBytes = 10 }, "memory: limit_bytes: 10 is below"},
		{"compact percent", func(c *Config) { c.Memory.CompactPercent = 101 }, "memory: compact_percent: 101"},
		{"percentile", func(c *Config) { c.Baseline.Percentile = 1 }, "baseline: percentile: 1 must be in (0, 1)"},
		{"user agent regexp", func(c *Config) { c.Synthetic.UserAgentPatterns = []string{"("} }, "synthetic: user_agent_patterns::0: error parsing regexp"},
		{"span limit", func(c *Config) { c.SpanLimit = 0 }, "span_limit: must be at least 1, got 0"},
		{"kept cache", func(c *Config) { c.DecisionCache.KeptTraces = 0 }, "decision_cache: kept_traces: must be at least 1, got 0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := createDefaultConfig().(*Config)
			tt.mutate(cfg)
			err := confmap.Validate(cfg)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

// Every problem is reported, each under its key path, in the order of the
// configuration's fields (top level first, then each section).
func TestValidateReportsEveryProblemInFieldOrder(t *testing.T) {
	cfg := createDefaultConfig().(*Config)
	cfg.SpanLimit = 0
	cfg.Rules[1].Probability = nil
	cfg.Memory.LimitBytes = 10
	cfg.Budget.SpansPerSecond = -1
	err := confmap.Validate(cfg)
	require.Error(t, err)
	assert.Equal(t, strings.Join([]string{
		"span_limit: must be at least 1, got 0",
		"rules::1: probability: required (0 to drop, 1 to keep everything)",
		"memory: limit_bytes: 10 is below the minimum of 1 MiB",
		"budget: spans_per_second: must not be negative, got -1",
	}, "\n"), err.Error())
}
