// Copyright otelcol-warden authors
// SPDX-License-Identifier: Apache-2.0

package tailpolicy // import "github.com/otelcol-warden/otelcol-warden/processor/tailpolicy"

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"regexp"
	"slices"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"

	"github.com/otelcol-warden/otelcol-warden/internal/teamid"
	"github.com/otelcol-warden/otelcol-warden/internal/tenantid"
)

// Match says on which spans a rule's OTTL condition is evaluated.
type Match string

const (
	// MatchAnySpan: the condition holds for the trace if it holds on any of its spans.
	MatchAnySpan Match = "any_span"
	// MatchRootSpan: the condition is evaluated on the root span only.
	MatchRootSpan Match = "root_span"
)

// RuleConfig is one sampling rule. Its predicates are combined with AND; a
// rule without any predicate is the catch-all and must be the last rule.
type RuleConfig struct {
	// Name is written to every kept span as the `sampling.rule` attribute.
	Name string `mapstructure:"name"`
	// Probability of keeping a matched trace, in [0, 1]. 0 drops, 1 keeps (th:0).
	Probability *float64 `mapstructure:"probability"`

	// Condition is an OTTL boolean expression in the span context.
	Condition string `mapstructure:"condition"`
	// Match selects the spans the Condition is evaluated on (any_span or root_span).
	Match Match `mapstructure:"match"`

	// Error matches traces with a span in error (see Config.Error).
	Error bool `mapstructure:"error"`
	// Synthetic matches traces with a synthetic-monitor span (see Config.Synthetic).
	Synthetic bool `mapstructure:"synthetic"`
	// Routes matches traces whose route (http.route, else the normalised url.path of
	// the root span) contains one of these entries as a whole path segment, or starts
	// with an entry that begins with "/".
	Routes []string `mapstructure:"routes"`
	// LatencyOver matches traces whose duration (root span, else first start to last
	// end) exceeds this value.
	LatencyOver time.Duration `mapstructure:"latency_over"`
	// SlowerThanBaseline matches traces whose root duration exceeds the learned
	// baseline quantile of their (service, route, span kind).
	SlowerThanBaseline bool `mapstructure:"slower_than_baseline"`

	_ struct{}
}

func (r RuleConfig) isCatchAll() bool {
	return r.Condition == "" && !r.Error && !r.Synthetic && len(r.Routes) == 0 &&
		r.LatencyOver == 0 && !r.SlowerThanBaseline
}

// ErrorConfig defines the `error` shorthand.
type ErrorConfig struct {
	// HTTPStatusMin: a span whose http.response.status_code (or http.status_code)
	// is at least this value is an error span. 0 disables the HTTP check.
	HTTPStatusMin int64 `mapstructure:"http_status_min"`
}

// SyntheticConfig defines the `synthetic` shorthand.
type SyntheticConfig struct {
	// AttributeKeys: a span or resource attribute with one of these keys and a true
	// or non-empty value marks the trace as synthetic.
	AttributeKeys []string `mapstructure:"attribute_keys"`
	// UserAgentPatterns: regular expressions matched anywhere in
	// user_agent.original or http.user_agent. Literals and alternations of
	// literals, optionally case-insensitive as a whole, are matched by a literal
	// search with the same verdicts (useragent.go); other forms use regexp.
	UserAgentPatterns []string `mapstructure:"user_agent_patterns"`
}

// BaselineConfig defines the learned per-route latency baseline.
type BaselineConfig struct {
	// Percentile learned per (service, route, span kind), in (0, 1).
	Percentile float64 `mapstructure:"percentile"`
	// Window over which durations are remembered; it rotates in SubWindows steps.
	Window     time.Duration `mapstructure:"window"`
	SubWindows int           `mapstructure:"sub_windows"`
	// MinSamples before a key's baseline is trusted; until then StaticFallback applies.
	MinSamples int `mapstructure:"min_samples"`
	// MaxRoutes caps the keys tracked; further keys share one overflow bucket.
	MaxRoutes int `mapstructure:"max_routes"`
	// StaticFallback is the threshold used while a key is not armed.
	StaticFallback time.Duration `mapstructure:"static_fallback"`
	// RelativeAccuracy of the DDSketch quantiles.
	RelativeAccuracy float64 `mapstructure:"relative_accuracy"`
	// MetricsRoutes bounds how many keys (the busiest armed ones) are exported as metrics.
	MetricsRoutes int `mapstructure:"metrics_routes"`
	// LogInterval between log summaries of the baselines (0 disables).
	LogInterval time.Duration `mapstructure:"log_interval"`
}

