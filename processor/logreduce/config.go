package logreduce // import "github.com/otelcol-warden/otelcol-warden/processor/logreduce"

import (
	"errors"
	"fmt"
	"go.opentelemetry.io/collector/component"
	"strings"
	"time"

	"github.com/otelcol-warden/otelcol-warden/processor/logreduce/drain"

	"github.com/otelcol-warden/otelcol-warden/internal/loglevel"
)

// Modes.
const (
	ModeReduce   = "reduce"
	ModeAnnotate = "annotate"
)

// Config is the log_reduce configuration.
type Config struct {
	// Mode is "reduce" (annotate, and fold repetitions into summaries) or "annotate" (only set
	// log.record.template).
	Mode string `mapstructure:"mode"`
	// Window is the period after which every template's first-occurrence budget starts again and its
	// pending summary is emitted.
	Window time.Duration `mapstructure:"window"`
	// KeepFirst records of each template pass in each window.
	KeepFirst int `mapstructure:"keep_first"`
	// KeepSeverity: records at or above it are never suppressed (TRACE, DEBUG, INFO, WARN, ERROR, FATAL).
	KeepSeverity string `mapstructure:"keep_severity"`
	// KeepWhen are OTTL conditions in the log context; a record matching any is never suppressed.
	KeepWhen []string `mapstructure:"keep_when"`
	// GroupBy are the resource attributes whose values key a separate template tree.
	GroupBy []string `mapstructure:"group_by"`
	// MessageKeys: for a map body, the first of these keys holding a string is the message.
	MessageKeys []string `mapstructure:"message_keys"`
	// PartitionAttributes are record attributes whose values split a template's summary (and are
	// copied onto it), so that summaries follow their records when routing reads these attributes.
	PartitionAttributes []string     `mapstructure:"partition_attributes"`
	Limits              LimitsConfig `mapstructure:"limits"`
	Drain               DrainConfig  `mapstructure:"drain"`
	Report              ReportConfig `mapstructure:"report"`
}

// LimitsConfig bounds the processor's memory.
type LimitsConfig struct {
	// MaxTemplatesPerGroup bounds the templates of one group key.
	MaxTemplatesPerGroup int `mapstructure:"max_templates_per_group"`
	// MaxTemplates bounds the templates over all group keys.
	MaxTemplates int `mapstructure:"max_templates"`
	// MaxMessageBytes: longer messages are mined on this prefix.
	MaxMessageBytes int `mapstructure:"max_message_bytes"`
	// MaxTokens: tokens past it are mined as one wildcard.
	MaxTokens int `mapstructure:"max_tokens"`
	// MaxSummariesPerTemplate bounds the pending summaries of one template (one per resource, scope
	// and partition values); past it the oldest is emitted at once.
	MaxSummariesPerTemplate int `mapstructure:"max_summaries_per_template"`
	// MaxServicesInTelemetry bounds the service attribute of the processor's metrics and report.
	MaxServicesInTelemetry int `mapstructure:"max_services_in_telemetry"`
}

// DrainConfig tunes the template tree (He et al., ICWS 2017).
type DrainConfig struct {
	Depth               int     `mapstructure:"depth"`
	SimilarityThreshold float64 `mapstructure:"similarity_threshold"`
	MaxChildren         int     `mapstructure:"max_children"`
}

// ReportConfig configures the periodic savings report in the collector's log.
type ReportConfig struct {
	// Interval between reports; 0 disables them.
	Interval time.Duration `mapstructure:"interval"`
	// TopN templates per service, and services per report.
	TopN int `mapstructure:"top_n"`
	// Shapes: "words" shows each template's value-free shape, "none" only its id and counts.
	Shapes string `mapstructure:"shapes"`
}

func createDefaultConfig() component.Config {
	d := drain.DefaultConfig()
	return &Config{
		Mode:                ModeReduce,
		Window:              time.Minute,
		KeepFirst:           3,
		KeepSeverity:        "WARN",
		GroupBy:             []string{"service.name"},
		MessageKeys:         []string{"message", "msg", "body"},
		PartitionAttributes: []string{"pii.scrubbed"},
		Limits: LimitsConfig{
			MaxTemplatesPerGroup:    1000,
			MaxTemplates:            10000,
			MaxMessageBytes:         4096,
			MaxTokens:               drain.DefaultMaxTokens,
			MaxSummariesPerTemplate: 16,
			MaxServicesInTelemetry:  50,
		},
		Drain:  DrainConfig{Depth: d.Depth, SimilarityThreshold: d.SimThreshold, MaxChildren: d.MaxChildren},
		Report: ReportConfig{Interval: 5 * time.Minute, TopN: 5, Shapes: "words"},
	}
}

