// Copyright otelcol-warden authors
// SPDX-License-Identifier: Apache-2.0

package tenantrouter // import "github.com/otelcol-warden/otelcol-warden/exporter/tenantrouter"

import "go.opentelemetry.io/collector/pdata/plog"

// splitLogs moves each log record into its tenant's part, in the largest units possible (see split.go):
// whole resources when the rules read resource attributes only or all its log records go to one tenant,
// else per scope and log record (splitResourceLogs).
func splitLogs(d plog.Logs, b *batch[plog.Logs]) {
	var plan scopePlan
	var resources lazyDest[plog.ResourceLogs]
	var scopes lazyDest[plog.ScopeLogs]
	rs := d.ResourceLogs()
	for i := 0; i < rs.Len(); i++ {
		r := rs.At(i)
		b.planResource(r.Resource().Attributes())
		if b.resourceOnly() {
			// a resource without log records is not sent (it would make an empty request)
			if n := logRecordsIn(r); n > 0 {
				if slot := b.routeResource(n); slot >= 0 {
					r.MoveTo(b.parts[slot].data.ResourceLogs().AppendEmpty())
				}
			}
			continue
		}
		planLogRecords(r, b, &plan)
		if plan.uniform() {
			r.MoveTo(b.parts[plan.majority()].data.ResourceLogs().AppendEmpty())
			continue
		}
		splitResourceLogs(r, b, &plan, &resources, &scopes)
	}
}

// planLogRecords resolves the tenant slot of every log record of one resource.
func planLogRecords(r plog.ResourceLogs, b *batch[plog.Logs], plan *scopePlan) {
	plan.reset(logRecordsIn(r))
	ss := r.ScopeLogs()
	for j := 0; j < ss.Len(); j++ {
		recs := ss.At(j).LogRecords()
		for k := 0; k < recs.Len(); k++ {
			plan.add(b.routeRecord(recs.At(k).Attributes()))
		}
	}
}

// splitResourceLogs splits a resource whose log records go to several tenants: the majority tenant keeps the
// resource, the others get copies of it holding their scopes and log records.
func splitResourceLogs(r plog.ResourceLogs, b *batch[plog.Logs], plan *scopePlan, resources *lazyDest[plog.ResourceLogs], scopes *lazyDest[plog.ScopeLogs]) {
	majority := plan.majority()
	resources.reset()
	destResource := func(slot int) plog.ResourceLogs {
		dr, ok := resources.get(slot)
		if !ok {
			dr = b.parts[slot].data.ResourceLogs().AppendEmpty()
			r.Resource().CopyTo(dr.Resource())
			dr.SetSchemaUrl(r.SchemaUrl())
			resources.set(slot, dr)
		}
		return dr
	}
	ss := r.ScopeLogs()
	first := 0 // index in plan.slots of the scope's first log record
	for j := 0; j < ss.Len(); j++ {
		s := ss.At(j)
		n := s.LogRecords().Len()
		splitScopeLogs(s, plan.slots[first:first+n], majority, destResource, scopes)
		first += n
	}
	if majority >= 0 {
		// scopes emptied by the moves (and scopes that had no log records) do not travel
		ss.RemoveIf(func(s plog.ScopeLogs) bool { return s.LogRecords().Len() == 0 })
		r.MoveTo(b.parts[majority].data.ResourceLogs().AppendEmpty())
	}
}

// splitScopeLogs moves a scope whose log records all go to another tenant whole; otherwise it moves the
// minority log records one by one into copies of the scope, and removes them and the dropped ones.
func splitScopeLogs(s plog.ScopeLogs, slots []int, majority int, destResource func(int) plog.ResourceLogs, scopes *lazyDest[plog.ScopeLogs]) {
	recs := s.LogRecords()
	if slot, ok := sameSlot(slots); ok {
		if slot != majority && slot >= 0 {
			s.MoveTo(destResource(slot).ScopeLogs().AppendEmpty())
		} else if slot < 0 {
			recs.RemoveIf(func(plog.LogRecord) bool { return true })
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
			dst = destResource(slot).ScopeLogs().AppendEmpty()
			dst.LogRecords().EnsureCapacity(countSlot(slots[k:], slot))
			s.Scope().CopyTo(dst.Scope())
			dst.SetSchemaUrl(s.SchemaUrl())
			scopes.set(slot, dst)
		}
		recs.At(k).MoveTo(dst.LogRecords().AppendEmpty())
	}
	k := -1
	recs.RemoveIf(func(plog.LogRecord) bool { k++; return slots[k] != majority })
}

func logRecordsIn(r plog.ResourceLogs) int {
	n := 0
	for j := 0; j < r.ScopeLogs().Len(); j++ {
		n += r.ScopeLogs().At(j).LogRecords().Len()
	}
	return n
}
