// Copyright otelcol-warden authors
// SPDX-License-Identifier: Apache-2.0

package tenantrouter // import "github.com/otelcol-warden/otelcol-warden/exporter/tenantrouter"

import (
	"context"
	"errors"

	"go.opentelemetry.io/collector/pdata/pcommon"

	"github.com/otelcol-warden/otelcol-warden/internal/tenantid"
)

// batchTally counts, per incoming batch, what happened to records that did not simply reach the
// tenant their rules named; it is added to the self-metrics once per batch, not once per record.
type batchTally struct {
	rejected         [tenantid.ReasonCount]int64
	droppedNoTenant  int64
	droppedLimit     int64
	overflowPerBatch int64
	overflowTotal    int64
}

// tenantPart is the data of one batch bound for one tenant.
type tenantPart[T any] struct {
	lane    *lane[T]
	data    T
	openErr error
}

// batch splits one incoming batch: it assigns each record a slot (one per tenant in this batch)
// and enforces the per-batch and overall tenant bounds.
type batch[T any] struct {
	router *router[T]
	// ctx bounds the wait for a lane that another batch is opening (see laneSet.get).
	ctx   context.Context
	tally batchTally
	parts []tenantPart[T]
	slots map[string]int
	// nonDefault counts tenants other than the default one; the default tenant always gets a slot.
	nonDefault int
	lastTenant string
	lastSlot   int
	// resource holds the resource side of the rules for the resource being split.
	resource resourcePlan
	// fallbackSlot is the slot of the records of this resource on which no record rule finds its
	// attribute (most records), once known; slotUnknown before, or when it must be resolved per
	// record because it is counted (dropped or overflowed records).
	fallbackSlot int
}

const slotUnknown = -2

func (r *router[T]) newBatch(ctx context.Context) *batch[T] {
	return &batch[T]{router: r, ctx: ctx, slots: make(map[string]int, 4), lastSlot: -1, fallbackSlot: slotUnknown}
}

// planResource evaluates the rules' resource side once for the records of one resource; routeRecord
// and routeResource then use it.
func (b *batch[T]) planResource(resource pcommon.Map) {
	b.router.resolver.planResource(resource, &b.resource)
	b.fallbackSlot = slotUnknown
}

// routeRecord resolves the tenant of one record of the planned resource and returns its slot, or -1
// when it is dropped.
func (b *batch[T]) routeRecord(record pcommon.Map) int {
	res := b.router.resolver
	if res.recordHits(record) {
		return b.slot(res.resolveRecord(record, &b.resource, &b.tally), 1)
	}
	// No record rule applies: the resource's fallback, resolved once per resource.
	if b.fallbackSlot != slotUnknown {
		if b.resource.fallbackHasRej {
			res.resolveResource(&b.resource, 1, &b.tally) // counts the rejections on the way
		}
		return b.fallbackSlot
	}
	tenant := res.resolveResource(&b.resource, 1, &b.tally)
	slot := b.slot(tenant, 1)
	if tenant == "" && b.router.cfg.Unmatched == UnmatchedDefault {
		tenant = b.router.cfg.DefaultTenant
	}
	// Reuse the slot only when it is the tenant's own (nothing dropped or overflowed, which must be
	// counted per record).
	if own, ok := b.slots[tenant]; ok && tenant != "" && own == slot {
		b.fallbackSlot = slot
	}
	return slot
}

// routeResource returns the slot of all `weight` records of the planned resource (resourceOnly rules).
func (b *batch[T]) routeResource(weight int) int {
	return b.slot(b.router.resolver.resolveResource(&b.resource, weight, &b.tally), weight)
}

func (b *batch[T]) resourceOnly() bool { return b.router.resolver.resourceOnly }

func (b *batch[T]) slot(tenant string, weight int) int {
	if b.lastSlot >= 0 && tenant == b.lastTenant {
		return b.lastSlot
	}
	r := b.router
	if tenant == "" {
		if r.cfg.Unmatched == UnmatchedDrop {
			b.tally.droppedNoTenant += int64(weight)
			return -1
		}
		tenant = r.cfg.DefaultTenant
	}
	s, ok := b.slots[tenant]
	if !ok {
		isDefault := tenant == r.cfg.DefaultTenant
		if !isDefault && b.nonDefault >= r.cfg.MaxTenantsPerBatch {
			b.tally.overflowPerBatch += int64(weight)
			return b.overflow(weight)
		}
		l, err := r.lanes.get(b.ctx, tenant)
		if errors.Is(err, errTenantLimit) {
			b.tally.overflowTotal += int64(weight)
			return b.overflow(weight)
		}
		s = len(b.parts)
		b.parts = append(b.parts, tenantPart[T]{lane: l, data: r.sig.newData(), openErr: err})
		b.slots[tenant] = s
		if !isDefault {
			b.nonDefault++
		}
	}
	b.lastTenant, b.lastSlot = tenant, s
	return s
}

// overflow sends records past a tenant bound to the default tenant, or drops them when there is none.
func (b *batch[T]) overflow(weight int) int {
	if b.router.cfg.DefaultTenant == "" {
		b.tally.droppedLimit += int64(weight)
		return -1
	}
	return b.slot(b.router.cfg.DefaultTenant, weight)
}

// lazyDest holds, for the container being split (a resource, a scope or a metric), the copy created
// for each slot, and forgets them all in O(1) when the next container starts.
type lazyDest[D any] struct {
	generation  int
	generations []int
	dests       []D
}

func (l *lazyDest[D]) reset() { l.generation++ }

func (l *lazyDest[D]) get(slot int) (D, bool) {
	for len(l.generations) <= slot {
		var zero D
		l.generations = append(l.generations, 0)
		l.dests = append(l.dests, zero)
	}
	return l.dests[slot], l.generations[slot] == l.generation && l.generation != 0
}

func (l *lazyDest[D]) set(slot int, d D) {
	l.dests[slot] = d
	l.generations[slot] = l.generation
}
