// Copyright otelcol-warden authors
// SPDX-License-Identifier: Apache-2.0

package tenantrouter // import "github.com/otelcol-warden/otelcol-warden/exporter/tenantrouter"

import (
	"context"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/exporter/exporterhelper"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// tracesExporter, metricsExporter and logsExporter give the generic router the per-signal method names.
type tracesExporter struct{ *router[ptrace.Traces] }

func (e tracesExporter) ConsumeTraces(ctx context.Context, td ptrace.Traces) error {
	return e.consume(ctx, td)
}

type metricsExporter struct{ *router[pmetric.Metrics] }

func (e metricsExporter) ConsumeMetrics(ctx context.Context, md pmetric.Metrics) error {
	return e.consume(ctx, md)
}

type logsExporter struct{ *router[plog.Logs] }

func (e logsExporter) ConsumeLogs(ctx context.Context, ld plog.Logs) error {
	return e.consume(ctx, ld)
}

func newTracesExporter(set exporter.Settings, cfg *Config) (exporter.Traces, error) {
	r, err := newRouter(set, cfg, tracesOps, cfg.TracesEndpoint)
	if err != nil {
		return nil, err
	}
	return tracesExporter{r}, nil
}

func newMetricsExporter(set exporter.Settings, cfg *Config) (exporter.Metrics, error) {
	r, err := newRouter(set, cfg, metricsOps, cfg.MetricsEndpoint)
	if err != nil {
		return nil, err
	}
	return metricsExporter{r}, nil
}

func newLogsExporter(set exporter.Settings, cfg *Config) (exporter.Logs, error) {
	r, err := newRouter(set, cfg, logsOps, cfg.LogsEndpoint)
	if err != nil {
		return nil, err
	}
	return logsExporter{r}, nil
}

var tracesOps = signalOps[ptrace.Traces]{
	name:    "traces",
	newData: ptrace.NewTraces,
	count:   ptrace.Traces.SpanCount,
	split:   splitTraces,
	moveAll: func(from, to ptrace.Traces) { from.ResourceSpans().MoveAndAppendTo(to.ResourceSpans()) },
	newHelper: func(ctx context.Context, set exporter.Settings, cfg component.Config, push func(context.Context, ptrace.Traces) error, opts ...exporterhelper.Option) (component.Component, func(context.Context, ptrace.Traces) error, error) {
		e, err := exporterhelper.NewTraces(ctx, set, cfg, push, opts...)
		if err != nil {
			return nil, nil, err
		}
		return e, e.ConsumeTraces, nil
	},
	newOTLPHTTP: func(ctx context.Context, set exporter.Settings, cfg component.Config) (component.Component, func(context.Context, ptrace.Traces) error, error) {
		e, err := otlpHTTPFactory.CreateTraces(ctx, set, cfg)
		if err != nil {
			return nil, nil, err
		}
		return e, e.ConsumeTraces, nil
	},
	partialError: func(err error, td ptrace.Traces) error { return consumererror.NewTraces(err, td) },
}

var metricsOps = signalOps[pmetric.Metrics]{
	name:    "metrics",
	newData: pmetric.NewMetrics,
	count:   pmetric.Metrics.DataPointCount,
	split:   splitMetrics,
	moveAll: func(from, to pmetric.Metrics) { from.ResourceMetrics().MoveAndAppendTo(to.ResourceMetrics()) },
	newHelper: func(ctx context.Context, set exporter.Settings, cfg component.Config, push func(context.Context, pmetric.Metrics) error, opts ...exporterhelper.Option) (component.Component, func(context.Context, pmetric.Metrics) error, error) {
		e, err := exporterhelper.NewMetrics(ctx, set, cfg, push, opts...)
		if err != nil {
			return nil, nil, err
		}
		return e, e.ConsumeMetrics, nil
	},
	newOTLPHTTP: func(ctx context.Context, set exporter.Settings, cfg component.Config) (component.Component, func(context.Context, pmetric.Metrics) error, error) {
		e, err := otlpHTTPFactory.CreateMetrics(ctx, set, cfg)
		if err != nil {
			return nil, nil, err
		}
		return e, e.ConsumeMetrics, nil
	},
	partialError: func(err error, md pmetric.Metrics) error { return consumererror.NewMetrics(err, md) },
}

var logsOps = signalOps[plog.Logs]{
	name:    "logs",
	newData: plog.NewLogs,
	count:   plog.Logs.LogRecordCount,
	split:   splitLogs,
	moveAll: func(from, to plog.Logs) { from.ResourceLogs().MoveAndAppendTo(to.ResourceLogs()) },
	newHelper: func(ctx context.Context, set exporter.Settings, cfg component.Config, push func(context.Context, plog.Logs) error, opts ...exporterhelper.Option) (component.Component, func(context.Context, plog.Logs) error, error) {
		e, err := exporterhelper.NewLogs(ctx, set, cfg, push, opts...)
		if err != nil {
			return nil, nil, err
		}
		return e, e.ConsumeLogs, nil
	},
	newOTLPHTTP: func(ctx context.Context, set exporter.Settings, cfg component.Config) (component.Component, func(context.Context, plog.Logs) error, error) {
		e, err := otlpHTTPFactory.CreateLogs(ctx, set, cfg)
		if err != nil {
			return nil, nil, err
		}
		return e, e.ConsumeLogs, nil
	},
	partialError: func(err error, ld plog.Logs) error { return consumererror.NewLogs(err, ld) },
}
