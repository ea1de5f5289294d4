package cardinalityguard // import "github.com/otelcol-warden/otelcol-warden/processor/cardinalityguard"

import (
	"errors"
	"fmt"
	"path"
	"regexp"
	"time"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/relabel"
	"go.opentelemetry.io/collector/component"
	"go.yaml.in/yaml/v2"
)

// Mode selects what the processor does with what it finds.
const (
	// ModeEnforce applies every configured step; detection only reports.
	ModeEnforce = "enforce"
	// ModeAuto is enforce plus dropping labels flagged by automatic detection.
	ModeAuto = "auto"
	// ModeDryRun computes and reports everything but forwards data unchanged.
	ModeDryRun = "dry_run"
)

// Label name views offered to relabel rules.
const (
	// LabelNamesOTel shows attribute names verbatim (dots allowed, UTF-8 validation).
	LabelNamesOTel = "otel"
	// LabelNamesPrometheus shows attribute names as the Prometheus exporters write them
	// (every character outside [a-zA-Z0-9_] becomes "_"), so existing metric_relabel_configs paste unchanged.
	LabelNamesPrometheus = "prometheus"
)

// Normaliser kinds.
const (
	NormalizeURLPath    = "url_path"
	NormalizeErrorClass = "error_class"
	NormalizeTemplates  = "templates"
)

// Gauge aggregations used when gauges collide.
const (
	GaugeLast = "last"
	GaugeSum  = "sum"
	GaugeMin  = "min"
	GaugeMax  = "max"
)

// Histogram bound mismatch fallbacks.
const (
	// BoundsDrop drops a colliding histogram whose bounds differ from the output's (counted, reason bounds_mismatch).
	BoundsDrop = "drop"
	// BoundsRebucket moves each bucket of a mismatched histogram into the first output bucket whose
	// upper bound is at least its own: counts and sum are preserved, quantiles may shift up one bucket.
	BoundsRebucket = "rebucket"
)

// Summary folding policies.
const (
	// SummaryRefuse forwards summaries with their original labels (no label step applies) and
	// drops new summary series beyond the series cap; quantiles cannot be merged.
	SummaryRefuse = "refuse"
	// SummaryDrop drops summary points whose labels would change.
	SummaryDrop = "drop"
)

// DefaultDenyLabels are attribute names whose values are unbounded by nature.
var DefaultDenyLabels = []string{
	"user_id", "user.id", "userid", "enduser.id", "user.email", "email", "user.name", "username",
	"request_id", "request.id", "http.request.id", "x_request_id", "correlation_id",
	"session_id", "session.id", "trace_id", "span_id", "trace.id", "span.id",
	"client.address", "client.port", "net.peer.ip", "net.sock.peer.addr", "network.peer.address", "network.peer.port",
	"source.address", "source.port", "http.client_ip",
	"url.full", "url.query", "http.url", "http.target",
	"process.pid", "thread.id", "exception.stacktrace",
}

// Config of the cardinality_guard processor. Every step is described in README.md.
type Config struct {
	// Mode is enforce, auto or dry_run.
	Mode string `mapstructure:"mode"`
	// Scope lists the resource attributes that, with the metric name, key every limit.
	Scope ScopeConfig `mapstructure:"scope"`
	// LabelNames is the view of attribute names shown to relabel rules: otel or prometheus.
	LabelNames string `mapstructure:"label_names"`

	// Policy applies to every metric; Rules override it per metric and resource.
	Policy `mapstructure:",squash"`
	// Rules are checked in order; the first whose match fits a metric overrides Policy fields it sets.
	Rules []Rule `mapstructure:"rules"`

	Detection     DetectionConfig     `mapstructure:"detection"`
	Reaggregation ReaggregationConfig `mapstructure:"reaggregation"`
	State         StateConfig         `mapstructure:"state"`
	Report        ReportConfig        `mapstructure:"report"`
	// MaxAttributes drops points carrying more attributes than this (reason too_many_attributes).
	MaxAttributes int `mapstructure:"max_attributes"`

	_ struct{}
}

