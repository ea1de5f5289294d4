// Copyright otelcol-warden authors
// SPDX-License-Identifier: Apache-2.0

//go:generate go tool mdatagen metadata.yaml

// Package tenantrouter implements the tenant_router exporter: it splits every batch by tenant and sends
// each part as an OTLP/HTTP request carrying that tenant's header, through a queue and retry per tenant.
package tenantrouter // import "github.com/otelcol-warden/otelcol-warden/exporter/tenantrouter"

import (
	"context"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/configcompression"
	"go.opentelemetry.io/collector/config/confighttp"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/config/configretry"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/exporter/exporterhelper"

	"github.com/otelcol-warden/otelcol-warden/exporter/tenantrouter/internal/metadata"
)

const (
	defaultHeader             = "X-Scope-OrgID"
	defaultMaxTenants         = 64
	defaultMaxTenantsPerBatch = 16
)

// NewFactory creates the tenant_router exporter factory.
func NewFactory() exporter.Factory {
	return exporter.NewFactory(
		metadata.Type,
		createDefaultConfig,
		exporter.WithTraces(createTraces, metadata.TracesStability),
		exporter.WithMetrics(createMetrics, metadata.MetricsStability),
		exporter.WithLogs(createLogs, metadata.LogsStability),
	)
}

// createDefaultConfig mirrors otlp_http's client defaults (30 s timeout, gzip, 512 KiB write buffer).
func createDefaultConfig() component.Config {
	clientConfig := confighttp.NewDefaultClientConfig()
	clientConfig.Timeout = 30 * time.Second
	clientConfig.Compression = configcompression.TypeGzip
	clientConfig.WriteBufferSize = 512 * 1024
	return &Config{
		ClientConfig:       clientConfig,
		QueueConfig:        configoptional.Some(exporterhelper.NewDefaultQueueConfig()),
		RetryConfig:        configretry.NewDefaultBackOffConfig(),
		Header:             defaultHeader,
		Unmatched:          UnmatchedDefault,
		MaxTenants:         defaultMaxTenants,
		MaxTenantsPerBatch: defaultMaxTenantsPerBatch,
	}
}

func createTraces(_ context.Context, set exporter.Settings, cfg component.Config) (exporter.Traces, error) {
	return newTracesExporter(set, cfg.(*Config))
}

func createMetrics(_ context.Context, set exporter.Settings, cfg component.Config) (exporter.Metrics, error) {
	return newMetricsExporter(set, cfg.(*Config))
}

func createLogs(_ context.Context, set exporter.Settings, cfg component.Config) (exporter.Logs, error) {
	return newLogsExporter(set, cfg.(*Config))
}
