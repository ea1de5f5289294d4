//go:generate go tool mdatagen metadata.yaml

// Package cardinalityguard implements the cardinality_guard processor: it keeps metric series
// bounded and re-aggregates colliding series so that rates stay correct. See README.md.
package cardinalityguard // import "github.com/otelcol-warden/otelcol-warden/processor/cardinalityguard"

import (
	"context"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/processor"

	"github.com/otelcol-warden/otelcol-warden/processor/cardinalityguard/internal/metadata"
)

// NewFactory returns the factory of the cardinality_guard processor.
func NewFactory() processor.Factory {
	return processor.NewFactory(
		metadata.Type,
		createDefaultConfig,
		processor.WithMetrics(createMetricsProcessor, metadata.MetricsStability),
	)
}

func createMetricsProcessor(_ context.Context, set processor.Settings, cfg component.Config, next consumer.Metrics) (processor.Metrics, error) {
	return newGuard(cfg.(*Config), set, next)
}