// ScopeConfig selects the resource attributes that scope limits.
type ScopeConfig struct {
	ResourceAttributes []string `mapstructure:"resource_attributes"`
}

// Policy is the set of steps applied to a metric.
type Policy struct {
	// MetricRelabelConfigs are Prometheus relabel rules in metric_relabel_configs syntax; __name__ is the metric name.
	MetricRelabelConfigs []map[string]any `mapstructure:"metric_relabel_configs"`
	// DenyLabels are attribute names dropped before anything else; nil means DefaultDenyLabels.
	DenyLabels []string `mapstructure:"deny_labels"`
	// AllowLabels removes names from DenyLabels (to keep one default entry).
	AllowLabels []string `mapstructure:"allow_labels"`
	// Normalize rewrites attribute values into classes.
	Normalize []NormalizeConfig `mapstructure:"normalize"`
	// MaxValuesPerLabel is the number of distinct values admitted per (scope, metric, label); 0 disables.
	MaxValuesPerLabel int `mapstructure:"max_values_per_label"`
	// MaxSeriesPerMetric is the number of output series admitted per (scope, metric); 0 disables.
	MaxSeriesPerMetric int `mapstructure:"max_series_per_metric"`
	// ExcludeLabels are never limited nor auto-dropped.
	ExcludeLabels []string `mapstructure:"exclude_labels"`
	// GaugeAggregation is last, sum, min or max.
	GaugeAggregation string `mapstructure:"gauge_aggregation"`
	// HistogramBoundsMismatch is drop or rebucket.
	HistogramBoundsMismatch string `mapstructure:"histogram_bounds_mismatch"`
	// Summary is refuse or drop.
	Summary string `mapstructure:"summary"`
}

// Rule overrides Policy for the metrics it matches. Unset fields inherit from the top-level policy.
type Rule struct {
	Name string `mapstructure:"name"`
	// Metrics are name globs (path.Match syntax); MetricsRegex is an anchored regular expression. Either or both.
	Metrics      []string `mapstructure:"metrics"`
	MetricsRegex string   `mapstructure:"metrics_regex"`
	// Resource restricts the rule to resources whose attributes have these exact values.
	Resource map[string]string `mapstructure:"resource"`
	// Exempt passes matching metrics through untouched.
	Exempt bool `mapstructure:"exempt"`

	MetricRelabelConfigs    []map[string]any  `mapstructure:"metric_relabel_configs"`
	DenyLabels              []string          `mapstructure:"deny_labels"`
	AllowLabels             []string          `mapstructure:"allow_labels"`
	Normalize               []NormalizeConfig `mapstructure:"normalize"`
	MaxValuesPerLabel       *int              `mapstructure:"max_values_per_label"`
	MaxSeriesPerMetric      *int              `mapstructure:"max_series_per_metric"`
	ExcludeLabels           []string          `mapstructure:"exclude_labels"`
	GaugeAggregation        string            `mapstructure:"gauge_aggregation"`
	HistogramBoundsMismatch string            `mapstructure:"histogram_bounds_mismatch"`
	Summary                 string            `mapstructure:"summary"`
}

// NormalizeConfig rewrites the values of some attributes.
type NormalizeConfig struct {
	Attributes []string `mapstructure:"attributes"`
	// Kind is url_path (internal/urlpath), error_class (numbers, ids, quoted text removed) or templates.
	Kind string `mapstructure:"kind"`
	// Templates are tried in order for kind templates (and before the built-in kinds): a value matching
	// Regex (anchored) is replaced by Replacement ($1 expansion).
	Templates []TemplateConfig `mapstructure:"templates"`
}

// TemplateConfig is one custom normalisation.
type TemplateConfig struct {
	Regex       string `mapstructure:"regex"`
	Replacement string `mapstructure:"replacement"`
}