// MemoryConfig bounds the span buffer in bytes.
type MemoryConfig struct {
	// LimitBytes is the budget for buffered spans (estimated per span). At the limit
	// new spans are refused with a retryable error.
	LimitBytes int64 `mapstructure:"limit_bytes"`
	// HeapLimitBytes optionally also checks the live Go heap against a limit; the
	// higher of the two fill ratios drives the overload state. 0 disables.
	HeapLimitBytes int64 `mapstructure:"heap_limit_bytes"`
	// CompactPercent: at or above this fill, newly buffered spans are held in the
	// compact encoding (a quarter to a third of the heap of pdata, at a CPU cost);
	// below it they stay as received. 0 (the default) always compacts, 100 never.
	CompactPercent int `mapstructure:"compact_percent"`
	// EvictPercent: above this fill, traces are decided early (heaviest/oldest first).
	EvictPercent int `mapstructure:"evict_percent"`
	// HighWaterPercent: above this fill, new traces get stateless per-span decisions.
	HighWaterPercent int `mapstructure:"high_water_percent"`
	// LowWaterPercent: stateless mode ends once fill stays below this for MinOverloadDuration.
	LowWaterPercent     int           `mapstructure:"low_water_percent"`
	MinOverloadDuration time.Duration `mapstructure:"min_overload_duration"`
	// OverloadProbability keeps this fraction of non-error spans in stateless mode,
	// decided from trace randomness so that all spans of a trace agree.
	OverloadProbability float64 `mapstructure:"overload_probability"`
}

// DecisionCacheConfig sizes the caches that late spans consult.
type DecisionCacheConfig struct {
	// KeptTraces is the exact LRU capacity of kept trace decisions (with th and rule).
	KeptTraces int `mapstructure:"kept_traces"`
	// DroppedTraces is the capacity of one generation of the dropped-trace filter.
	DroppedTraces int `mapstructure:"dropped_traces"`
	// DroppedWindow is how long a dropped decision is remembered at least; the filter
	// rotates its two generations every DroppedWindow.
	DroppedWindow time.Duration `mapstructure:"dropped_window"`
}

// BudgetConfig optionally caps kept spans per second by scaling probabilistic rules.
type BudgetConfig struct {
	// SpansPerSecond kept; 0 disables. Rules with probability 1 or 0 are never scaled.
	SpansPerSecond float64 `mapstructure:"spans_per_second"`
}

// Config is the tail_policy processor configuration.
type Config struct {
	Rules []RuleConfig `mapstructure:"rules"`

	// DecisionDelay after the root span is seen before deciding.
	DecisionDelay time.Duration `mapstructure:"decision_delay"`
	// TraceTimeout from a trace's first span; never extended.
	TraceTimeout time.Duration `mapstructure:"trace_timeout"`
	// SpanLimit per trace: reaching it decides at once; later spans follow the decision.
	SpanLimit int `mapstructure:"span_limit"`
	// Workers (shards by trace id); 0 means GOMAXPROCS.
	Workers int `mapstructure:"workers"`
	// QueueSize is the number of batches each worker's input queue holds.
	QueueSize int `mapstructure:"queue_size"`
	// IngestTimeout bounds how long ConsumeTraces waits for a full worker queue
	// before refusing with a retryable error.
	IngestTimeout time.Duration `mapstructure:"ingest_timeout"`
	// ForwardTimeout bounds each call to the next consumer.
	ForwardTimeout time.Duration `mapstructure:"forward_timeout"`
	// MaxClockSkew: spans ending further than this in the future are counted as skewed.
	MaxClockSkew time.Duration `mapstructure:"max_clock_skew"`

	Error         ErrorConfig         `mapstructure:"error"`
	Synthetic     SyntheticConfig     `mapstructure:"synthetic"`
	Baseline      BaselineConfig      `mapstructure:"baseline"`
	Memory        MemoryConfig        `mapstructure:"memory"`
	DecisionCache DecisionCacheConfig `mapstructure:"decision_cache"`
	Budget        BudgetConfig        `mapstructure:"budget"`
	TeamBudgets   TeamBudgetsConfig   `mapstructure:"team_budgets"`
	WAL           WALConfig           `mapstructure:"wal"`

	_ struct{}
}

var _ component.Config = (*Config)(nil)

// The collector validates configuration with confmap.Validate, which calls
// Validate on every nested struct and prefixes each error with the key path
// ("memory: limit_bytes: ..."). Each Validate below names keys relative to its
// own struct, in field order, so messages have one style and a stable order.

// configErrors collects the problems of one struct, each naming its key.
type configErrors []error

func (e *configErrors) add(key, format string, args ...any) {
	*e = append(*e, fmt.Errorf("%s: "+format, append([]any{key}, args...)...))
}

func (e *configErrors) positive(key string, d time.Duration) {
	if d <= 0 {
		e.add(key, "must be positive, got %v", d)
	}
}

func (e *configErrors) atLeast(key string, v, least int) {
	if v < least {
		e.add(key, "must be at least %d, got %d", least, v)
	}
}

