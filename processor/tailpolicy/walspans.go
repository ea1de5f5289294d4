// Copyright otelcol-warden authors
// SPDX-License-Identifier: Apache-2.0

package tailpolicy // import "github.com/otelcol-warden/otelcol-warden/processor/tailpolicy"

import (
	"encoding/binary"
	"sync"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// A T record holds an accepted request in the compact span encoding of
// codec.go, made self-contained: its own dictionary (the words its spans
// cite), then its resource+scope pairs, then each span as trace id, length
// and the codec's span record citing its pair by index:
//
//	T, arrival (int64 ns, LE), words: count, (length, bytes)...,
//	scopes: byte length, count, (resource schema url, resource attributes,
//	dropped, scope schema url, name, version, attributes, dropped)...,
//	spans: count, (trace id[16], length, span record)...
//
// The lengths let replay's index read the trace ids alone.
//
// Chosen over OTLP protobuf (S records, still read) by measurement on the
// http workload, same run (BenchmarkWALEncode, BenchmarkWALMarshal): 130 ns
// and 157 B a span against 215 ns and 295 B, into reused buffers (4 KiB of
// allocations a 1 000-span request against a new 288 KiB buffer); fewer bytes
// also mean less to write and fsync.
const recCompactSpans byte = 'T'

// spansEncoder is a reusable codec and buffers for T records.
type spansEncoder struct {
	codec         *spanCodec
	words, scopes []byte
	body, scratch []byte
	hdr           [9]byte
}

var spansEncoders = sync.Pool{New: func() any { return &spansEncoder{codec: newSpanCodec()} }}

func (e *spansEncoder) reset() {
	c := e.codec
	clear(c.dict)
	c.words = c.words[:0]
	c.fast = [len(c.fast)]uint32{}
}

// encode returns the record's parts; valid until the encoder is reused.
func (e *spansEncoder) encode(td ptrace.Traces, arrival time.Time) [][]byte {
	e.reset()
	c := e.codec
	e.hdr[0] = recCompactSpans
	binary.LittleEndian.PutUint64(e.hdr[1:], uint64(arrival.UnixNano()))
	rss := td.ResourceSpans()
	scopes, n := e.scopes[:0], 0
	for i := 0; i < rss.Len(); i++ {
		rs := rss.At(i)
		sss := rs.ScopeSpans()
		for j := 0; j < sss.Len(); j++ {
			scopes = c.appendScopeEntry(scopes, rs, sss.At(j))
			n++
		}
	}
	body := binary.AppendUvarint(e.body[:0], uint64(len(scopes)+uvarintLen(uint64(n))))
	body = binary.AppendUvarint(body, uint64(n))
	body = append(body, scopes...)
	e.scopes = scopes
	body = binary.AppendUvarint(body, uint64(td.SpanCount()))
	idx := 0
	for i := 0; i < rss.Len(); i++ {
		sss := rss.At(i).ScopeSpans()
		for j := 0; j < sss.Len(); j++ {
			spans := sss.At(j).Spans()
			for k := 0; k < spans.Len(); k++ {
				span := spans.At(k)
				tid := span.TraceID()
				body = append(body, tid[:]...)
				e.scratch = c.appendSpan(e.scratch[:0], span, idx)
				body = binary.AppendUvarint(body, uint64(len(e.scratch)))
				body = append(body, e.scratch...)
			}
			idx++
		}
	}
	words := binary.AppendUvarint(e.words[:0], uint64(len(c.words)))
	for _, w := range c.words {
		words = appendString(words, w)
	}
	e.body, e.words = body, words
	return [][]byte{e.hdr[:], words, body}
}

func (c *spanCodec) appendScopeEntry(b []byte, rs ptrace.ResourceSpans, ss ptrace.ScopeSpans) []byte {
	b = appendString(b, rs.SchemaUrl())
	b = c.appendMap(b, rs.Resource().Attributes())
	b = binary.AppendUvarint(b, uint64(rs.Resource().DroppedAttributesCount()))
	scope := ss.Scope()
	b = appendString(b, ss.SchemaUrl())
	b = appendString(b, scope.Name())
	b = appendString(b, scope.Version())
	b = c.appendMap(b, scope.Attributes())
	return binary.AppendUvarint(b, uint64(scope.DroppedAttributesCount()))
}

// decodeCompactSpans reads a T record's payload (after the type byte) into
// a request with one ResourceSpans per resource+scope pair.
func decodeCompactSpans(b []byte) (time.Time, ptrace.Traces, error) {
	if len(b) < 8 {
		return time.Time{}, ptrace.Traces{}, errBadRecord
	}
	at := time.Unix(0, int64(binary.LittleEndian.Uint64(b))).UTC()
	rr := recordReader{b: b[8:]}
	c := &spanCodec{}
	for n := rr.count(1); n > 0 && rr.err == nil; n-- {
		c.words = append(c.words, rr.str())
	}
	if rr.err != nil {
		return at, ptrace.Traces{}, rr.err
	}
	r := newSpanReader(c, rr.b)
	td := ptrace.NewTraces()
	r.uvarint() // the scopes' length, for compactTraceIDs
	n := r.uvarint()
	if n > uint64(len(r.b)) {
		return at, ptrace.Traces{}, errBadRecord
	}
	var scopes []ptrace.SpanSlice
	for ; n > 0 && r.err == nil; n-- {
		scopes = append(scopes, r.readScopeEntry(td.ResourceSpans().AppendEmpty()))
	}
	spans := r.uvarint()
	for ; spans > 0 && r.err == nil; spans-- {
		var tid pcommon.TraceID
		copy(tid[:], r.bytes(16))
		length := r.uvarint()
		end := len(r.b) - int(min(length, uint64(len(r.b))))
		id, si, ok := r.next()
		if !ok || si >= len(scopes) {
			r.fail()
			break
		}
		if r.readSpan(id, tid, scopes[si].AppendEmpty()) == nil && len(r.b) != end {
			r.fail()
		}
	}
	if r.err == nil && len(r.b) > 0 {
		r.fail()
	}
	if r.err != nil {
		return at, ptrace.Traces{}, r.err
	}
	return at, td, nil
}

func (r *spanReader) readScopeEntry(rs ptrace.ResourceSpans) ptrace.SpanSlice {
	rs.SetSchemaUrl(r.string())
	r.readMap(rs.Resource().Attributes(), 0, 0)
	rs.Resource().SetDroppedAttributesCount(uint32(r.uvarint()))
	ss := rs.ScopeSpans().AppendEmpty()
	ss.SetSchemaUrl(r.string())
	ss.Scope().SetName(r.string())
	ss.Scope().SetVersion(r.string())
	r.readMap(ss.Scope().Attributes(), 0, 0)
	ss.Scope().SetDroppedAttributesCount(uint32(r.uvarint()))
	return ss.Spans()
}

// compactTraceIDs calls f with the trace id of each span of a T record's
// payload without decoding the spans; false if the record is malformed.
func compactTraceIDs(b []byte, f func(pcommon.TraceID)) bool {
	if len(b) < 8 {
		return false
	}
	rr := recordReader{b: b[8:]}
	for n := rr.count(1); n > 0 && rr.err == nil; n-- {
		rr.str()
	}
	if rr.err != nil {
		return false
	}
	r := recordReader{b: rr.b}
	r.bytes(int(min(r.uvarint(), uint64(len(r.b)+1))))
	for n := r.count(17); n > 0 && r.err == nil; n-- {
		var id pcommon.TraceID
		copy(id[:], r.bytes(16))
		r.bytes(int(min(r.uvarint(), uint64(len(r.b)+1))))
		if r.err == nil {
			f(id)
		}
	}
	return r.err == nil && len(r.b) == 0
}

func uvarintLen(v uint64) int {
	var b [binary.MaxVarintLen64]byte
	return binary.PutUvarint(b[:], v)
}