// DetectionConfig drives HyperLogLog-based explosion detection off the hot path.
type DetectionConfig struct {
	Enabled bool `mapstructure:"enabled"`
	// Window is the sliding window over which new distinct values are counted; it is made of Buckets sub-windows.
	Window  time.Duration `mapstructure:"window"`
	Buckets int           `mapstructure:"buckets"`
	// MaxNewValuesPerWindow flags a label whose estimated new distinct values in the window exceed it.
	MaxNewValuesPerWindow int `mapstructure:"max_new_values_per_window"`
	// Cooldown keeps a flagged label flagged at least this long.
	Cooldown time.Duration `mapstructure:"cooldown"`
	// ReleaseRatio releases a label once its growth stays at or below ratio*threshold for a whole window after the cooldown.
	ReleaseRatio float64 `mapstructure:"release_ratio"`
}

// ReaggregationConfig controls colliding series.
type ReaggregationConfig struct {
	// FlushInterval is how often re-aggregated outputs are emitted.
	FlushInterval time.Duration `mapstructure:"flush_interval"`
	// MaxStale forgets inputs and outputs not seen for this long.
	MaxStale time.Duration `mapstructure:"max_stale"`
}

// StateConfig bounds memory.
type StateConfig struct {
	// MaxTrackedSeries bounds admitted output series over all metrics; beyond it new series overflow.
	MaxTrackedSeries int `mapstructure:"max_tracked_series"`
	// MaxReaggregationInputs bounds per-input state of re-aggregated series; beyond it new inputs are dropped (reason state_full).
	MaxReaggregationInputs int `mapstructure:"max_reaggregation_inputs"`
	// MaxMetrics bounds the tracked (scope, metric name, rule) budgets, each holding label
	// trackers and sketches; beyond it the points of new metrics are dropped (reason state_full).
	MaxMetrics int `mapstructure:"max_metrics"`
}

// ReportConfig controls the periodic offenders report.
type ReportConfig struct {
	Interval time.Duration `mapstructure:"interval"`
	TopN     int           `mapstructure:"top_n"`
}

var _ component.Config = (*Config)(nil)

func createDefaultConfig() component.Config {
	return &Config{
		Mode:       ModeEnforce,
		Scope:      ScopeConfig{ResourceAttributes: []string{"service.namespace", "service.name"}},
		LabelNames: LabelNamesOTel,
		Policy: Policy{
			Normalize: []NormalizeConfig{
				{Attributes: []string{"url.path", "http.route", "http.path", "path"}, Kind: NormalizeURLPath},
				{Attributes: []string{"error.message", "exception.message", "error"}, Kind: NormalizeErrorClass},
			},
			MaxValuesPerLabel:       1000,
			MaxSeriesPerMetric:      2000,
			ExcludeLabels:           []string{"le", "quantile"},
			GaugeAggregation:        GaugeLast,
			HistogramBoundsMismatch: BoundsDrop,
			Summary:                 SummaryRefuse,
		},
		Detection: DetectionConfig{
			Enabled:               true,
			Window:                5 * time.Minute,
			Buckets:               5,
			MaxNewValuesPerWindow: 500,
			Cooldown:              30 * time.Minute,
			ReleaseRatio:          0.8,
		},
		Reaggregation: ReaggregationConfig{FlushInterval: 30 * time.Second, MaxStale: 10 * time.Minute},
		State:         StateConfig{MaxTrackedSeries: 1_000_000, MaxReaggregationInputs: 500_000, MaxMetrics: 10_000},
		Report:        ReportConfig{Interval: 5 * time.Minute, TopN: 10},
		MaxAttributes: 128,
	}
}

// Validation follows the collector's convention: each nested struct validates its own keys
// and confmap prefixes them with the path ("detection::window: must be positive",
// "rules::0::normalize::1::kind: ..."), in the order of the fields. The one exception is the
// top-level Policy: it is squashed into Config (its keys are top-level keys), but confmap
// would prefix its errors with "policy::", a key that does not exist, so Config validates it,
// and the normalize lists are validated by the Config or Rule that holds them.