func (e *configErrors) notNegative(key string, v float64) {
	if v < 0 {
		e.add(key, "must not be negative, got %v", v)
	}
}

func (e configErrors) join() error { return errors.Join(e...) }

// Validate checks the top-level keys and what concerns the rule list as a
// whole; each rule, and each nested section, validates itself.
func (cfg *Config) Validate() error {
	var errs configErrors
	errs.validateRuleList(cfg.Rules)
	errs.positive("decision_delay", cfg.DecisionDelay)
	errs.positive("trace_timeout", cfg.TraceTimeout)
	if cfg.DecisionDelay > cfg.TraceTimeout {
		errs.add("decision_delay", "%v must not exceed trace_timeout %v", cfg.DecisionDelay, cfg.TraceTimeout)
	}
	errs.atLeast("span_limit", cfg.SpanLimit, 1)
	errs.atLeast("workers", cfg.Workers, 0)
	errs.atLeast("queue_size", cfg.QueueSize, 1)
	errs.positive("ingest_timeout", cfg.IngestTimeout)
	errs.positive("forward_timeout", cfg.ForwardTimeout)
	errs.positive("max_clock_skew", cfg.MaxClockSkew)
	return errs.join()
}

// validateRuleList checks the rules' names are unique and that exactly the
// last rule is the catch-all.
func (e *configErrors) validateRuleList(rules []RuleConfig) {
	if len(rules) == 0 {
		e.add("rules", "at least one rule is required, and the last one must be a catch-all (no condition)")
		return
	}
	if len(rules) > maxRules {
		e.add("rules", "%d rules configured, at most %d are supported", len(rules), maxRules)
	}
	names := map[string]bool{}
	for i, r := range rules {
		key := fmt.Sprintf("rules::%d", i)
		if r.Name != "" && names[r.Name] {
			e.add(key, "name: %q is used by an earlier rule", r.Name)
		}
		names[r.Name] = true
		if r.isCatchAll() && i != len(rules)-1 {
			e.add(key, "%q has no condition, so the rules after it can never match; the catch-all must be last", r.Name)
		}
	}
	if last := len(rules) - 1; !rules[last].isCatchAll() {
		e.add(fmt.Sprintf("rules::%d", last), "the last rule %q must be a catch-all (no condition) so that every trace gets a decision", rules[last].Name)
	}
}

// Validate checks one rule on its own.
func (r *RuleConfig) Validate() error {
	var errs configErrors
	switch {
	case r.Name == "":
		errs.add("name", "must not be empty")
	case r.Name[0] == '_':
		errs.add("name", "%q: names starting with '_' are reserved", r.Name)
	case r.Name == ruleRetroactive:
		errs.add("name", "%q is reserved for traces kept from retention after they were dropped", r.Name)
	}
	if r.Probability == nil {
		errs.add("probability", "required (0 to drop, 1 to keep everything)")
	} else if p := *r.Probability; !(p >= 0 && p <= 1) {
		errs.add("probability", "%v is outside [0, 1]", p)
	}
	if r.Condition != "" {
		if _, err := parseCondition(r.Condition, componenttest.NewNopTelemetrySettings()); err != nil {
			errs.add("condition", "%w", err)
		}
	}
	switch r.Match {
	case "", MatchAnySpan, MatchRootSpan:
	default:
		errs.add("match", "%q must be %q or %q", r.Match, MatchAnySpan, MatchRootSpan)
	}
	for j, route := range r.Routes {
		if route == "" {
			errs.add(fmt.Sprintf("routes::%d", j), "must not be empty")
		}
	}
	if r.LatencyOver < 0 {
		errs.add("latency_over", "must not be negative, got %v", r.LatencyOver)
	}
	return errs.join()
}

// Validate checks the error shorthand.
func (c *ErrorConfig) Validate() error {
	var errs configErrors
	if c.HTTPStatusMin < 0 || c.HTTPStatusMin > 999 {
		errs.add("http_status_min", "%d is not an HTTP status (0 disables)", c.HTTPStatusMin)
	}
	return errs.join()
}

// Validate checks that every user-agent pattern compiles.
func (c *SyntheticConfig) Validate() error {
	var errs configErrors
	for i, p := range c.UserAgentPatterns {
		if _, err := regexp.Compile(p); err != nil {
			errs.add(fmt.Sprintf("user_agent_patterns::%d", i), "%w", err)
		}
	}
	return errs.join()
}

