// Copyright otelcol-warden authors
// SPDX-License-Identifier: Apache-2.0

package tenantrouter // import "github.com/otelcol-warden/otelcol-warden/exporter/tenantrouter"

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"

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

// lane is one tenant's send path: an exporterhelper exporter with its own queue, consumers and retry,
// so a tenant whose backend fails only fills and retries its own queue.
type lane[T any] struct {
	laneIdentity
	helper  component.Component
	consume func(context.Context, T) error
}

// openLane builds and starts the lane of one tenant.
type openLane[T any] func(ctx context.Context, tenant string, host component.Host) (*lane[T], error)

// laneSet holds the open lanes, at most max of them, for the life of the exporter.
type laneSet[T any] struct {
	mu       sync.RWMutex
	lanes    map[string]*lane[T]
	max      int
	host     component.Host
	open     openLane[T]
	registry *tenantRegistry
	logger   *zap.Logger
	closed   bool
}

func newLaneSet[T any](maxLanes int, open openLane[T], logger *zap.Logger) *laneSet[T] {
	return &laneSet[T]{lanes: map[string]*lane[T]{}, max: maxLanes, open: open, logger: logger}
}

// start opens the lanes of the configured tenants, then those the registry remembers from before a
// restart (as far as max allows), so their persisted queues drain at once.
func (s *laneSet[T]) start(host component.Host, registry *tenantRegistry, static []string) error {
	s.mu.Lock()
	s.host = host
	s.registry = registry
	remembered := registry.tenants
	s.mu.Unlock()
	for _, t := range static {
		if _, err := s.get(t); err != nil {
			return err
		}
	}
	for _, t := range remembered {
		if _, err := s.get(t); err != nil && !errors.Is(err, errTenantLimit) {
			return err
		}
	}
	return nil
}

// get returns the tenant's lane, opening it if the bound allows; errTenantLimit otherwise.
func (s *laneSet[T]) get(tenant string) (*lane[T], error) {
	s.mu.RLock()
	l, ok := s.lanes[tenant]
	s.mu.RUnlock()
	if ok {
		return l, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if l, ok = s.lanes[tenant]; ok {
		return l, nil
	}
	switch {
	case s.closed:
		return nil, errShutdown
	case s.host == nil:
		return nil, errors.New("exporter not started")
	case len(s.lanes) >= s.max:
		return nil, errTenantLimit
	}
	l, err := s.open(context.Background(), tenant, s.host)
	if err != nil {
		return nil, fmt.Errorf("opening the send lane of tenant %q: %w", tenant, err)
	}
	s.lanes[tenant] = l
	if s.registry != nil && !slices.Contains(s.registry.tenants, tenant) {
		if err := s.registry.remember(context.Background(), tenant); err != nil {
			// The lane works; only its recovery after a restart would wait for new data of this tenant.
			s.logger.Warn("tenant_router: could not record the tenant in the persistent registry", zap.String("tenant", tenant), zap.Error(err))
		}
	}
	return l, nil
}

func (s *laneSet[T]) count() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.lanes)
}

// shutdown stops every lane; each drains or persists its queue as exporterhelper does.
func (s *laneSet[T]) shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.closed = true
	lanes := s.lanes
	s.lanes = map[string]*lane[T]{}
	s.mu.Unlock()
	var errs error
	for _, l := range lanes {
		errs = multierr.Append(errs, l.helper.Shutdown(ctx))
	}
	if s.registry != nil {
		errs = multierr.Append(errs, s.registry.close(ctx))
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
