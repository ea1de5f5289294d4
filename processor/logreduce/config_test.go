package logreduce

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap/confmaptest"

	"github.com/otelcol-warden/otelcol-warden/processor/logreduce/internal/metadata"
)

func TestUnmarshalDefaultConfig(t *testing.T) {
	cm, err := confmaptest.LoadConf(filepath.Join("testdata", "config.yaml"))
	require.NoError(t, err)
	sub, err := cm.Sub(component.NewID(metadata.Type).String())
	require.NoError(t, err)
	cfg := createDefaultConfig()
	require.NoError(t, sub.Unmarshal(cfg))
	assert.Equal(t, createDefaultConfig(), cfg)
	require.NoError(t, cfg.(*Config).Validate())
}

func TestUnmarshalConfig(t *testing.T) {
	cm, err := confmaptest.LoadConf(filepath.Join("testdata", "config.yaml"))
	require.NoError(t, err)
	sub, err := cm.Sub(component.NewIDWithName(metadata.Type, "all").String())
	require.NoError(t, err)
	cfg := createDefaultConfig().(*Config)
	require.NoError(t, sub.Unmarshal(cfg))
	require.NoError(t, cfg.Validate())
	assert.Equal(t, &Config{
		Mode: ModeAnnotate, Window: 30 * time.Second, KeepFirst: 5, KeepSeverity: "ERROR",
		KeepWhen:            []string{`log.attributes["event.domain"] == "audit"`},
		GroupBy:             []string{"service.name", "service.namespace"},
		MessageKeys:         []string{"msg"},
		PartitionAttributes: []string{"pii.scrubbed", "retention.class"},
		Limits: LimitsConfig{MaxTemplatesPerGroup: 200, MaxTemplates: 2000, MaxMessageBytes: 2048, MaxTokens: 64,
			MaxSummariesPerTemplate: 4, MaxServicesInTelemetry: 10},
		Drain:  DrainConfig{Depth: 5, SimilarityThreshold: 0.6, MaxChildren: 50},
		Report: ReportConfig{Interval: time.Minute, TopN: 3, Shapes: "none"},
	}, cfg)
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*Config)
		want   string
	}{
		{"unknown mode", func(c *Config) { c.Mode = "drop" }, `mode: "drop" is neither`},
		{"zero window", func(c *Config) { c.Window = 0 }, "window: must be positive"},
		{"negative keep_first", func(c *Config) { c.KeepFirst = -1 }, "keep_first: must not be negative"},
		{"unknown severity", func(c *Config) { c.KeepSeverity = "LOUD" }, `keep_severity: "LOUD"`},
		{"empty keep_when", func(c *Config) { c.KeepWhen = []string{" "} }, "keep_when[0]: empty condition"},
		{"no group_by", func(c *Config) { c.GroupBy = nil }, "group_by: at least one"},
		{"empty message key", func(c *Config) { c.MessageKeys = []string{""} }, "message_keys[0]: empty name"},
		{"zero max_templates", func(c *Config) { c.Limits.MaxTemplates = 0 }, "limits.max_templates: must be positive"},
		{"per group above total", func(c *Config) { c.Limits.MaxTemplatesPerGroup = 20000 }, "limits.max_templates_per_group: 20000 exceeds"},
		{"one token", func(c *Config) { c.Limits.MaxTokens = 1 }, "limits.max_tokens: must be at least 2"},
		{"shallow tree", func(c *Config) { c.Drain.Depth = 2 }, "drain.depth: must be between 3 and 16"},
		{"threshold above one", func(c *Config) { c.Drain.SimilarityThreshold = 1.5 }, "drain.similarity_threshold"},
		{"one child", func(c *Config) { c.Drain.MaxChildren = 1 }, "drain.max_children"},
		{"negative report interval", func(c *Config) { c.Report.Interval = -time.Second }, "report.interval"},
		{"zero top_n", func(c *Config) { c.Report.TopN = 0 }, "report.top_n"},
		{"unknown shapes", func(c *Config) { c.Report.Shapes = "all" }, `report.shapes: "all"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := createDefaultConfig().(*Config)
			tt.mutate(cfg)
			assert.ErrorContains(t, cfg.Validate(), tt.want)
		})
	}
}

func TestBadKeepWhenFailsAtCreation(t *testing.T) {
	cfg := createDefaultConfig().(*Config)
	cfg.KeepWhen = []string{`log.attributes["x"] ==`}
	_, err := newReducer(cfg, processortestSettings(), nil)
	assert.ErrorContains(t, err, "log_reduce: keep_when")
}
