// Copyright otelcol-warden authors
// SPDX-License-Identifier: Apache-2.0

package tenantrouter // import "github.com/otelcol-warden/otelcol-warden/exporter/tenantrouter"

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.uber.org/multierr"
	"go.uber.org/zap"
)

var (
	errTenantLimit = errors.New("tenant limit reached")
	errShutdown    = errors.New("exporter is shutting down")
)

// rememberTimeout bounds the write of the tenant registry after a new lane opened. The write is best
// effort (a failure only delays that tenant's recovery after a restart), so a slow storage must not
// hold a lane-opening goroutine, and thus Shutdown, for longer than this.
const rememberTimeout = 5 * time.Second

// lane is one tenant's send path: an exporterhelper exporter with its own queue, consumers and retry,
// so a tenant whose backend fails only fills and retries its own queue.
type lane[T any] struct {
	laneIdentity
	helper  component.Component
	consume func(context.Context, T) error
}

// openLane builds and starts the lane of one tenant.
type openLane[T any] func(ctx context.Context, tenant string, host component.Host) (*lane[T], error)

// pendingLane is a lane being opened: callers asking for the same tenant meanwhile wait on done
// instead of opening it a second time; lane and err are set before done is closed.
type pendingLane[T any] struct {
	done chan struct{}
	lane *lane[T]
	err  error
}

// laneSet holds the open lanes, at most max of them, for the life of the exporter.
//
// Opening a lane (exporterhelper Start, which opens the lane's storage client with a persistent queue)
// and recording it in the tenant registry can be slow; neither happens under mu, so the consumers of
// tenants whose lane is open, and the tenants gauge, never wait for a new tenant's lane. A lane being
// opened holds a place in opening, which counts against max, so concurrent opens never exceed it.
type laneSet[T any] struct {
	mu       sync.RWMutex
	lanes    map[string]*lane[T]
	opening  map[string]*pendingLane[T]
	max      int
	host     component.Host
	open     openLane[T]
	registry *tenantRegistry
	logger   *zap.Logger
	closed   bool

	// ctx is the context of lane opens and registry writes; shutdown cancels it and waits for the
	// goroutines opening lanes (inflight) before it closes the registry.
	ctx      context.Context
	cancel   context.CancelFunc
	inflight sync.WaitGroup
}

func newLaneSet[T any](maxLanes int, open openLane[T], logger *zap.Logger) *laneSet[T] {
	ctx, cancel := context.WithCancel(context.Background())
	return &laneSet[T]{
		lanes: map[string]*lane[T]{}, opening: map[string]*pendingLane[T]{},
		max: maxLanes, open: open, logger: logger, ctx: ctx, cancel: cancel,
	}
}

// start opens the lanes of the configured tenants, then those the registry remembers from before a
// restart (as far as max allows), so their persisted queues drain at once.
func (s *laneSet[T]) start(ctx context.Context, host component.Host, registry *tenantRegistry, static []string) error {
	s.mu.Lock()
	s.host = host
	s.registry = registry
	s.mu.Unlock()
	for _, t := range static {
		if _, err := s.get(ctx, t); err != nil {
			return err
		}
	}
	for _, t := range registry.remembered() {
		if _, err := s.get(ctx, t); err != nil && !errors.Is(err, errTenantLimit) {
			return err
		}
	}
	return nil
}

// get returns the tenant's lane, opening it if the bound allows; errTenantLimit otherwise. While the
// lane is being opened, get waits for it or for ctx, whichever comes first; the open itself goes on
// (other batches of the tenant will use the lane) until it finishes or the exporter shuts down.
func (s *laneSet[T]) get(ctx context.Context, tenant string) (*lane[T], error) {
	s.mu.RLock()
	l, ok := s.lanes[tenant]
	s.mu.RUnlock()
	if ok {
		return l, nil
	}

	s.mu.Lock()
	if l, ok = s.lanes[tenant]; ok {
		s.mu.Unlock()
		return l, nil
	}
	p, ok := s.opening[tenant]
	if !ok {
		switch {
		case s.closed:
			s.mu.Unlock()
			return nil, errShutdown
		case s.host == nil:
			s.mu.Unlock()
			return nil, errors.New("exporter not started")
		case len(s.lanes)+len(s.opening) >= s.max:
			s.mu.Unlock()
			return nil, errTenantLimit
		}
		p = &pendingLane[T]{done: make(chan struct{})}
		s.opening[tenant] = p
		s.inflight.Add(1)
		go s.openPending(tenant, p, s.host)
	}
	s.mu.Unlock()

	select {
	case <-p.done:
		return p.lane, p.err
	case <-ctx.Done():
		return nil, fmt.Errorf("waiting for the send lane of tenant %q: %w", tenant, context.Cause(ctx))
	}
}

