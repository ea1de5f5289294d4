// Copyright otelcol-warden authors
// SPDX-License-Identifier: Apache-2.0

package tenantrouter // import "github.com/otelcol-warden/otelcol-warden/exporter/tenantrouter"

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/extension/xextension/storage"

	"github.com/otelcol-warden/otelcol-warden/internal/tenantid"
)

const registryKey = "tenants"

// tenantRegistry remembers, in the persistent queue's storage extension, which tenants have a lane.
// Each lane's queue is persisted under its own name; after a restart the lanes of tenants named only by
// data (e.g. a namespace) must be reopened at start-up, or their queued data would wait until that
// tenant sends again. Without persistent storage it does nothing.
type tenantRegistry struct {
	client storage.Client

	// mu serialises remember calls (lanes of several tenants may open at once), so the last write
	// holds every tenant; it is never held by the lane set's lock.
	mu      sync.Mutex
	tenants []string
}

func openTenantRegistry(ctx context.Context, host component.Host, cfg *Config, owner component.ID, signal string) (*tenantRegistry, error) {
	reg := &tenantRegistry{}
	if !cfg.QueueConfig.HasValue() || cfg.QueueConfig.Get().StorageID == nil {
		return reg, nil
	}
	storageID := *cfg.QueueConfig.Get().StorageID
	ext, ok := host.GetExtensions()[storageID]
	if !ok {
		return nil, fmt.Errorf("sending_queue.storage: extension %q not found", storageID)
	}
	storageExt, ok := ext.(storage.Extension)
	if !ok {
		return nil, fmt.Errorf("sending_queue.storage: extension %q is not a storage extension", storageID)
	}
	client, err := storageExt.GetClient(ctx, component.KindExporter, owner, signal+"_tenants")
	if err != nil {
		return nil, fmt.Errorf("sending_queue.storage: opening the tenant registry: %w", err)
	}
	reg.client = client
	raw, err := client.Get(ctx, registryKey)
	if err != nil {
		return nil, fmt.Errorf("sending_queue.storage: reading the tenant registry: %w", err)
	}
	for _, t := range strings.Split(string(raw), "\n") {
		// Entries were validated before they were written; re-check in case the file was edited.
		if tenantid.Validate(t) == tenantid.OK {
			reg.tenants = append(reg.tenants, t)
		}
	}
	return reg, nil
}

// remembered returns the tenants read at start-up and recorded since.
func (r *tenantRegistry) remembered() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.tenants)
}

// remember records a newly opened lane, unless already recorded. It is called after the lane is
// published, never under the lane set's lock, with a bounded ctx.
func (r *tenantRegistry) remember(ctx context.Context, tenant string) error {
	if r.client == nil {
		return nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if slices.Contains(r.tenants, tenant) {
		return nil
	}
	// Kept even if this write fails: the next tenant's write then records it too.
	r.tenants = append(r.tenants, tenant)
	return r.client.Set(ctx, registryKey, []byte(strings.Join(r.tenants, "\n")))
}

func (r *tenantRegistry) close(ctx context.Context) error {
	if r.client == nil {
		return nil
	}
	return r.client.Close(ctx)
}
