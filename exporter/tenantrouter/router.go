// Copyright otelcol-warden authors
// SPDX-License-Identifier: Apache-2.0

package tenantrouter // import "github.com/otelcol-warden/otelcol-warden/exporter/tenantrouter"

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"runtime"
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
)

// signalOps is what the router needs to know about one signal's pdata type.
type signalOps[T any] struct {
	name      string // "traces", "metrics" or "logs": the URL path segment
	newData   func() T
	count     func(T) int
	split     func(T, *batch[T])
	marshal   func(T) ([]byte, error)
	moveAll   func(from, to T)
	newHelper func(ctx context.Context, set exporter.Settings, cfg component.Config, push func(context.Context, T) error, opts ...exporterhelper.Option) (component.Component, func(context.Context, T) error, error)
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
	sender    *otlpSender
	telemetry *metadata.TelemetryBuilder
	queued    bool

	// attribute sets of the batch-level counters, built once.
	rejectedAttrs                                                  [rejectReasonCount]metric.MeasurementOption
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
		cfg:       cfg,
		set:       set,
		sig:       sig,
		resolver:  newResolver(cfg),
		telemetry: tb,
		queued:    cfg.QueueConfig.HasValue(),
		sender: &otlpSender{
			url:       endpoint,
			header:    cfg.Header,
			userAgent: fmt.Sprintf("%s/%s (%s/%s)", set.BuildInfo.Description, set.BuildInfo.Version, runtime.GOOS, runtime.GOARCH),
			telemetry: tb,
		},
		droppedNoTenant:  reasonAttr("no_tenant"),
		droppedLimit:     reasonAttr("tenant_limit"),
		overflowPerBatch: metric.WithAttributeSet(attribute.NewSet(attribute.String("limit", "per_batch"))),
		overflowTotal:    metric.WithAttributeSet(attribute.NewSet(attribute.String("limit", "total"))),
	}
	for reason := reasonEmpty; reason < rejectReasonCount; reason++ {
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
	client, err := r.cfg.ClientConfig.ToClient(ctx, host.GetExtensions(), r.set.TelemetrySettings)
	if err != nil {
		return fmt.Errorf("tenant_router: building HTTP client: %w", err)
	}
	r.sender.client = client
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
		if r.sender.client != nil {
			r.sender.client.CloseIdleConnections()
		}
		r.telemetry.Shutdown()
	})
	return err
}

func (r *router[T]) Capabilities() consumer.Capabilities {
	// Records are moved, not copied, into the per-tenant parts.
	return consumer.Capabilities{MutatesData: true}
}

// openLane builds one tenant's exporterhelper exporter with the configured queue, retry and timeout.
func (r *router[T]) openLane(ctx context.Context, tenant string, host component.Host) (*lane[T], error) {
	id := laneIdentity{tenant: tenant, attrs: tenantAttrs(tenant)}
	set := r.set
	set.ID = laneID(r.set.ID, tenant)
	set.Logger = r.set.Logger.With(zap.String("tenant", tenant))
	push := func(ctx context.Context, data T) error {
		body, err := r.sig.marshal(data)
		records := r.sig.count(data)
		if err != nil {
			r.telemetry.ExporterTenantRouterRecordsFailed.Add(ctx, int64(records), id.attrs)
			return consumererror.NewPermanent(fmt.Errorf("tenant %q: marshalling OTLP: %w", tenant, err))
		}
		return r.sender.send(ctx, id, body, records)
	}
	helper, consume, err := r.sig.newHelper(ctx, set, r.cfg, push,
		exporterhelper.WithCapabilities(consumer.Capabilities{MutatesData: true}),
		// the http.Client enforces the configured timeout, as in otlp_http.
		exporterhelper.WithTimeout(exporterhelper.TimeoutConfig{Timeout: 0}),
		exporterhelper.WithRetry(r.cfg.RetryConfig),
		exporterhelper.WithQueue(r.cfg.QueueConfig),
	)
	if err != nil {
		return nil, err
	}
	if err := helper.Start(ctx, host); err != nil {
		return nil, err
	}
	return &lane[T]{laneIdentity: id, helper: helper, consume: consume}, nil
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
	for reason := reasonEmpty; reason < rejectReasonCount; reason++ {
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
