// Copyright otelcol-warden authors
// SPDX-License-Identifier: Apache-2.0

package usagemeter // import "github.com/otelcol-warden/otelcol-warden/processor/usagemeter"

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"go.opentelemetry.io/collector/component"

	"github.com/otelcol-warden/otelcol-warden/internal/teamid"
	"github.com/otelcol-warden/otelcol-warden/internal/tenantid"

	"github.com/otelcol-warden/otelcol-warden/internal/loglevel"
)

// minBurstBytes is the smallest burst a rate budget accepts: a resource larger than the burst is
// charged in burst-sized steps, and 1 KiB bounds those steps to a few thousand for a 4 MiB resource.
const minBurstBytes = 1024

// OtherTeam receives the usage of teams beyond max_teams.
const OtherTeam = "__other__"

// Config is the usage_meter processor configuration.
type Config struct {
	// TeamAttributes are the resource attributes read, in order, to find a record's team; the first
	// present, valid (or mapped) value wins.
	TeamAttributes []string `mapstructure:"team_attributes"`
	// TeamMapping translates attribute values (namespaces, service names) to teams.
	TeamMapping map[string]string `mapstructure:"team_mapping"`
	// DefaultTeam is the team of resources on which no attribute yields a team.
	DefaultTeam string `mapstructure:"default_team"`
	// MaxTeams bounds the teams tracked (and the label values published); the usage of later teams
	// is counted as __other__.
	MaxTeams int `mapstructure:"max_teams"`

	// Series configures the active-series estimate of metrics.
	Series SeriesConfig `mapstructure:"series"`
	// Prices turn usage into an estimated monthly cost; unset prices cost nothing.
	Prices PricesConfig `mapstructure:"prices"`
	// Report configures the periodic usage and cost report in the log.
	Report ReportConfig `mapstructure:"report"`

	// Budgets hold teams to a volume per signal; teams without an entry are never limited.
	Budgets map[string]TeamBudget `mapstructure:"budgets"`
	// KeepSeverity is the lowest log severity never dropped for budget (TRACE, DEBUG, INFO, WARN,
	// ERROR, FATAL).
	KeepSeverity string `mapstructure:"keep_severity"`

	_ struct{}
}

// SeriesConfig is the sliding window of the active-series estimate.
type SeriesConfig struct {
	// Window is how long a series counts as active after its last data point; made of Buckets sub-windows.
	Window  time.Duration `mapstructure:"window"`
	Buckets int           `mapstructure:"buckets"`
	// MaxTrackedPerTeam bounds the series identities remembered per team that has a metrics budget
	// (to let existing series flow while new ones are refused).
	MaxTrackedPerTeam int `mapstructure:"max_tracked_per_team"`
}

// PricesConfig are list prices; zero means "not priced".
type PricesConfig struct {
	LogsPerGB       float64 `mapstructure:"logs_per_gb"`
	SpansPerMillion float64 `mapstructure:"spans_per_million"`
	SeriesPerMonth  float64 `mapstructure:"series_per_month"`
	// Currency only labels the report.
	Currency string `mapstructure:"currency"`
}

// ReportConfig configures the usage report.
type ReportConfig struct {
	// Interval between reports in the log; 0 disables the report.
	Interval time.Duration `mapstructure:"interval"`
	// TopN teams listed per ranking.
	TopN int `mapstructure:"top_n"`
}

// TeamBudget is one team's budget per signal.
type TeamBudget struct {
	Logs    *SignalBudget `mapstructure:"logs"`
	Metrics *SignalBudget `mapstructure:"metrics"`
	// Traces budgets are measured and reported (utilization, throttled) but never enforced: dropping
	// spans at the agent would break traces.
	Traces *SignalBudget `mapstructure:"traces"`
}

// SignalBudget is a byte rate with a burst, or a daily quota (UTC days), or both.
type SignalBudget struct {
	BytesPerSecond float64 `mapstructure:"bytes_per_second"`
	BurstBytes     int     `mapstructure:"burst_bytes"`
	DailyBytes     int64   `mapstructure:"daily_bytes"`
}

var _ component.Config = (*Config)(nil)

func createDefaultConfig() component.Config {
	return &Config{
		TeamAttributes: []string{"k8s.namespace.name", "service.namespace", "service.name"},
		DefaultTeam:    "unattributed",
		MaxTeams:       200,
		Series:         SeriesConfig{Window: time.Hour, Buckets: 6, MaxTrackedPerTeam: 100_000},
		Report:         ReportConfig{TopN: 5},
		KeepSeverity:   "WARN",
	}
}