// Validate checks the top-level keys, the top-level policy and the cross-field rules.
func (c *Config) Validate() error {
	var errs []error
	switch c.Mode {
	case ModeEnforce, ModeAuto, ModeDryRun:
	default:
		errs = append(errs, fmt.Errorf("mode: %q is not one of enforce, auto, dry_run", c.Mode))
	}
	if c.Mode == ModeAuto && !c.Detection.Enabled {
		errs = append(errs, errors.New("mode: auto requires detection::enabled"))
	}
	switch c.LabelNames {
	case LabelNamesOTel, LabelNamesPrometheus:
	default:
		errs = append(errs, fmt.Errorf("label_names: %q is not one of otel, prometheus", c.LabelNames))
	}
	errs = append(errs, c.Policy.validate()...)
	if c.MaxAttributes <= 0 {
		errs = append(errs, errors.New("max_attributes: must be positive"))
	}
	return errors.Join(errs...)
}

func (p *Policy) validate() []error {
	var errs []error
	if err := validateRelabelConfigs(p.MetricRelabelConfigs); err != nil {
		errs = append(errs, err)
	}
	errs = append(errs, validateNormalize(p.Normalize)...)
	errs = append(errs, validateLimit("max_values_per_label", &p.MaxValuesPerLabel), validateLimit("max_series_per_metric", &p.MaxSeriesPerMetric))
	errs = append(errs, validateEnums(p.GaugeAggregation, p.HistogramBoundsMismatch, p.Summary, false)...)
	return errs
}

// Validate checks one rule; confmap prefixes its keys with "rules::<index>".
func (r *Rule) Validate() error {
	var errs []error
	if len(r.Metrics) == 0 && r.MetricsRegex == "" && len(r.Resource) == 0 {
		errs = append(errs, errors.New("metrics: a rule needs metrics, metrics_regex or resource"))
	}
	for i, g := range r.Metrics {
		if _, err := path.Match(g, ""); err != nil {
			errs = append(errs, fmt.Errorf("metrics::%d: invalid glob %q: %w", i, g, err))
		}
	}
	if r.MetricsRegex != "" {
		if _, err := regexp.Compile("^(?:" + r.MetricsRegex + ")$"); err != nil {
			errs = append(errs, fmt.Errorf("metrics_regex: %w", err))
		}
	}
	if err := validateRelabelConfigs(r.MetricRelabelConfigs); err != nil {
		errs = append(errs, err)
	}
	errs = append(errs, validateNormalize(r.Normalize)...)
	errs = append(errs, validateLimit("max_values_per_label", r.MaxValuesPerLabel), validateLimit("max_series_per_metric", r.MaxSeriesPerMetric))
	errs = append(errs, validateEnums(r.GaugeAggregation, r.HistogramBoundsMismatch, r.Summary, true)...)
	return errors.Join(errs...)
}

// Validate checks detection when it is enabled.
func (d *DetectionConfig) Validate() error {
	if !d.Enabled {
		return nil
	}
	var errs []error
	if d.Window <= 0 {
		errs = append(errs, errors.New("window: must be positive"))
	}
	if d.Buckets < 1 || d.Buckets > 60 {
		errs = append(errs, errors.New("buckets: must be between 1 and 60"))
	}
	if d.MaxNewValuesPerWindow <= 0 {
		errs = append(errs, errors.New("max_new_values_per_window: must be positive"))
	}
	if d.Cooldown < 0 {
		errs = append(errs, errors.New("cooldown: must not be negative"))
	}
	if d.ReleaseRatio <= 0 || d.ReleaseRatio > 1 {
		errs = append(errs, errors.New("release_ratio: must be in (0, 1]"))
	}
	return errors.Join(errs...)
}

// Validate checks the flush interval and the staleness bound.
func (r *ReaggregationConfig) Validate() error {
	var errs []error
	if r.FlushInterval <= 0 {
		errs = append(errs, errors.New("flush_interval: must be positive"))
	}
	if r.MaxStale < r.FlushInterval {
		errs = append(errs, errors.New("max_stale: must be at least flush_interval"))
	}
	return errors.Join(errs...)
}

// Validate checks the memory bounds.
func (s *StateConfig) Validate() error {
	var errs []error
	if s.MaxTrackedSeries <= 0 {
		errs = append(errs, errors.New("max_tracked_series: must be positive"))
	}
	if s.MaxReaggregationInputs <= 0 {
		errs = append(errs, errors.New("max_reaggregation_inputs: must be positive"))
	}
	if s.MaxMetrics <= 0 {
		errs = append(errs, errors.New("max_metrics: must be positive"))
	}
	return errors.Join(errs...)
}

