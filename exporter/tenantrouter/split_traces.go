// Copyright otelcol-warden authors
// SPDX-License-Identifier: Apache-2.0

package tenantrouter // import "github.com/otelcol-warden/otelcol-warden/exporter/tenantrouter"

import "go.opentelemetry.io/collector/pdata/ptrace"

// splitTraces moves each span into its tenant's part, in the largest units possible (see split.go):
// whole resources when the rules read resource attributes only or all its spans go to one tenant,
// else per scope and span (splitResourceSpans).
func splitTraces(d ptrace.Traces, b *batch[ptrace.Traces]) {
	var plan scopePlan
	var resources lazyDest[ptrace.ResourceSpans]
	var scopes lazyDest[ptrace.ScopeSpans]
	rs := d.ResourceSpans()
	for i := 0; i < rs.Len(); i++ {
		r := rs.At(i)
		b.planResource(r.Resource().Attributes())
		if b.resourceOnly() {
			// a resource without spans is not sent (it would make an empty request)
			if n := spansIn(r); n > 0 {
				if slot := b.routeResource(n); slot >= 0 {
					r.MoveTo(b.parts[slot].data.ResourceSpans().AppendEmpty())
				}
			}
			continue
		}
		planSpans(r, b, &plan)
		if plan.uniform() {
			r.MoveTo(b.parts[plan.majority()].data.ResourceSpans().AppendEmpty())
			continue
		}
		splitResourceSpans(r, b, &plan, &resources, &scopes)
	}
}

// planSpans resolves the tenant slot of every span of one resource.
func planSpans(r ptrace.ResourceSpans, b *batch[ptrace.Traces], plan *scopePlan) {
	plan.reset(spansIn(r))
	ss := r.ScopeSpans()
	for j := 0; j < ss.Len(); j++ {
		recs := ss.At(j).Spans()
		for k := 0; k < recs.Len(); k++ {
			plan.add(b.routeRecord(recs.At(k).Attributes()))
		}
	}
}

// splitResourceSpans splits a resource whose spans go to several tenants: the majority tenant keeps the
// resource, the others get copies of it holding their scopes and spans.
func splitResourceSpans(r ptrace.ResourceSpans, b *batch[ptrace.Traces], plan *scopePlan, resources *lazyDest[ptrace.ResourceSpans], scopes *lazyDest[ptrace.ScopeSpans]) {
	majority := plan.majority()
	resources.reset()
	destResource := func(slot int) ptrace.ResourceSpans {
		dr, ok := resources.get(slot)
		if !ok {
			dr = b.parts[slot].data.ResourceSpans().AppendEmpty()
			r.Resource().CopyTo(dr.Resource())
			dr.SetSchemaUrl(r.SchemaUrl())
			resources.set(slot, dr)
		}
		return dr
	}
	ss := r.ScopeSpans()
	first := 0 // index in plan.slots of the scope's first span
	for j := 0; j < ss.Len(); j++ {
		s := ss.At(j)
		n := s.Spans().Len()
		splitScopeSpans(s, plan.slots[first:first+n], majority, destResource, scopes)
		first += n
	}
	if majority >= 0 {
		// scopes emptied by the moves (and scopes that had no spans) do not travel
		ss.RemoveIf(func(s ptrace.ScopeSpans) bool { return s.Spans().Len() == 0 })
		r.MoveTo(b.parts[majority].data.ResourceSpans().AppendEmpty())
	}
}

// splitScopeSpans moves a scope whose spans all go to another tenant whole; otherwise it moves the
// minority spans one by one into copies of the scope, and removes them and the dropped ones.
func splitScopeSpans(s ptrace.ScopeSpans, slots []int, majority int, destResource func(int) ptrace.ResourceSpans, scopes *lazyDest[ptrace.ScopeSpans]) {
	recs := s.Spans()
	if slot, ok := sameSlot(slots); ok {
		if slot != majority && slot >= 0 {
			s.MoveTo(destResource(slot).ScopeSpans().AppendEmpty())
		} else if slot < 0 {
			recs.RemoveIf(func(ptrace.Span) bool { return true })
		}
		return
	}
	scopes.reset()
	for k, slot := range slots {
		if slot < 0 || slot == majority {
			continue
		}
		dst, ok := scopes.get(slot)
		if !ok {
			dst = destResource(slot).ScopeSpans().AppendEmpty()
			dst.Spans().EnsureCapacity(countSlot(slots[k:], slot))
			s.Scope().CopyTo(dst.Scope())
			dst.SetSchemaUrl(s.SchemaUrl())
			scopes.set(slot, dst)
		}
		recs.At(k).MoveTo(dst.Spans().AppendEmpty())
	}
	k := -1
	recs.RemoveIf(func(ptrace.Span) bool { k++; return slots[k] != majority })
}

func spansIn(r ptrace.ResourceSpans) int {
	n := 0
	for j := 0; j < r.ScopeSpans().Len(); j++ {
		n += r.ScopeSpans().At(j).Spans().Len()
	}
	return n
}
