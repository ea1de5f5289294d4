package logreduce // import "github.com/otelcol-warden/otelcol-warden/processor/logreduce"

import (
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
)

// Attributes of annotated records and of summaries.
const (
	attrTemplate        = "log.record.template"
	attrCount           = "log_reduce.count"
	attrFirstTimestamp  = "log_reduce.first_timestamp"
	attrLastTimestamp   = "log_reduce.last_timestamp"
	attrSuppressedBytes = "log_reduce.suppressed_bytes"
)

// pendingSummary counts the suppressed records of one template from one origin with one set of
// partition attribute values, until it is emitted.
type pendingSummary struct {
	origin *origin
	// partKey identifies the partition values; partAttrs holds them for the summary.
	partKey   string
	partAttrs pcommon.Map
	count     int64
	bytes     int64
	first     pcommon.Timestamp
	last      pcommon.Timestamp
	severity  plog.SeverityNumber
	sevText   string
}

// suppressedRecord is what a suppressed record adds to its pending summary.
type suppressedRecord struct {
	originHash uint64
	resource   pcommon.Resource
	scope      pcommon.InstrumentationScope
	partKey    string
	record     plog.LogRecord
	ts         pcommon.Timestamp
	severity   plog.SeverityNumber
	bytes      int64
}

// summaryBatch collects emitted summaries by origin.
type summaryBatch struct {
	logs   plog.Logs
	scopes map[*origin]plog.LogRecordSlice
	counts map[string]int64 // by trigger
}

func newSummaryBatch() *summaryBatch {
	return &summaryBatch{logs: plog.NewLogs(), scopes: map[*origin]plog.LogRecordSlice{}, counts: map[string]int64{}}
}

func (b *summaryBatch) empty() bool { return b.logs.LogRecordCount() == 0 }

// add writes the summary of p for template c.
func (b *summaryBatch) add(c *cluster, p *pendingSummary, trigger string, now pcommon.Timestamp) {
	recs, ok := b.scopes[p.origin]
	if !ok {
		rl := b.logs.ResourceLogs().AppendEmpty()
		p.origin.resource.CopyTo(rl.Resource())
		sl := rl.ScopeLogs().AppendEmpty()
		p.origin.scope.CopyTo(sl.Scope())
		recs = sl.LogRecords()
		b.scopes[p.origin] = recs
	}
	lr := recs.AppendEmpty()
	lr.SetTimestamp(p.last)
	lr.SetObservedTimestamp(now)
	lr.SetSeverityNumber(p.severity)
	lr.SetSeverityText(p.sevText)
	lr.Body().SetStr(c.Template())
	attrs := lr.Attributes()
	attrs.EnsureCapacity(5 + p.partAttrs.Len())
	p.partAttrs.CopyTo(attrs)
	attrs.PutStr(attrTemplate, c.Template())
	attrs.PutInt(attrCount, p.count)
	attrs.PutStr(attrFirstTimestamp, p.first.AsTime().UTC().Format(time.RFC3339Nano))
	attrs.PutStr(attrLastTimestamp, p.last.AsTime().UTC().Format(time.RFC3339Nano))
	attrs.PutInt(attrSuppressedBytes, p.bytes)
	b.counts[trigger]++
}

// suppress adds one record to the pending summary of c for its origin and partition. When the
// template already has limits.max_summaries_per_template pending summaries, the oldest one is
// emitted into spill first.
func (r *reducer) suppress(c *cluster, s *suppressedRecord, spill *summaryBatch, now pcommon.Timestamp) {
	st := &c.State
	var p *pendingSummary
	for _, q := range st.pending {
		if q.origin.hash == s.originHash && q.partKey == s.partKey {
			p = q
			break
		}
	}
	if p == nil {
		if len(st.pending) >= r.cfg.Limits.MaxSummariesPerTemplate {
			spill.add(c, st.pending[0], "overflow", now)
			r.origins.release(st.pending[0].origin)
			st.pending = append(st.pending[:0], st.pending[1:]...)
		}
		p = &pendingSummary{origin: r.origins.acquire(s.originHash, s.resource, s.scope), partKey: s.partKey,
			partAttrs: pcommon.NewMap(), first: s.ts, last: s.ts}
		if s.partKey != "" {
			r.copyPartition(s.record.Attributes(), p.partAttrs)
		}
		st.pending = append(st.pending, p)
		if !st.dirty {
			st.dirty = true
			r.dirty = append(r.dirty, c)
		}
	}
	p.count++
	p.bytes += s.bytes
	if s.ts < p.first {
		p.first = s.ts
	}
	if s.ts > p.last {
		p.last = s.ts
	}
	if s.severity > p.severity || p.count == 1 {
		p.severity = s.severity
		p.sevText = s.record.SeverityText()
	}
}

// emitPending moves every pending summary of c into b.
func (r *reducer) emitPending(c *cluster, b *summaryBatch, trigger string, now pcommon.Timestamp) {
	st := &c.State
	for _, p := range st.pending {
		b.add(c, p, trigger, now)
		r.origins.release(p.origin)
	}
	clear(st.pending)
	st.pending = st.pending[:0]
}

// flushAll emits every pending summary into b (window end, shutdown) and starts a new window.
func (r *reducer) flushAll(b *summaryBatch, trigger string, now pcommon.Timestamp) {
	for _, c := range r.dirty {
		if c.State.dirty {
			r.emitPending(c, b, trigger, now)
			c.State.dirty = false
		}
	}
	clear(r.dirty)
	r.dirty = r.dirty[:0]
	r.epoch++
}

// partitionKey encodes the values of the partition attributes present on attrs ("" when none is).
func (r *reducer) partitionKey(attrs pcommon.Map) string {
	var key []byte
	for i, k := range r.cfg.PartitionAttributes {
		if v, ok := attrs.Get(k); ok {
			key = append(key, byte(i))
			key = append(key, v.AsString()...)
			key = append(key, 0)
		}
	}
	return string(key)
}

func (r *reducer) copyPartition(from, to pcommon.Map) {
	for _, k := range r.cfg.PartitionAttributes {
		if v, ok := from.Get(k); ok {
			v.CopyTo(to.PutEmpty(k))
		}
	}
}