// Validate checks the latency baseline.
func (b *BaselineConfig) Validate() error {
	var errs configErrors
	if !(b.Percentile > 0 && b.Percentile < 1) {
		errs.add("percentile", "%v must be in (0, 1)", b.Percentile)
	}
	errs.positive("window", b.Window)
	errs.atLeast("sub_windows", b.SubWindows, 2)
	errs.atLeast("min_samples", b.MinSamples, 1)
	errs.atLeast("max_routes", b.MaxRoutes, 1)
	errs.positive("static_fallback", b.StaticFallback)
	if !(b.RelativeAccuracy > 0 && b.RelativeAccuracy < 1) {
		errs.add("relative_accuracy", "%v must be in (0, 1)", b.RelativeAccuracy)
	}
	errs.atLeast("metrics_routes", b.MetricsRoutes, 0)
	if b.LogInterval < 0 {
		errs.add("log_interval", "must not be negative, got %v", b.LogInterval)
	}
	return errs.join()
}

// Validate checks the memory budget and its marks.
func (m *MemoryConfig) Validate() error {
	var errs configErrors
	if m.LimitBytes < 1<<20 {
		errs.add("limit_bytes", "%d is below the minimum of 1 MiB", m.LimitBytes)
	}
	if m.HeapLimitBytes < 0 {
		errs.add("heap_limit_bytes", "must not be negative, got %d", m.HeapLimitBytes)
	}
	if !(0 <= m.CompactPercent && m.CompactPercent <= 100) {
		errs.add("compact_percent", "%d must be in [0, 100]", m.CompactPercent)
	}
	if !(0 < m.EvictPercent && m.EvictPercent <= m.HighWaterPercent) {
		errs.add("evict_percent", "%d must be in (0, high_water_percent=%d]", m.EvictPercent, m.HighWaterPercent)
	}
	if !(0 < m.LowWaterPercent && m.LowWaterPercent < m.HighWaterPercent && m.HighWaterPercent < 100) {
		errs.add("low_water_percent", "need 0 < low_water_percent (%d) < high_water_percent (%d) < 100", m.LowWaterPercent, m.HighWaterPercent)
	}
	if m.MinOverloadDuration < 0 {
		errs.add("min_overload_duration", "must not be negative, got %v", m.MinOverloadDuration)
	}
	if !(m.OverloadProbability >= 0 && m.OverloadProbability <= 1) {
		errs.add("overload_probability", "%v is outside [0, 1]", m.OverloadProbability)
	}
	return errs.join()
}

// Validate checks the decision caches.
func (c *DecisionCacheConfig) Validate() error {
	var errs configErrors
	errs.atLeast("kept_traces", c.KeptTraces, 1)
	errs.atLeast("dropped_traces", c.DroppedTraces, 1)
	errs.positive("dropped_window", c.DroppedWindow)
	return errs.join()
}

// Validate checks the throughput budget.
func (c *BudgetConfig) Validate() error {
	var errs configErrors
	errs.notNegative("spans_per_second", c.SpansPerSecond)
	return errs.join()
}

// TeamBudgetsConfig optionally gives teams their own kept-spans budget: a team
// over its budget has only its own probabilistic rules scaled (team.go). A
// trace's team is resolved from its root span's resource (else its first
// span's) with usage_meter's rules.
type TeamBudgetsConfig struct {
	// TeamAttributes are read in order; the first string value that is mapped or
	// a valid team wins.
	TeamAttributes []string `mapstructure:"team_attributes"`
	// TeamMapping translates attribute values (namespaces, service names) to teams.
	TeamMapping map[string]string `mapstructure:"team_mapping"`
	// DefaultTeam is the team of resources on which no attribute yields a team.
	DefaultTeam string `mapstructure:"default_team"`
	// Teams maps a team to its kept spans per second; teams not listed are never
	// limited per team. Empty disables team budgets.
	Teams map[string]float64 `mapstructure:"teams"`
}

// Validate checks the team budgets, naming each offending key.
func (c *TeamBudgetsConfig) Validate() error {
	var errs configErrors
	if len(c.Teams) == 0 {
		return nil
	}
	if len(c.TeamAttributes) == 0 {
		errs.add("team_attributes", "at least one attribute is required when teams are set")
	}
	for i, a := range c.TeamAttributes {
		if a == "" {
			errs.add(fmt.Sprintf("team_attributes::%d", i), "must not be empty")
		}
	}
	errs.validTeam("default_team", c.DefaultTeam)
	for _, v := range slices.Sorted(maps.Keys(c.TeamMapping)) {
		errs.validTeam(fmt.Sprintf("team_mapping::%s", v), c.TeamMapping[v])
	}
	for _, team := range slices.Sorted(maps.Keys(c.Teams)) {
		key := fmt.Sprintf("teams::%s", team)
		errs.validTeam(key, team)
		if b := c.Teams[team]; !(b > 0) || math.IsInf(b, 1) {
			errs.add(key, "spans per second must be positive and finite, got %v", b)
		}
	}
	return errs.join()
}

func (e *configErrors) validTeam(key, team string) {
	if r := teamid.Validate(team); r != tenantid.OK {
		e.add(key, "%q is not a valid team: %s", team, teamid.ReasonName(r))
	}
}