// Validate checks the report settings.
func (r *ReportConfig) Validate() error {
	var errs []error
	if r.Interval < 0 {
		errs = append(errs, errors.New("interval: must not be negative (0 disables the report)"))
	}
	if r.TopN < 0 || r.TopN > 1000 {
		errs = append(errs, errors.New("top_n: must be between 0 and 1000"))
	}
	return errors.Join(errs...)
}

// validateLimit checks a per-label or per-metric limit (nil: not set by a rule).
func validateLimit(key string, n *int) error {
	if n != nil && *n < 0 {
		return fmt.Errorf("%s: must not be negative", key)
	}
	return nil
}

func validateEnums(gauge, bounds, summary string, allowEmpty bool) []error {
	var errs []error
	if !(allowEmpty && gauge == "") {
		switch gauge {
		case GaugeLast, GaugeSum, GaugeMin, GaugeMax:
		default:
			errs = append(errs, fmt.Errorf("gauge_aggregation: %q is not one of last, sum, min, max", gauge))
		}
	}
	if !(allowEmpty && bounds == "") {
		switch bounds {
		case BoundsDrop, BoundsRebucket:
		default:
			errs = append(errs, fmt.Errorf("histogram_bounds_mismatch: %q is not one of drop, rebucket", bounds))
		}
	}
	if !(allowEmpty && summary == "") {
		switch summary {
		case SummaryRefuse, SummaryDrop:
		default:
			errs = append(errs, fmt.Errorf("summary: %q is not one of refuse, drop", summary))
		}
	}
	return errs
}

func validateNormalize(ns []NormalizeConfig) []error {
	var errs []error
	for i, n := range ns {
		key := fmt.Sprintf("normalize::%d", i)
		if len(n.Attributes) == 0 {
			errs = append(errs, fmt.Errorf("%s::attributes: must list at least one attribute", key))
		}
		switch n.Kind {
		case NormalizeURLPath, NormalizeErrorClass:
		case NormalizeTemplates:
			if len(n.Templates) == 0 {
				errs = append(errs, fmt.Errorf("%s::templates: kind templates needs at least one template", key))
			}
		default:
			errs = append(errs, fmt.Errorf("%s::kind: %q is not one of url_path, error_class, templates", key, n.Kind))
		}
		for j, t := range n.Templates {
			if _, err := regexp.Compile("^(?:" + t.Regex + ")$"); err != nil {
				errs = append(errs, fmt.Errorf("%s::templates::%d::regex: %w", key, j, err))
			}
		}
	}
	return errs
}

// validateRelabelConfigs returns the first invalid relabel rule as "metric_relabel_configs::<index>: ...".
func validateRelabelConfigs(raw []map[string]any) error {
	if _, err := parseRelabelConfigs(raw); err != nil {
		return fmt.Errorf("metric_relabel_configs::%w", err)
	}
	return nil
}

// parseRelabelConfigs turns the raw maps of metric_relabel_configs into validated Prometheus
// relabel configs. The maps go through YAML so that Prometheus' own UnmarshalYAML applies its
// defaults (action replace, separator ";", regex "(.*)") exactly as in prometheus.yml.
// Errors start with "<index>: " so that callers can prefix the key.
func parseRelabelConfigs(raw []map[string]any) ([]*relabel.Config, error) {
	out := make([]*relabel.Config, 0, len(raw))
	for i, m := range raw {
		b, err := yaml.Marshal(m)
		if err != nil {
			return nil, fmt.Errorf("%d: %w", i, err)
		}
		var rc relabel.Config
		if err := yaml.UnmarshalStrict(b, &rc); err != nil {
			return nil, fmt.Errorf("%d: %w", i, err)
		}
		if err := rc.Validate(model.UTF8Validation); err != nil {
			return nil, fmt.Errorf("%d: %w", i, err)
		}
		out = append(out, &rc)
	}
	return out, nil
}
