package cardinalityguard // import "github.com/otelcol-warden/otelcol-warden/processor/cardinalityguard"

import (
	"context"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/processor"
)

// guard is the cardinality_guard processor. Skeleton: forwards data unchanged until the steps land.
type guard struct {
	cfg  *Config
	next consumer.Metrics
}

func newGuard(cfg *Config, _ processor.Settings, next consumer.Metrics) (*guard, error) {
	return &guard{cfg: cfg, next: next}, nil
}

func (g *guard) Start(context.Context, component.Host) error { return nil }
func (g *guard) Shutdown(context.Context) error              { return nil }
func (g *guard) Capabilities() consumer.Capabilities {
	return consumer.Capabilities{MutatesData: true}
}

func (g *guard) ConsumeMetrics(ctx context.Context, md pmetric.Metrics) error {
	return g.next.ConsumeMetrics(ctx, md)
}