// Validate checks the configuration; every message names the offending key.
func (cfg *Config) Validate() error {
	var errs []error
	if len(cfg.TeamAttributes) == 0 {
		errs = append(errs, errors.New("team_attributes: at least one attribute is required"))
	}
	for i, a := range cfg.TeamAttributes {
		if a == "" {
			errs = append(errs, fmt.Errorf("team_attributes[%d]: must not be empty", i))
		}
	}
	errs = append(errs, validTeam("default_team", cfg.DefaultTeam))
	for _, value := range sortedKeys(cfg.TeamMapping) {
		errs = append(errs, validTeam(fmt.Sprintf("team_mapping[%q]", value), cfg.TeamMapping[value]))
	}
	if cfg.MaxTeams < 1 {
		errs = append(errs, fmt.Errorf("max_teams: must be at least 1, got %d", cfg.MaxTeams))
	}
	errs = append(errs, cfg.Series.Validate(), cfg.Prices.Validate(), cfg.Report.Validate())
	if _, ok := loglevel.Lowest(cfg.KeepSeverity); !ok {
		errs = append(errs, fmt.Errorf("keep_severity: %q must be one of TRACE, DEBUG, INFO, WARN, ERROR, FATAL", cfg.KeepSeverity))
	}
	for _, team := range sortedKeys(cfg.Budgets) {
		key := fmt.Sprintf("budgets[%q]", team)
		errs = append(errs, validTeam(key, team))
		b := cfg.Budgets[team]
		errs = append(errs, b.validate(key))
	}
	return errors.Join(errs...)
}

// Validate checks the series window.
func (s *SeriesConfig) Validate() error {
	var errs []error
	if s.Window < time.Second {
		errs = append(errs, fmt.Errorf("series.window: must be at least 1s, got %s", s.Window))
	}
	if s.Buckets < 1 || s.Buckets > 60 {
		errs = append(errs, fmt.Errorf("series.buckets: must be between 1 and 60, got %d", s.Buckets))
	}
	if s.MaxTrackedPerTeam < 1 {
		errs = append(errs, fmt.Errorf("series.max_tracked_per_team: must be at least 1, got %d", s.MaxTrackedPerTeam))
	}
	return errors.Join(errs...)
}

// Validate checks the prices.
func (p *PricesConfig) Validate() error {
	var errs []error
	for key, v := range map[string]float64{"logs_per_gb": p.LogsPerGB, "spans_per_million": p.SpansPerMillion, "series_per_month": p.SeriesPerMonth} {
		if v < 0 || math.IsNaN(v) || math.IsInf(v, 0) {
			errs = append(errs, fmt.Errorf("prices.%s: must be a finite number >= 0, got %v", key, v))
		}
	}
	slices.SortFunc(errs, func(a, b error) int { return strings.Compare(a.Error(), b.Error()) })
	return errors.Join(errs...)
}

// Validate checks the report settings.
func (r *ReportConfig) Validate() error {
	var errs []error
	if r.Interval != 0 && r.Interval < time.Second {
		errs = append(errs, fmt.Errorf("report.interval: must be 0 (off) or at least 1s, got %s", r.Interval))
	}
	if r.TopN < 1 {
		errs = append(errs, fmt.Errorf("report.top_n: must be at least 1, got %d", r.TopN))
	}
	return errors.Join(errs...)
}

func (b *TeamBudget) validate(key string) error {
	if b.Logs == nil && b.Metrics == nil && b.Traces == nil {
		return fmt.Errorf("%s: set a budget for at least one of logs, metrics, traces", key)
	}
	return errors.Join(b.Logs.validate(key+".logs"), b.Metrics.validate(key+".metrics"), b.Traces.validate(key+".traces"))
}

func (s *SignalBudget) validate(key string) error {
	if s == nil {
		return nil
	}
	var errs []error
	if s.BytesPerSecond < 0 || math.IsNaN(s.BytesPerSecond) || math.IsInf(s.BytesPerSecond, 0) {
		errs = append(errs, fmt.Errorf("%s.bytes_per_second: must be a finite number >= 0, got %v", key, s.BytesPerSecond))
	}
	if s.BurstBytes < 0 || (s.BurstBytes > 0 && s.BurstBytes < minBurstBytes) {
		errs = append(errs, fmt.Errorf("%s.burst_bytes: must be at least %d, got %d", key, minBurstBytes, s.BurstBytes))
	}
	if s.BytesPerSecond > 0 && s.BurstBytes == 0 {
		errs = append(errs, fmt.Errorf("%s.burst_bytes: must be set with bytes_per_second (the largest resource or record a team may send at once)", key))
	}
	if s.BytesPerSecond == 0 && s.BurstBytes > 0 {
		errs = append(errs, fmt.Errorf("%s.bytes_per_second: must be set with burst_bytes", key))
	}
	if s.DailyBytes < 0 {
		errs = append(errs, fmt.Errorf("%s.daily_bytes: must be >= 0, got %d", key, s.DailyBytes))
	}
	if s.BytesPerSecond == 0 && s.DailyBytes == 0 {
		errs = append(errs, fmt.Errorf("%s: set bytes_per_second (with burst_bytes) or daily_bytes", key))
	}
	return errors.Join(errs...)
}

func validTeam(key, team string) error {
	if r := teamid.Validate(team); r != tenantid.OK {
		return fmt.Errorf("%s: %q is not a valid team (%s)", key, team, teamid.ReasonName(r))
	}
	if team == OtherTeam {
		return fmt.Errorf("%s: %q is reserved for the teams beyond max_teams", key, team)
	}
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
