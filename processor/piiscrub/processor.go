package piiscrub // import "github.com/otelcol-warden/otelcol-warden/processor/piiscrub"

import (
	"context"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/processor"
)

type scrubProcessor struct {
	cfg *Config
}

func newScrubProcessor(cfg *Config, _ processor.Settings) (*scrubProcessor, error) {
	return &scrubProcessor{cfg: cfg}, nil
}

func (p *scrubProcessor) start(context.Context, component.Host) error { return nil }
func (p *scrubProcessor) shutdown(context.Context) error             { return nil }

func (p *scrubProcessor) processTraces(_ context.Context, td ptrace.Traces) (ptrace.Traces, error) {
	return td, nil
}

func (p *scrubProcessor) processLogs(_ context.Context, ld plog.Logs) (plog.Logs, error) {
	return ld, nil
}

func (p *scrubProcessor) processMetrics(_ context.Context, md pmetric.Metrics) (pmetric.Metrics, error) {
	return md, nil
}
