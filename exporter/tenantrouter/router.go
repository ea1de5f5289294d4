// Copyright otelcol-warden authors
// SPDX-License-Identifier: Apache-2.0

package tenantrouter // import "github.com/otelcol-warden/otelcol-warden/exporter/tenantrouter"

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/exporter/exporterhelper"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.uber.org/zap"

	"github.com/otelcol-warden/otelcol-warden/exporter/tenantrouter/internal/metadata"

	"github.com/otelcol-warden/otelcol-warden/internal/tenantid"
)

// signalOps is what the router needs to know about one signal's pdata type.
type signalOps[T any] struct {
	name      string // "traces", "metrics" or "logs": the URL path segment
	newData   func() T
	count     func(T) int
	split     func(T, *batch[T])
	moveAll   func(from, to T)
	newHelper func(ctx context.Context, set exporter.Settings, cfg component.Config, push func(context.Context, T) error, opts ...exporterhelper.Option) (component.Component, func(context.Context, T) error, error)
	// newOTLPHTTP creates the stock otlp_http exporter of a lane for this signal.
	newOTLPHTTP func(ctx context.Context, set exporter.Settings, cfg component.Config) (component.Component, func(context.Context, T) error, error)
	// partialError wraps an error with the data that may be retried upstream (consumererror.NewLogs ...).
	partialError func(error, T) error
}

// router is the tenant_router exporter for one signal: it splits each batch by tenant and hands each
// part to that tenant's lane.
type router[T any] struct {
	cfg       *Config
	set       exporter.Settings
	sig       signalOps[T]
	resolver  *resolver
	lanes     *laneSet[T]
	endpoint  string // the signal's URL, as otlp_http composes it
	telemetry *metadata.TelemetryBuilder
	queued    bool

	// attribute sets of the batch-level counters, built once.
	rejectedAttrs                                                  [tenantid.ReasonCount]metric.MeasurementOption
	droppedNoTenant, droppedLimit, overflowPerBatch, overflowTotal metric.MeasurementOption

	shutdownOnce sync.Once
}

func newRouter[T any](set exporter.Settings, cfg *Config, sig signalOps[T], signalURL string) (*router[T], error) {
	endpoint, err := composeSignalURL(cfg, signalURL, sig.name)
	if err != nil {
		return nil, err
	}
	tb, err := metadata.NewTelemetryBuilder(set.TelemetrySettings)
	if err != nil {
		return nil, err
	}
	r := &router[T]{
		cfg:              cfg,
		set:              set,
		sig:              sig,
		resolver:         newResolver(cfg),
		telemetry:        tb,
		queued:           cfg.QueueConfig.HasValue(),
		endpoint:         endpoint,
		droppedNoTenant:  reasonAttr("no_tenant"),
		droppedLimit:     reasonAttr("tenant_limit"),
		overflowPerBatch: metric.WithAttributeSet(attribute.NewSet(attribute.String("limit", "per_batch"))),
		overflowTotal:    metric.WithAttributeSet(attribute.NewSet(attribute.String("limit", "total"))),
	}
	for reason := tenantid.Empty; reason < tenantid.ReasonCount; reason++ {
		r.rejectedAttrs[reason] = reasonAttr(reason.String())
	}
	r.lanes = newLaneSet(cfg.MaxTenants, r.openLane, set.Logger)
	return r, nil
}

func reasonAttr(reason string) metric.MeasurementOption {
	return metric.WithAttributeSet(attribute.NewSet(attribute.String("reason", reason)))
}

// composeSignalURL follows otlp_http: the signal's own endpoint, else endpoint + "/v1/<signal>".
func composeSignalURL(cfg *Config, signalURL, signal string) (string, error) {
	if signalURL != "" {
		if _, err := url.Parse(signalURL); err != nil {
			return "", fmt.Errorf("%s_endpoint must be a valid URL: %w", signal, err)
		}
		return signalURL, nil
	}
	if cfg.ClientConfig.Endpoint == "" {
		return "", fmt.Errorf("either endpoint or %s_endpoint must be specified", signal)
	}
	return strings.TrimSuffix(cfg.ClientConfig.Endpoint, "/") + "/v1/" + signal, nil
}

func (r *router[T]) Start(ctx context.Context, host component.Host) error {
	// Each lane's otlp_http builds its own client; building one here makes a bad client setting
	// (TLS files, unknown auth extension) fail start-up even when no lane opens at start.
	client, err := r.cfg.ClientConfig.ToClient(ctx, host.GetExtensions(), r.set.TelemetrySettings)
	if err != nil {
		return fmt.Errorf("tenant_router: building HTTP client: %w", err)
	}
	client.CloseIdleConnections()
	if err := r.telemetry.RegisterExporterTenantRouterTenantsCallback(func(_ context.Context, o metric.Int64Observer) error {
		o.Observe(int64(r.lanes.count()))
		return nil
	}); err != nil {
		return err
	}
	registry, err := openTenantRegistry(ctx, host, r.cfg, r.set.ID, r.sig.name)
	if err != nil {
		return fmt.Errorf("tenant_router: %w", err)
	}
	return r.lanes.start(ctx, host, registry, r.cfg.staticTenants())
}

func (r *router[T]) Shutdown(ctx context.Context) error {
	var err error
	r.shutdownOnce.Do(func() {
		err = r.lanes.shutdown(ctx)
		r.telemetry.Shutdown()
	})
	return err
}

func (r *router[T]) Capabilities() consumer.Capabilities {
	// Records are moved, not copied, into the per-tenant parts.
	return consumer.Capabilities{MutatesData: true}
}

