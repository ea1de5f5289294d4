// Copyright otelcol-warden authors
// SPDX-License-Identifier: Apache-2.0

package retain // import "github.com/otelcol-warden/otelcol-warden/processor/tailpolicy/internal/retain"

import (
	"fmt"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/otelcol-warden/otelcol-warden/processor/tailpolicy/internal/wal"
)

// Get returns the retained spans of trace id, all its puts in the order they
// were made; found is false when the trace was never retained, was removed or
// has expired. Only the trace's own records are read, each with one pread
// and its checksum verified; a damaged one is an error wrapping ErrCorrupt.
func (r *Ring) Get(id pcommon.TraceID) (td ptrace.Traces, found bool, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return td, false, ErrClosed
	}
	if err := r.expire(); err != nil {
		return td, false, err
	}
	e, ok := r.idx.traces[id]
	if !ok {
		return td, false, nil
	}
	td = ptrace.NewTraces()
	for _, l := range e.locs() {
		if err := r.readInto(id, l, td); err != nil {
			return ptrace.Traces{}, false, err
		}
	}
	return td, true, nil
}

// readInto reads the put record at l and appends its spans to td.
func (r *Ring) readInto(id pcommon.TraceID, l loc, td ptrace.Traces) error {
	s := r.segment(l.seg)
	if s == nil {
		return fmt.Errorf("retain: segment %d of a retained trace is gone", l.seg)
	}
	if s == r.active() && r.w.Buffered() > 0 {
		if err := r.w.Flush(); err != nil {
			return fmt.Errorf("retain: write: %w", err)
		}
	}
	// A new buffer per read: the decoded spans may alias it.
	rec, err := wal.ReadFramedAt(s.f, int64(l.off), int(l.n), nil)
	if err != nil && !wal.IsCorrupt(err) {
		return fmt.Errorf("retain: read segment %d: %w", l.seg, err)
	}
	var h header
	if err == nil {
		h, err = decodeHeader(rec)
	}
	var part ptrace.Traces
	if err == nil && h.kind == kindPut && h.id == id {
		part, err = r.decode(h.spans)
	} else if err == nil {
		err = ErrCorrupt
	}
	if err != nil {
		r.stats.CorruptReads++
		return fmt.Errorf("retain: segment %d offset %d: %w", l.seg, l.off, ErrCorrupt)
	}
	part.ResourceSpans().MoveAndAppendTo(td.ResourceSpans())
	return nil
}

// Select returns up to limit retained traces of service first seen in
// [start, end), earliest first.
func (r *Ring) Select(service string, start, end time.Time, limit int) ([]Retained, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return nil, ErrClosed
	}
	if err := r.expire(); err != nil {
		return nil, err
	}
	return r.idx.selectRange(serviceKey(service), start.UnixNano(), end.UnixNano(), limit), nil
}
