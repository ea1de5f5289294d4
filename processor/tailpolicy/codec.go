// Copyright otelcol-warden authors
// SPDX-License-Identifier: Apache-2.0

package tailpolicy // import "github.com/otelcol-warden/otelcol-warden/processor/tailpolicy"

import (
	"encoding/binary"
	"errors"
	"math"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// The compact span encoding: a buffered span is written straight from the
// received pdata into bytes (no intermediate pdata, no protobuf, no
// compression), and read back only if its trace is kept. What makes it small:
//   - the trace id is the trace's, not repeated per span;
//   - resource and scope are interned per shard (internScope, reference
//     counted by the traces that use them), a span carries a 1-byte index;
//   - attribute keys and span/event names are interned in a bounded per-shard
//     dictionary and written as a varint index;
//   - integers are varints, the end time is a delta from the start.
// Values are written as they are (strings literally): no dictionary grows with
// high-cardinality values.
//
// Span record: spanID[8], uvarint scope index, byte presence bits, [parentID[8]], [tracestate],
//   name, uvarint kind, uvarint status code, [status message],
//   start[8], zigzag(end-start), [uvarint flags],
//   [uvarint dropped attrs, events, links], attributes, [events], [links].

const (
	bitParent = 1 << iota
	bitTraceState
	bitStatusMessage
	bitEvents
	bitLinks
	bitDropped
	bitFlags
)

// dictMax bounds the per-shard dictionary of keys and names; dictMaxLen keeps
// long strings out of it. At most dictMax × (dictMaxLen + 40) bytes per shard.
const (
	dictMax    = 4096
	dictMaxLen = 96
)

type spanCodec struct {
	dict  map[string]uint32
	words []string
	// fast is a direct-mapped cache in front of dict (index+1, 0 = empty):
	// cheaper than hashing every attribute key.
	fast [1024]uint32
	// borrow: words are kept as given, not copied, because the codec is
	// reset before the strings it was given can go (retainEncoder's, one
	// dropped trace at a time).
	borrow bool
}

func fastSlot(s string) int {
	n := len(s)
	if n == 0 {
		return 0
	}
	return (n*131 + int(s[0])*31 + int(s[n/2])*7 + int(s[n-1])) & 1023
}

func newSpanCodec() *spanCodec {
	return &spanCodec{dict: make(map[string]uint32)}
}

var errCorrupt = errors.New("tail_policy: corrupt compact span record")

// appendSpan appends the span's record to b: the presence bits, the fixed
// fields, then attributes, events and links.
func (c *spanCodec) appendSpan(b []byte, span ptrace.Span, scopeIdx int) []byte {
	id := span.SpanID()
	b = append(b, id[:]...)
	b = binary.AppendUvarint(b, uint64(scopeIdx))
	bits := presenceBits(span)
	b = append(b, bits)
	b = c.appendFields(b, span, bits)
	b = c.appendMap(b, span.Attributes())
	if bits&bitEvents != 0 {
		b = c.appendEvents(b, span.Events())
	}
	if bits&bitLinks != 0 {
		b = c.appendLinks(b, span.Links())
	}
	return b
}

// presenceBits says which optional parts the span's record carries.
func presenceBits(span ptrace.Span) byte {
	var bits byte
	if !span.ParentSpanID().IsEmpty() {
		bits |= bitParent
	}
	if span.TraceState().AsRaw() != "" {
		bits |= bitTraceState
	}
	if span.Status().Message() != "" {
		bits |= bitStatusMessage
	}
	if span.Events().Len() > 0 {
		bits |= bitEvents
	}
	if span.Links().Len() > 0 {
		bits |= bitLinks
	}
	if span.DroppedAttributesCount()|span.DroppedEventsCount()|span.DroppedLinksCount() != 0 {
		bits |= bitDropped
	}
	if span.Flags() != 0 {
		bits |= bitFlags
	}
	return bits
}

// appendFields writes the span's fields from parent id to dropped counts.
func (c *spanCodec) appendFields(b []byte, span ptrace.Span, bits byte) []byte {
	if bits&bitParent != 0 {
		parent := span.ParentSpanID()
		b = append(b, parent[:]...)
	}
	if bits&bitTraceState != 0 {
		b = appendString(b, span.TraceState().AsRaw())
	}
	b = c.appendWord(b, span.Name())
	b = binary.AppendUvarint(b, uint64(span.Kind()))
	st := span.Status()
	b = binary.AppendUvarint(b, uint64(st.Code()))
	if bits&bitStatusMessage != 0 {
		b = appendString(b, st.Message())
	}
	start, end := span.StartTimestamp(), span.EndTimestamp()
	b = binary.LittleEndian.AppendUint64(b, uint64(start))
	b = binary.AppendVarint(b, int64(end-start))
	if bits&bitFlags != 0 {
		b = binary.AppendUvarint(b, uint64(span.Flags()))
	}
	if bits&bitDropped != 0 {
		b = binary.AppendUvarint(b, uint64(span.DroppedAttributesCount()))
		b = binary.AppendUvarint(b, uint64(span.DroppedEventsCount()))
		b = binary.AppendUvarint(b, uint64(span.DroppedLinksCount()))
	}
	return b
}

func (c *spanCodec) appendEvents(b []byte, events ptrace.SpanEventSlice) []byte {
	b = binary.AppendUvarint(b, uint64(events.Len()))
	for i := 0; i < events.Len(); i++ {
		e := events.At(i)
		b = binary.AppendUvarint(b, uint64(e.Timestamp()))
		b = c.appendWord(b, e.Name())
		b = binary.AppendUvarint(b, uint64(e.DroppedAttributesCount()))
		b = c.appendMap(b, e.Attributes())
	}
	return b
}

func (c *spanCodec) appendLinks(b []byte, links ptrace.SpanLinkSlice) []byte {
	b = binary.AppendUvarint(b, uint64(links.Len()))
	for i := 0; i < links.Len(); i++ {
		l := links.At(i)
		tid, sid := l.TraceID(), l.SpanID()
		b = append(b, tid[:]...)
		b = append(b, sid[:]...)
		b = appendString(b, l.TraceState().AsRaw())
		b = binary.AppendUvarint(b, uint64(l.Flags()))
		b = binary.AppendUvarint(b, uint64(l.DroppedAttributesCount()))
		b = c.appendMap(b, l.Attributes())
	}
	return b
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// appendWord writes a key or name: an odd varint is a dictionary index, an
// even one the length of the literal that follows.
func (c *spanCodec) appendWord(b []byte, s string) []byte {
	slot := fastSlot(s)
	if f := c.fast[slot]; f != 0 && c.words[f-1] == s {
		return binary.AppendUvarint(b, uint64(f-1)<<1|1)
	}
	if i, ok := c.dict[s]; ok {
		c.fast[slot] = i + 1
		return binary.AppendUvarint(b, uint64(i)<<1|1)
	}
	if len(c.words) < dictMax && len(s) <= dictMaxLen {
		i := uint32(len(c.words))
		if !c.borrow {
			s = string(append([]byte(nil), s...)) // never pin the request's memory
		}
		c.words = append(c.words, s)
		c.dict[s] = i
		c.fast[slot] = i + 1
		return binary.AppendUvarint(b, uint64(i)<<1|1)
	}
	b = binary.AppendUvarint(b, uint64(len(s))<<1)
	return append(b, s...)
}

func (c *spanCodec) appendMap(b []byte, m pcommon.Map) []byte {
	b = binary.AppendUvarint(b, uint64(m.Len()))
	m.Range(func(k string, v pcommon.Value) bool {
		b = c.appendWord(b, k)
		b = c.appendValue(b, v)
		return true
	})
	return b
}

func (c *spanCodec) appendValue(b []byte, v pcommon.Value) []byte {
	t := v.Type()
	b = append(b, byte(t))
	switch t {
	case pcommon.ValueTypeStr:
		b = appendString(b, v.Str())
	case pcommon.ValueTypeInt:
		b = binary.AppendVarint(b, v.Int())
	case pcommon.ValueTypeDouble:
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(v.Double()))
	case pcommon.ValueTypeBool:
		if v.Bool() {
			b = append(b, 1)
		} else {
			b = append(b, 0)
		}
	case pcommon.ValueTypeBytes:
		raw := v.Bytes().AsRaw()
		b = binary.AppendUvarint(b, uint64(len(raw)))
		b = append(b, raw...)
	case pcommon.ValueTypeMap:
		b = c.appendMap(b, v.Map())
	case pcommon.ValueTypeSlice:
		s := v.Slice()
		b = binary.AppendUvarint(b, uint64(s.Len()))
		for i := 0; i < s.Len(); i++ {
			b = c.appendValue(b, s.At(i))
		}
	}
	return b
}

// spanReader decodes records written by appendSpan.
type spanReader struct {
	c *spanCodec
	b []byte
	// str is the chunk as one string; strings read are substrings of it, one
	// allocation per chunk instead of one per value.
	str  string
	base int
	err  error
}

func newSpanReader(c *spanCodec, chunk []byte) spanReader {
	return spanReader{c: c, b: chunk, str: string(chunk), base: len(chunk)}
}

// sub returns the next n bytes as a substring of str.
func (r *spanReader) sub(n uint64) string {
	if uint64(len(r.b)) < n {
		r.fail()
		return ""
	}
	off := r.base - len(r.b)
	r.b = r.b[n:]
	return r.str[off : off+int(n)]
}

func (r *spanReader) fail() {
	if r.err == nil {
		r.err = errCorrupt
	}
	r.b = nil
}

func (r *spanReader) uvarint() uint64 {
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.fail()
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *spanReader) varint() int64 {
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.fail()
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *spanReader) bytes(n uint64) []byte {
	if uint64(len(r.b)) < n {
		r.fail()
		return nil
	}
	out := r.b[:n]
	r.b = r.b[n:]
	return out
}

func (r *spanReader) byte() byte {
	if len(r.b) == 0 {
		r.fail()
		return 0
	}
	v := r.b[0]
	r.b = r.b[1:]
	return v
}

func (r *spanReader) string() string { return r.sub(r.uvarint()) }

func (r *spanReader) word() string {
	v := r.uvarint()
	if v&1 == 1 {
		if v>>1 >= uint64(len(r.c.words)) {
			r.fail()
			return ""
		}
		return r.c.words[v>>1]
	}
	return r.sub(v >> 1)
}

// next reads the next record's span id and scope index; ok is false at the
// end of the chunk (or on corrupt data: see err). readSpan must follow.
func (r *spanReader) next() (id pcommon.SpanID, scope int, ok bool) {
	if len(r.b) == 0 || r.err != nil {
		return id, 0, false
	}
	copy(id[:], r.bytes(8))
	scope = int(r.uvarint())
	return id, scope, r.err == nil
}

// readSpan fills dst with the rest of the record; tid is the trace's id.
func (r *spanReader) readSpan(id pcommon.SpanID, tid pcommon.TraceID, dst ptrace.Span) error {
	dst.SetTraceID(tid)
	dst.SetSpanID(id)
	bits := r.byte()
	if bits&bitParent != 0 {
		var p pcommon.SpanID
		copy(p[:], r.bytes(8))
		dst.SetParentSpanID(p)
	}
	if bits&bitTraceState != 0 {
		dst.TraceState().FromRaw(r.string())
	}
	dst.SetName(r.word())
	dst.SetKind(ptrace.SpanKind(r.uvarint()))
	dst.Status().SetCode(ptrace.StatusCode(r.uvarint()))
	if bits&bitStatusMessage != 0 {
		dst.Status().SetMessage(r.string())
	}
	sb := r.bytes(8)
	if len(sb) < 8 {
		return r.err
	}
	start := binary.LittleEndian.Uint64(sb)
	dst.SetStartTimestamp(pcommon.Timestamp(start))
	dst.SetEndTimestamp(pcommon.Timestamp(start + uint64(r.varint())))
	if bits&bitFlags != 0 {
		dst.SetFlags(uint32(r.uvarint()))
	}
	if bits&bitDropped != 0 {
		dst.SetDroppedAttributesCount(uint32(r.uvarint()))
		dst.SetDroppedEventsCount(uint32(r.uvarint()))
		dst.SetDroppedLinksCount(uint32(r.uvarint()))
	}
	// One more slot: a kept span gets its sampling.rule next.
	r.readMap(dst.Attributes(), 0, 1)
	if bits&bitEvents != 0 {
		r.readEvents(dst.Events())
	}
	if bits&bitLinks != 0 {
		r.readLinks(dst.Links())
	}
	return r.err
}

func (r *spanReader) readEvents(events ptrace.SpanEventSlice) {
	n := r.uvarint()
	for i := uint64(0); i < n && r.err == nil; i++ {
		e := events.AppendEmpty()
		e.SetTimestamp(pcommon.Timestamp(r.uvarint()))
		e.SetName(r.word())
		e.SetDroppedAttributesCount(uint32(r.uvarint()))
		r.readMap(e.Attributes(), 0, 0)
	}
}

func (r *spanReader) readLinks(links ptrace.SpanLinkSlice) {
	n := r.uvarint()
	for i := uint64(0); i < n && r.err == nil; i++ {
		l := links.AppendEmpty()
		var tid pcommon.TraceID
		var sid pcommon.SpanID
		copy(tid[:], r.bytes(16))
		copy(sid[:], r.bytes(8))
		l.SetTraceID(tid)
		l.SetSpanID(sid)
		l.TraceState().FromRaw(r.string())
		l.SetFlags(uint32(r.uvarint()))
		l.SetDroppedAttributesCount(uint32(r.uvarint()))
		r.readMap(l.Attributes(), 0, 0)
	}
}

// maxDepth bounds nested maps and slices when reading (writing follows pdata,
// which the receiver already bounded).
const maxDepth = 128

func (r *spanReader) readMap(m pcommon.Map, depth, spare int) {
	n := r.uvarint()
	if depth > maxDepth || n > uint64(len(r.b)) {
		r.fail()
		return
	}
	m.EnsureCapacity(int(n) + spare)
	for i := uint64(0); i < n && r.err == nil; i++ {
		k := r.word()
		r.readValue(m.PutEmpty(k), depth)
	}
}

func (r *spanReader) readValue(v pcommon.Value, depth int) {
	switch t := pcommon.ValueType(r.byte()); t {
	case pcommon.ValueTypeEmpty:
	case pcommon.ValueTypeStr:
		v.SetStr(r.string())
	case pcommon.ValueTypeInt:
		v.SetInt(r.varint())
	case pcommon.ValueTypeDouble:
		b := r.bytes(8)
		if len(b) == 8 {
			v.SetDouble(math.Float64frombits(binary.LittleEndian.Uint64(b)))
		}
	case pcommon.ValueTypeBool:
		v.SetBool(r.byte() == 1)
	case pcommon.ValueTypeBytes:
		v.SetEmptyBytes().FromRaw(r.bytes(r.uvarint()))
	case pcommon.ValueTypeMap:
		r.readMap(v.SetEmptyMap(), depth+1, 0)
	case pcommon.ValueTypeSlice:
		n := r.uvarint()
		if depth > maxDepth || n > uint64(len(r.b)) {
			r.fail()
			return
		}
		s := v.SetEmptySlice()
		s.EnsureCapacity(int(n))
		for i := uint64(0); i < n && r.err == nil; i++ {
			r.readValue(s.AppendEmpty(), depth+1)
		}
	default:
		r.fail()
	}
}