// Validate checks the configuration; messages name the key.
func (c *Config) Validate() error {
	var errs []error
	if c.Mode != ModeReduce && c.Mode != ModeAnnotate {
		errs = append(errs, fmt.Errorf("mode: %q is neither %q nor %q", c.Mode, ModeReduce, ModeAnnotate))
	}
	if c.Window <= 0 {
		errs = append(errs, fmt.Errorf("window: must be positive, got %s", c.Window))
	}
	if c.KeepFirst < 0 {
		errs = append(errs, fmt.Errorf("keep_first: must not be negative, got %d", c.KeepFirst))
	}
	if _, ok := loglevel.Lowest(c.KeepSeverity); !ok {
		errs = append(errs, fmt.Errorf("keep_severity: %q is not one of TRACE, DEBUG, INFO, WARN, ERROR, FATAL", c.KeepSeverity))
	}
	for i, k := range c.KeepWhen {
		if strings.TrimSpace(k) == "" {
			errs = append(errs, fmt.Errorf("keep_when[%d]: empty condition", i))
		}
	}
	if len(c.GroupBy) == 0 {
		errs = append(errs, errors.New("group_by: at least one resource attribute is needed (service.name keeps services apart)"))
	}
	errs = append(errs, nonEmpty("group_by", c.GroupBy), nonEmpty("message_keys", c.MessageKeys), nonEmpty("partition_attributes", c.PartitionAttributes))
	errs = append(errs, c.Limits.Validate(), c.Drain.Validate(), c.Report.Validate())
	return errors.Join(errs...)
}

func nonEmpty(key string, list []string) error {
	for i, v := range list {
		if v == "" {
			return fmt.Errorf("%s[%d]: empty name", key, i)
		}
	}
	return nil
}

// Validate checks the limits.
func (l *LimitsConfig) Validate() error {
	var errs []error
	positive := func(key string, v int) {
		if v <= 0 {
			errs = append(errs, fmt.Errorf("limits.%s: must be positive, got %d", key, v))
		}
	}
	positive("max_templates_per_group", l.MaxTemplatesPerGroup)
	positive("max_templates", l.MaxTemplates)
	positive("max_message_bytes", l.MaxMessageBytes)
	positive("max_summaries_per_template", l.MaxSummariesPerTemplate)
	positive("max_services_in_telemetry", l.MaxServicesInTelemetry)
	if l.MaxTokens < 2 {
		errs = append(errs, fmt.Errorf("limits.max_tokens: must be at least 2, got %d", l.MaxTokens))
	}
	if l.MaxTemplatesPerGroup > l.MaxTemplates && l.MaxTemplates > 0 {
		errs = append(errs, fmt.Errorf("limits.max_templates_per_group: %d exceeds limits.max_templates %d", l.MaxTemplatesPerGroup, l.MaxTemplates))
	}
	return errors.Join(errs...)
}

// Validate checks the tree settings.
func (d *DrainConfig) Validate() error {
	var errs []error
	if d.Depth < 3 || d.Depth > 16 {
		errs = append(errs, fmt.Errorf("drain.depth: must be between 3 and 16, got %d", d.Depth))
	}
	if d.SimilarityThreshold <= 0 || d.SimilarityThreshold > 1 {
		errs = append(errs, fmt.Errorf("drain.similarity_threshold: must be in (0, 1], got %v", d.SimilarityThreshold))
	}
	if d.MaxChildren < 2 {
		errs = append(errs, fmt.Errorf("drain.max_children: must be at least 2, got %d", d.MaxChildren))
	}
	return errors.Join(errs...)
}

// Validate checks the report settings.
func (r *ReportConfig) Validate() error {
	if r.Interval < 0 {
		return fmt.Errorf("report.interval: must not be negative, got %s", r.Interval)
	}
	if r.TopN <= 0 {
		return fmt.Errorf("report.top_n: must be positive, got %d", r.TopN)
	}
	if r.Shapes != "words" && r.Shapes != "none" {
		return fmt.Errorf(`report.shapes: %q is neither "words" nor "none"`, r.Shapes)
	}
	return nil
}

func (d DrainConfig) miner(maxTemplates int) drain.Config {
	return drain.Config{Depth: d.Depth, SimThreshold: d.SimilarityThreshold, MaxChildren: d.MaxChildren, MaxTemplates: maxTemplates}
}
