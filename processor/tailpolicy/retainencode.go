// Copyright otelcol-warden authors
// SPDX-License-Identifier: Apache-2.0

package tailpolicy // import "github.com/otelcol-warden/otelcol-warden/processor/tailpolicy"

import (
	"encoding/binary"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// Retained dropped traces are stored as a recCompactSpans byte followed by a
// T record's payload (walspans.go: its own dictionary, its resource+scope
// pairs, the spans), which decodeCompactSpans reads back. A buffered pdata
// span is encoded once; a span already in a compact chunk is transcoded from
// the shard's dictionary to the record's without becoming pdata. Decoding
// every dropped trace into pdata and marshalling it again as OTLP protobuf
// was 14% of a shipped gateway's CPU (docs/benchmarks.md).

// retainEncoder builds one dropped trace's payload; a shard reuses its own.
type retainEncoder struct {
	codec    *spanCodec
	scopeIdx map[*sourceScope]int
	first    *sourceScope // the first span's: the trace's service without a root
	scopes   []byte
	nscopes  int
	spans    []byte
	nspans   int
	rec      []byte // the span being written
}

func newRetainEncoder() *retainEncoder {
	c := newSpanCodec()
	c.borrow = true
	return &retainEncoder{codec: c, scopeIdx: map[*sourceScope]int{}}
}

func (e *retainEncoder) reset() {
	c := e.codec
	clear(c.dict)
	c.words = c.words[:0]
	c.fast = [len(c.fast)]uint32{}
	clear(e.scopeIdx)
	e.first = nil
	e.scopes, e.spans = e.scopes[:0], e.spans[:0]
	e.nscopes, e.nspans = 0, 0
}

// scope returns sc's index in the record, writing its entry the first time.
func (e *retainEncoder) scope(sc *sourceScope) int {
	if i, ok := e.scopeIdx[sc]; ok {
		return i
	}
	if e.first == nil {
		e.first = sc
	}
	i := e.nscopes
	e.scopes = e.codec.appendScopeEntry(e.scopes, sc.res.rs, sc.ss)
	e.scopeIdx[sc] = i
	e.nscopes++
	return i
}

// addSpan encodes a span still in pdata.
func (e *retainEncoder) addSpan(tid pcommon.TraceID, sc *sourceScope, span ptrace.Span) {
	e.rec = e.codec.appendSpan(e.rec[:0], span, e.scope(sc))
	e.appendRecord(tid)
}

// addChunk transcodes the spans of a compact chunk of trace ts; on corrupt
// data it returns the reader's error, the spans before it added.
func (e *retainEncoder) addChunk(ts *traceState, r *spanReader) error {
	for {
		id, si, ok := r.next()
		if !ok {
			return r.err
		}
		if si >= len(ts.scopes) {
			r.fail()
			return r.err
		}
		e.rec = append(e.rec[:0], id[:]...)
		e.rec = binary.AppendUvarint(e.rec, uint64(e.scope(ts.scopes[si].src)))
		e.rec = e.codec.transcodeSpan(e.rec, r)
		if r.err != nil {
			return r.err
		}
		e.appendRecord(ts.id)
	}
}

func (e *retainEncoder) appendRecord(tid pcommon.TraceID) {
	e.spans = append(e.spans, tid[:]...)
	e.spans = binary.AppendUvarint(e.spans, uint64(len(e.rec)))
	e.spans = append(e.spans, e.rec...)
	e.nspans++
}

// payload returns the record in a new slice (the queue to the writer keeps
// it): recCompactSpans, firstSeen as the arrival, the words, the body.
func (e *retainEncoder) payload(firstSeen time.Time) []byte {
	words := e.codec.words
	size := 1 + 8 + 2*binary.MaxVarintLen64 + len(e.scopes) + len(e.spans) + 3*binary.MaxVarintLen64
	for _, w := range words {
		size += binary.MaxVarintLen32 + len(w)
	}
	out := make([]byte, 0, size)
	out = append(out, recCompactSpans)
	out = binary.LittleEndian.AppendUint64(out, uint64(firstSeen.UnixNano()))
	out = binary.AppendUvarint(out, uint64(len(words)))
	for _, w := range words {
		out = appendString(out, w)
	}
	out = binary.AppendUvarint(out, uint64(len(e.scopes)+uvarintLen(uint64(e.nscopes))))
	out = binary.AppendUvarint(out, uint64(e.nscopes))
	out = append(out, e.scopes...)
	out = binary.AppendUvarint(out, uint64(e.nspans))
	return append(out, e.spans...)
}

// decodeRetained is the retention ring's decoder: the payloads above, and
// OTLP protobuf, which earlier builds stored (a protobuf Traces never starts
// with recCompactSpans: 'T' is field 10 with the end-group wire type).
func decodeRetained(spans []byte) (ptrace.Traces, error) {
	if len(spans) > 0 && spans[0] == recCompactSpans {
		_, td, err := decodeCompactSpans(spans[1:])
		return td, err
	}
	var u ptrace.ProtoUnmarshaler
	return u.UnmarshalTraces(spans)
}
