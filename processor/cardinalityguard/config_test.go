package cardinalityguard

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/confmaptest"
)

func TestUnmarshalDefaultConfig(t *testing.T) {
	factory := NewFactory()
	cfg := factory.CreateDefaultConfig()
	require.NoError(t, confmap.New().Unmarshal(&cfg))
	assert.Equal(t, factory.CreateDefaultConfig(), cfg)
	assert.NoError(t, confmap.Validate(cfg))
}

func TestUnmarshalConfig(t *testing.T) {
	cm, err := confmaptest.LoadConf(filepath.Join("testdata", "config.yaml"))
	require.NoError(t, err)
	cfg := NewFactory().CreateDefaultConfig().(*Config)
	require.NoError(t, cm.Unmarshal(cfg))
	require.NoError(t, confmap.Validate(cfg))
	twenty, thousand := 20000, 1000
	assert.Equal(t, &Config{
		Mode:       ModeAuto,
		Scope:      ScopeConfig{ResourceAttributes: []string{"service.namespace", "service.name", "deployment.environment.name"}},
		LabelNames: LabelNamesPrometheus,
		Policy: Policy{
			MetricRelabelConfigs: []map[string]any{
				{"action": "labeldrop", "regex": "k8s_pod_uid|container_id"},
				{"source_labels": []any{"__name__", "http_route"}, "regex": "http_server_.*;/internal/.*", "action": "drop"},
			},
			DenyLabels:  []string{"user_id", "user.id", "request_id", "session_id", "trace_id", "span_id", "client.address"},
			AllowLabels: []string{"client.address"},
			Normalize: []NormalizeConfig{
				{Attributes: []string{"url.path", "http.route"}, Kind: NormalizeURLPath, Templates: []TemplateConfig{{Regex: "/shop/([a-z]+)/item-[0-9]+", Replacement: "/shop/$1/item-{id}"}}},
				{Attributes: []string{"error.message"}, Kind: NormalizeErrorClass},
			},
			MaxValuesPerLabel:       200,
			MaxSeriesPerMetric:      5000,
			ExcludeLabels:           []string{"le", "quantile", "http.request.method"},
			GaugeAggregation:        GaugeMax,
			HistogramBoundsMismatch: BoundsRebucket,
			Summary:                 SummaryDrop,
		},
		Rules: []Rule{
			{Name: "kube_state_exempt", Metrics: []string{"kube_*"}, Exempt: true},
			{Name: "http_server", MetricsRegex: `http\.server\..*`, Resource: map[string]string{"service.namespace": "shop"},
				MaxSeriesPerMetric: &twenty, MaxValuesPerLabel: &thousand, GaugeAggregation: GaugeLast},
		},
		Detection:     DetectionConfig{Enabled: true, Window: 10 * time.Minute, Buckets: 10, MaxNewValuesPerWindow: 300, Cooldown: time.Hour, ReleaseRatio: 0.5},
		Reaggregation: ReaggregationConfig{FlushInterval: 15 * time.Second, MaxStale: 5 * time.Minute},
		State:         StateConfig{MaxTrackedSeries: 200000, MaxReaggregationInputs: 100000, MaxMetrics: 5000},
		Report:        ReportConfig{Interval: time.Minute, TopN: 5},
		MaxAttributes: 64,
	}, cfg)
}

