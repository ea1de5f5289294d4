// Copyright otelcol-warden authors
// SPDX-License-Identifier: Apache-2.0

//go:generate go tool mdatagen metadata.yaml

package tailpolicy // import "github.com/otelcol-warden/otelcol-warden/processor/tailpolicy"

import (
	"context"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/processor"

	"github.com/otelcol-warden/otelcol-warden/processor/tailpolicy/internal/metadata"
)

// NewFactory returns the tail_policy processor factory.
func NewFactory() processor.Factory {
	return processor.NewFactory(
		metadata.Type,
		createDefaultConfig,
		processor.WithTraces(createTracesProcessor, metadata.TracesStability),
	)
}

func probability(p float64) *float64 { return &p }

// defaultRules is the out-of-the-box policy: errors, slow-for-their-route and
// synthetic traces in full, high-value routes at 50%, the rest at 5%.
func defaultRules() []RuleConfig {
	return []RuleConfig{
		{Name: "errors", Probability: probability(1), Error: true},
		{Name: "slow", Probability: probability(1), SlowerThanBaseline: true},
		{Name: "synthetic", Probability: probability(1), Synthetic: true},
		{Name: "high_value", Probability: probability(0.5), Routes: []string{"checkout", "payment", "auth"}},
		{Name: "default", Probability: probability(0.05)},
	}
}

func createDefaultConfig() component.Config {
	return &Config{
		Rules:          defaultRules(),
		DecisionDelay:  2 * time.Second,
		TraceTimeout:   30 * time.Second,
		SpanLimit:      10_000,
		QueueSize:      256,
		IngestTimeout:  5 * time.Second,
		ForwardTimeout: 10 * time.Second,
		MaxClockSkew:   5 * time.Minute,
		Error:          ErrorConfig{HTTPStatusMin: 500},
		Synthetic: SyntheticConfig{
			AttributeKeys:     []string{"synthetic", "synthetic.monitor"},
			UserAgentPatterns: []string{`(?i)synthetic|pingdom|uptimerobot|checkly|site24x7|datadogsynthetics|statuscake`},
		},
		Baseline: BaselineConfig{
			Percentile:       0.95,
			Window:           10 * time.Minute,
			SubWindows:       10,
			MinSamples:       100,
			MaxRoutes:        2000,
			StaticFallback:   2 * time.Second,
			RelativeAccuracy: 0.01,
			MetricsRoutes:    20,
			LogInterval:      5 * time.Minute,
		},
		Memory: MemoryConfig{
			LimitBytes:          512 << 20,
			CompactPercent:      0,
			EvictPercent:        75,
			HighWaterPercent:    90,
			LowWaterPercent:     75,
			MinOverloadDuration: 10 * time.Second,
			OverloadProbability: 0.05,
		},
		DecisionCache: DecisionCacheConfig{
			KeptTraces:    100_000,
			DroppedTraces: 1_000_000,
			DroppedWindow: 2 * time.Minute,
		},
		TeamBudgets: TeamBudgetsConfig{
			TeamAttributes: []string{"k8s.namespace.name", "service.namespace", "service.name"},
			DefaultTeam:    "unattributed",
		},
		WAL: defaultWALConfig(),
	}
}

func createTracesProcessor(
	_ context.Context,
	set processor.Settings,
	cfg component.Config,
	next consumer.Traces,
) (processor.Traces, error) {
	return newTailPolicy(set, cfg.(*Config), next, realClock{})
}
