// Copyright otelcol-warden authors
// SPDX-License-Identifier: Apache-2.0

package tailpolicy // import "github.com/otelcol-warden/otelcol-warden/processor/tailpolicy"

import (
	"encoding/binary"

	"go.opentelemetry.io/collector/pdata/ptrace"
)

type pendingRecord struct {
	ts       *traceState
	off, end int
}

// internScope is one distinct resource + scope of the buffered compact spans,
// shared by every trace that uses it (reference counted) and held as a private
// pdata copy, so that the received request can be released.
type internScope struct {
	src   *sourceScope
	key   string
	refs  int
	bytes int64
}

// internScopeOverhead: the pdata copy's fixed cost beyond its encoded key.
const internScopeOverhead = 400

func (s *shard) intern(sc *sourceScope) *internScope {
	if sc == s.lastSrc {
		return s.lastIntern
	}
	key := s.keyBuf[:0]
	rs := sc.res.rs
	key = appendString(key, rs.SchemaUrl())
	key = s.codec.appendMap(key, rs.Resource().Attributes())
	key = binary.AppendUvarint(key, uint64(rs.Resource().DroppedAttributesCount()))
	scope := sc.ss.Scope()
	key = appendString(key, sc.ss.SchemaUrl())
	key = appendString(key, scope.Name())
	key = appendString(key, scope.Version())
	key = s.codec.appendMap(key, scope.Attributes())
	key = binary.AppendUvarint(key, uint64(scope.DroppedAttributesCount()))
	s.keyBuf = key
	is := s.scopes[string(key)]
	if is == nil {
		nrs := ptrace.NewResourceSpans()
		rs.Resource().CopyTo(nrs.Resource())
		nrs.SetSchemaUrl(rs.SchemaUrl())
		nss := nrs.ScopeSpans().AppendEmpty()
		scope.CopyTo(nss.Scope())
		nss.SetSchemaUrl(sc.ss.SchemaUrl())
		is = &internScope{
			src:   &sourceScope{res: &sourceResource{rs: nrs, service: sc.res.service, synthetic: sc.res.synthetic}, ss: nss},
			key:   string(key),
			bytes: internScopeOverhead + 3*int64(len(key)),
		}
		s.scopes[is.key] = is
		s.bytes.Add(is.bytes)
	}
	s.lastSrc, s.lastIntern = sc, is
	return is
}

// releaseScopes drops the trace's references to its interned scopes.
func (s *shard) releaseScopes(ts *traceState) {
	for _, is := range ts.scopes {
		is.refs--
		if is.refs == 0 {
			delete(s.scopes, is.key)
			s.bytes.Add(-is.bytes)
			if s.lastIntern == is {
				s.lastSrc, s.lastIntern = nil, nil
			}
		}
	}
	ts.scopes = nil
}

// stage encodes a span into the batch's records, straight from the request.
func (s *shard) stage(ts *traceState, ref spanRef) {
	is := s.intern(ref.scope)
	si := -1
	for i, x := range ts.scopes {
		if x == is {
			si = i
			break
		}
	}
	if si < 0 {
		si = len(ts.scopes)
		ts.scopes = append(ts.scopes, is)
		is.refs++
		ts.bytes += 8
		s.bytes.Add(8)
	}
	off := len(s.enc)
	s.enc = s.codec.appendSpan(s.enc, ref.span, si)
	if ts.pendingSpans == 0 {
		s.staged = append(s.staged, ts)
	}
	ts.pendingSpans++
	ts.pendingLen += len(s.enc) - off
	// The record, plus the span's 8-byte id in spanIDs.
	size := int64(len(s.enc)-off) + 8
	ts.bytes += size
	s.bytes.Add(size)
	s.recs = append(s.recs, pendingRecord{ts: ts, off: off, end: len(s.enc)})
}

// chunkOverhead is the heap a chunk costs beyond its bytes (slice header and
// allocation rounding); each span adds its 8-byte id. compactTraceOverhead is
// the trace's own state (traceState, map and heap entries, id slice growth),
// which the per-span estimate covers for referenced spans; calibrated with
// BenchmarkHeapPerBufferedSpan.
const (
	chunkOverhead        = 40
	compactTraceOverhead = 840
)

// seal copies every trace's records of the batch into one exactly sized chunk
// (each record was counted at its encoded size; the chunk adds its overhead).
func (s *shard) seal() {
	bufs := s.chunkBufs[:0]
	for _, ts := range s.staged {
		ts.pendingSlot = int32(len(bufs))
		if ts.pendingSpans == 0 {
			bufs = append(bufs, nil) // decided during the batch
			continue
		}
		bufs = append(bufs, make([]byte, 0, ts.pendingLen))
	}
	for _, rec := range s.recs {
		if ts := rec.ts; ts.pendingSpans > 0 {
			bufs[ts.pendingSlot] = append(bufs[ts.pendingSlot], s.enc[rec.off:rec.end]...)
		}
	}
	for _, ts := range s.staged {
		if ts.pendingSpans > 0 {
			chunk := bufs[ts.pendingSlot]
			delta := int64(chunkOverhead)
			if len(ts.chunks) == 0 && len(ts.spans) == 0 {
				delta += compactTraceOverhead
			}
			ts.chunks = append(ts.chunks, chunk)
			ts.bytes += delta
			s.bytes.Add(delta)
		}
		ts.pendingSpans, ts.pendingLen = 0, 0
	}
	clear(bufs)
	s.chunkBufs = bufs[:0]
	clear(s.staged)
	s.staged = s.staged[:0]
	clear(s.recs)
	s.recs = s.recs[:0]
	if cap(s.enc) > 4<<20 {
		s.enc = nil
	}
	s.enc = s.enc[:0]
	// The last request may go now.
	s.lastSrc, s.lastIntern = nil, nil
}