func TestValidateNamesTheKey(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*Config)
		want   string
	}{
		{"mode", func(c *Config) { c.Mode = "block" }, `mode: "block" is not one of`},
		{"label names", func(c *Config) { c.LabelNames = "x" }, "label_names:"},
		{"invalid relabel regex", func(c *Config) {
			c.MetricRelabelConfigs = []map[string]any{{"action": "labeldrop", "regex": "("}}
		}, "metric_relabel_configs::0:"},
		{"unknown relabel action", func(c *Config) {
			c.MetricRelabelConfigs = []map[string]any{{"action": "explode"}}
		}, "metric_relabel_configs::0: unknown relabel action"},
		{"unknown relabel field", func(c *Config) {
			c.MetricRelabelConfigs = []map[string]any{{"action": "drop", "regexx": "a"}}
		}, "metric_relabel_configs::0:"},
		{"replace without target", func(c *Config) {
			c.MetricRelabelConfigs = []map[string]any{{"action": "replace", "source_labels": []any{"a"}}}
		}, "requires 'target_label'"},
		{"negative value limit", func(c *Config) { c.MaxValuesPerLabel = -1 }, "max_values_per_label: must not be negative"},
		{"negative series limit", func(c *Config) { c.MaxSeriesPerMetric = -5 }, "max_series_per_metric: must not be negative"},
		{"unknown aggregation", func(c *Config) { c.GaugeAggregation = "median" }, `gauge_aggregation: "median"`},
		{"bounds policy", func(c *Config) { c.HistogramBoundsMismatch = "guess" }, "histogram_bounds_mismatch:"},
		{"summary policy", func(c *Config) { c.Summary = "merge" }, "summary:"},
		{"normaliser kind", func(c *Config) {
			c.Normalize = []NormalizeConfig{{Attributes: []string{"a"}, Kind: "magic"}}
		}, "normalize::0::kind:"},
		{"normaliser without attributes", func(c *Config) {
			c.Normalize = []NormalizeConfig{{Kind: NormalizeURLPath}}
		}, "normalize::0::attributes:"},
		{"template regex", func(c *Config) {
			c.Normalize = []NormalizeConfig{{Attributes: []string{"a"}, Kind: NormalizeTemplates, Templates: []TemplateConfig{{Regex: "[", Replacement: "x"}}}}
		}, "normalize::0::templates::0::regex:"},
		{"rule without match", func(c *Config) { c.Rules = []Rule{{Name: "r"}} }, "rules::0: metrics:"},
		{"rule glob", func(c *Config) { c.Rules = []Rule{{Metrics: []string{"["}}} }, "rules::0: metrics::0: invalid glob"},
		{"rule regex", func(c *Config) { c.Rules = []Rule{{MetricsRegex: "("}} }, "rules::0: metrics_regex:"},
		{"rule negative limit", func(c *Config) { n := -1; c.Rules = []Rule{{Metrics: []string{"a"}, MaxSeriesPerMetric: &n}} }, "rules::0: max_series_per_metric:"},
		{"rule aggregation", func(c *Config) { c.Rules = []Rule{{Metrics: []string{"a"}, GaugeAggregation: "p99"}} }, "rules::0: gauge_aggregation:"},
		{"detection window", func(c *Config) { c.Detection.Window = 0 }, "detection: window:"},
		{"detection buckets", func(c *Config) { c.Detection.Buckets = 0 }, "detection: buckets:"},
		{"detection threshold", func(c *Config) { c.Detection.MaxNewValuesPerWindow = 0 }, "detection: max_new_values_per_window:"},
		{"release ratio", func(c *Config) { c.Detection.ReleaseRatio = 2 }, "detection: release_ratio:"},
		{"auto without detection", func(c *Config) { c.Mode = ModeAuto; c.Detection.Enabled = false }, "mode: auto requires detection::enabled"},
		{"flush interval", func(c *Config) { c.Reaggregation.FlushInterval = 0 }, "reaggregation: flush_interval:"},
		{"max stale", func(c *Config) { c.Reaggregation.MaxStale = time.Second }, "reaggregation: max_stale:"},
		{"tracked series", func(c *Config) { c.State.MaxTrackedSeries = 0 }, "state: max_tracked_series:"},
		{"reaggregation inputs", func(c *Config) { c.State.MaxReaggregationInputs = -1 }, "state: max_reaggregation_inputs:"},
		{"max metrics", func(c *Config) { c.State.MaxMetrics = 0 }, "state: max_metrics:"},
		{"report interval", func(c *Config) { c.Report.Interval = -time.Second }, "report: interval:"},
		{"top n", func(c *Config) { c.Report.TopN = 5000 }, "report: top_n:"},
		{"max attributes", func(c *Config) { c.MaxAttributes = 0 }, "max_attributes:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := createDefaultConfig().(*Config)
			tt.mutate(cfg)
			err := confmap.Validate(cfg) // as the collector validates it: nested structs, key paths prefixed
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

func TestRuleInheritsUnsetFieldsFromTopLevel(t *testing.T) {
	cfg := createDefaultConfig().(*Config)
	n := 7
	cfg.Rules = []Rule{{Name: "small", Metrics: []string{"db.*"}, MaxSeriesPerMetric: &n}}
	ps := compileRules(cfg)
	require.Len(t, ps, 2)
	assert.Equal(t, 7, ps[0].maxSeries)
	assert.Equal(t, cfg.MaxValuesPerLabel, ps[0].maxValues)
	assert.Contains(t, ps[0].deny, "user_id")
	assert.Equal(t, "default", ps[1].name)
}

func TestValidateReportsEveryErrorWithItsPathInFieldOrder(t *testing.T) {
	cfg := createDefaultConfig().(*Config)
	cfg.Mode = "block"
	cfg.MaxAttributes = 0
	cfg.Rules = []Rule{{Metrics: []string{"a"}}, {Metrics: []string{"b"}, Normalize: []NormalizeConfig{{Attributes: []string{"x"}, Kind: "magic"}}}}
	cfg.Detection.Window = 0
	cfg.State.MaxMetrics = 0
	cfg.Report.TopN = -1
	want := []string{
		`mode: "block" is not one of enforce, auto, dry_run`,
		"max_attributes: must be positive",
		`rules::1: normalize::0::kind: "magic" is not one of url_path, error_class, templates`,
		"detection: window: must be positive",
		"state: max_metrics: must be positive",
		"report: top_n: must be between 0 and 1000",
	}
	for range 3 { // the same order every time
		err := confmap.Validate(cfg)
		require.Error(t, err)
		assert.Equal(t, want, strings.Split(err.Error(), "\n"))
	}
}