// openPending opens one tenant's lane outside the lock, then publishes it (or its error) to the lane
// set and to the callers waiting on p.done, and records the tenant in the persistent registry.
func (s *laneSet[T]) openPending(tenant string, p *pendingLane[T], host component.Host) {
	defer s.inflight.Done()
	l, err := s.open(s.ctx, tenant, host)
	if err != nil {
		err = fmt.Errorf("opening the send lane of tenant %q: %w", tenant, err)
	}

	s.mu.Lock()
	delete(s.opening, tenant)
	closed := s.closed
	if err == nil && !closed {
		s.lanes[tenant] = l
	}
	registry := s.registry
	s.mu.Unlock()

	if err == nil && closed {
		// shutdown ran during the open and has already taken the lane list: this lane is ours to stop.
		// It has never been handed out, so its queue is empty.
		if serr := l.helper.Shutdown(context.Background()); serr != nil {
			s.logger.Warn("tenant_router: stopping a lane opened during shutdown", zap.String("tenant", tenant), zap.Error(serr))
		}
		l, err = nil, errShutdown
	}
	p.lane, p.err = l, err
	close(p.done)

	if err == nil && registry != nil {
		ctx, cancel := context.WithTimeout(s.ctx, rememberTimeout)
		defer cancel()
		if rerr := registry.remember(ctx, tenant); rerr != nil {
			// The lane works; only its recovery after a restart would wait for new data of this tenant.
			s.logger.Warn("tenant_router: could not record the tenant in the persistent registry", zap.String("tenant", tenant), zap.Error(rerr))
		}
	}
}

func (s *laneSet[T]) count() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.lanes)
}

// shutdown stops every lane; each drains or persists its queue as exporterhelper does. Lane opens in
// progress are cancelled and awaited (a lane that opens anyway is stopped by its opener) before the
// registry is closed; if ctx ends first, the registry is left open and the error says so.
func (s *laneSet[T]) shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.closed = true
	lanes, registry := s.lanes, s.registry
	s.lanes = map[string]*lane[T]{}
	s.mu.Unlock()
	s.cancel()

	var errs error
	for _, l := range lanes {
		errs = multierr.Append(errs, l.helper.Shutdown(ctx))
	}
	opened := make(chan struct{})
	go func() {
		s.inflight.Wait()
		close(opened)
	}()
	select {
	case <-opened:
	case <-ctx.Done():
		return multierr.Append(errs, fmt.Errorf("tenant_router: lane opens still in progress at shutdown: %w", ctx.Err()))
	}
	if registry != nil {
		errs = multierr.Append(errs, registry.close(ctx))
	}
	return errs
}

func tenantAttrs(tenant string) metric.MeasurementOption {
	return metric.WithAttributeSet(attribute.NewSet(attribute.String("tenant", tenant)))
}

// laneID names a tenant's lane: it shows in exporterhelper's own metrics (exporter attribute) and
// keys the lane's persistent queue in the storage extension, so each tenant's queue survives restarts
// separately.
func laneID(parent component.ID, tenant string) component.ID {
	name := "tenant/" + tenant
	if parent.Name() != "" {
		name = parent.Name() + "/" + name
	}
	return component.NewIDWithName(parent.Type(), name)
}

// laneIdentity is what a lane's counters need to know: its tenant and telemetry attributes.
type laneIdentity struct {
	tenant string
	attrs  metric.MeasurementOption
}