// openLane builds one tenant's lane: its stock otlp_http exporter (see laneexporter.go), wrapped
// in an exporterhelper exporter with the configured queue, retry and timeout.
func (r *router[T]) openLane(ctx context.Context, tenant string, host component.Host) (*lane[T], error) {
	id := laneIdentity{tenant: tenant, attrs: tenantAttrs(tenant)}
	set := r.set
	set.ID = laneID(r.set.ID, tenant)
	set.Logger = r.set.Logger.With(zap.String("tenant", tenant))
	counter := newRequestCounter(r.telemetry, tenant)
	otlp, send, err := r.sig.newOTLPHTTP(ctx, laneExporterSettings(set), laneExporterConfig(r.cfg, r.sig.name, r.endpoint, tenant))
	if err != nil {
		return nil, err
	}
	if err = otlp.Start(ctx, newLaneHost(host, counter)); err != nil {
		return nil, err
	}
	stopOTLP := func(ctx context.Context) error {
		err := otlp.Shutdown(ctx)
		counter.closeIdleConnections()
		return err
	}
	helper, consume, err := r.sig.newHelper(ctx, set, r.cfg, r.countedPush(id, send),
		exporterhelper.WithCapabilities(consumer.Capabilities{MutatesData: true}),
		// the http.Client enforces the configured timeout, as in otlp_http.
		exporterhelper.WithTimeout(exporterhelper.TimeoutConfig{Timeout: 0}),
		exporterhelper.WithRetry(r.cfg.RetryConfig),
		exporterhelper.WithQueue(r.cfg.QueueConfig),
		exporterhelper.WithShutdown(stopOTLP),
	)
	if err != nil {
		return nil, errors.Join(err, stopOTLP(ctx))
	}
	if err := helper.Start(ctx, host); err != nil {
		return nil, errors.Join(err, helper.Shutdown(ctx))
	}
	return &lane[T]{laneIdentity: id, helper: helper, consume: consume}, nil
}

// countedPush sends one request through the lane's otlp_http and counts its records as sent,
// retried (handed back to the lane's retry) or failed (dropped as permanent). Errors name the
// tenant; they keep otlp_http's permanent and throttle (Retry-After) marks.
func (r *router[T]) countedPush(id laneIdentity, send func(context.Context, T) error) func(context.Context, T) error {
	return func(ctx context.Context, data T) error {
		records := int64(r.sig.count(data))
		err := send(ctx, data)
		switch {
		case err == nil:
			r.telemetry.ExporterTenantRouterRecordsSent.Add(ctx, records, id.attrs)
			return nil
		case consumererror.IsPermanent(err):
			r.telemetry.ExporterTenantRouterRecordsFailed.Add(ctx, records, id.attrs)
		default:
			r.telemetry.ExporterTenantRouterRecordsRetried.Add(ctx, records, id.attrs)
		}
		return fmt.Errorf("tenant %q: %w", id.tenant, err)
	}
}

// consume splits one batch by tenant and hands each part to its lane. Parts that fail come back to the
// caller as the data of a consumererror (retryable) or as a permanent error; parts that succeeded are
// never sent again.
func (r *router[T]) consume(ctx context.Context, data T) error {
	if r.sig.count(data) == 0 {
		return nil
	}
	b := r.newBatch(ctx)
	r.sig.split(data, b)
	r.recordTally(ctx, &b.tally)

	errs := make([]error, len(b.parts))
	if r.queued || len(b.parts) == 1 {
		// With a queue, consume only enqueues: no reason to fan out.
		for i := range b.parts {
			errs[i] = b.parts[i].send(ctx)
		}
	} else {
		// Without a queue, a slow tenant must not hold back the others in the same batch.
		var wg sync.WaitGroup
		for i := range b.parts {
			wg.Go(func() { errs[i] = b.parts[i].send(ctx) })
		}
		wg.Wait()
	}

	var retryable, permanent []error
	failed := r.sig.newData()
	for i, err := range errs {
		switch {
		case err == nil:
		case consumererror.IsPermanent(err):
			permanent = append(permanent, err)
		default:
			retryable = append(retryable, err)
			r.sig.moveAll(b.parts[i].data, failed)
		}
	}
	switch {
	case len(retryable) > 0:
		// The permanently rejected parts are already dropped; they stay in the message but must not
		// mark the whole error permanent, or the caller would drop the retryable part too.
		for _, p := range permanent {
			retryable = append(retryable, fmt.Errorf("dropped: %s", p.Error()))
		}
		return r.sig.partialError(errors.Join(retryable...), failed)
	case len(permanent) > 0:
		return consumererror.NewPermanent(errors.Join(permanent...))
	}
	return nil
}

func (p *tenantPart[T]) send(ctx context.Context) error {
	if p.openErr != nil {
		return p.openErr
	}
	return p.lane.consume(ctx, p.data)
}

func (r *router[T]) recordTally(ctx context.Context, t *batchTally) {
	tb := r.telemetry
	for reason := tenantid.Empty; reason < tenantid.ReasonCount; reason++ {
		if n := t.rejected[reason]; n > 0 {
			tb.ExporterTenantRouterTenantValuesRejected.Add(ctx, n, r.rejectedAttrs[reason])
		}
	}
	if t.droppedNoTenant > 0 {
		tb.ExporterTenantRouterRecordsDropped.Add(ctx, t.droppedNoTenant, r.droppedNoTenant)
	}
	if t.droppedLimit > 0 {
		tb.ExporterTenantRouterRecordsDropped.Add(ctx, t.droppedLimit, r.droppedLimit)
	}
	if t.overflowPerBatch > 0 {
		tb.ExporterTenantRouterRecordsOverflowed.Add(ctx, t.overflowPerBatch, r.overflowPerBatch)
	}
	if t.overflowTotal > 0 {
		tb.ExporterTenantRouterRecordsOverflowed.Add(ctx, t.overflowTotal, r.overflowTotal)
	}
}
