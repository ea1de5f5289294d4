// Copyright otelcol-warden authors
// SPDX-License-Identifier: Apache-2.0

//go:generate go tool mdatagen metadata.yaml

// Package usagemeter implements the usage_meter processor: it counts records and OTLP bytes per
// team and signal, estimates active series, prices usage and holds teams to budgets. See README.md.
package usagemeter // import "github.com/otelcol-warden/otelcol-warden/processor/usagemeter"

import (
	"context"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/processor"

	"github.com/otelcol-warden/otelcol-warden/processor/usagemeter/internal/metadata"
)

// NewFactory returns the factory of the usage_meter processor.
func NewFactory() processor.Factory {
	return processor.NewFactory(
		metadata.Type,
		createDefaultConfig,
		processor.WithTraces(createTraces, metadata.TracesStability),
		processor.WithLogs(createLogs, metadata.LogsStability),
		processor.WithMetrics(createMetrics, metadata.MetricsStability),
	)
}

func createTraces(_ context.Context, set processor.Settings, cfg component.Config, next consumer.Traces) (processor.Traces, error) {
	return newTracesMeter(set, cfg.(*Config), next)
}

func createLogs(_ context.Context, set processor.Settings, cfg component.Config, next consumer.Logs) (processor.Logs, error) {
	return newLogsMeter(set, cfg.(*Config), next)
}

func createMetrics(_ context.Context, set processor.Settings, cfg component.Config, next consumer.Metrics) (processor.Metrics, error) {
	return newMetricsMeter(set, cfg.(*Config), next)
}
