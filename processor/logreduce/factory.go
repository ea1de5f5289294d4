//go:generate go tool mdatagen metadata.yaml

// Package logreduce implements the log_reduce processor: it mines a template for every log message
// and, in reduce mode, replaces repetitions beyond the first few per window with one summary record
// that carries their exact count. See README.md.
package logreduce // import "github.com/otelcol-warden/otelcol-warden/processor/logreduce"

import (
	"context"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/processor"

	"github.com/otelcol-warden/otelcol-warden/processor/logreduce/internal/metadata"
)

// NewFactory returns the factory of the log_reduce processor.
func NewFactory() processor.Factory {
	return processor.NewFactory(
		metadata.Type,
		createDefaultConfig,
		processor.WithLogs(createLogsProcessor, metadata.LogsStability),
	)
}

func createLogsProcessor(_ context.Context, set processor.Settings, cfg component.Config, next consumer.Logs) (processor.Logs, error) {
	return newReducer(cfg.(*Config), set, next)
}
