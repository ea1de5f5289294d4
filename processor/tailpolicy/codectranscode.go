// Copyright otelcol-warden authors
// SPDX-License-Identifier: Apache-2.0

package tailpolicy // import "github.com/otelcol-warden/otelcol-warden/processor/tailpolicy"

import (
	"encoding/binary"

	"go.opentelemetry.io/collector/pdata/pcommon"
)

// transcodeSpan copies the rest of a span record (after next) from r to b,
// citing r's dictionary words from c's instead: readSpan's walk of the
// record (codec.go), writing bytes where readSpan fills pdata. On corrupt
// data r.err is set and b is to be discarded.
func (c *spanCodec) transcodeSpan(b []byte, r *spanReader) []byte {
	bits := r.byte()
	b = append(b, bits)
	if bits&bitParent != 0 {
		b = append(b, r.bytes(8)...)
	}
	if bits&bitTraceState != 0 {
		b = appendString(b, r.string())
	}
	b = c.appendWord(b, r.word())
	b = binary.AppendUvarint(b, r.uvarint()) // kind
	b = binary.AppendUvarint(b, r.uvarint()) // status code
	if bits&bitStatusMessage != 0 {
		b = appendString(b, r.string())
	}
	b = append(b, r.bytes(8)...)           // start
	b = binary.AppendVarint(b, r.varint()) // end - start
	if bits&bitFlags != 0 {
		b = binary.AppendUvarint(b, r.uvarint())
	}
	if bits&bitDropped != 0 {
		for range 3 { // attributes, events, links
			b = binary.AppendUvarint(b, r.uvarint())
		}
	}
	b = c.transcodeMap(b, r, 0)
	if bits&bitEvents != 0 {
		b = c.transcodeEvents(b, r)
	}
	if bits&bitLinks != 0 {
		b = c.transcodeLinks(b, r)
	}
	return b
}

func (c *spanCodec) transcodeEvents(b []byte, r *spanReader) []byte {
	n := r.count()
	b = binary.AppendUvarint(b, n)
	for i := uint64(0); i < n && r.err == nil; i++ {
		b = binary.AppendUvarint(b, r.uvarint()) // timestamp
		b = c.appendWord(b, r.word())
		b = binary.AppendUvarint(b, r.uvarint()) // dropped attributes
		b = c.transcodeMap(b, r, 0)
	}
	return b
}

func (c *spanCodec) transcodeLinks(b []byte, r *spanReader) []byte {
	n := r.count()
	b = binary.AppendUvarint(b, n)
	for i := uint64(0); i < n && r.err == nil; i++ {
		b = append(b, r.bytes(16+8)...) // trace and span id
		b = appendString(b, r.string()) // tracestate
		b = binary.AppendUvarint(b, r.uvarint())
		b = binary.AppendUvarint(b, r.uvarint())
		b = c.transcodeMap(b, r, 0)
	}
	return b
}

func (c *spanCodec) transcodeMap(b []byte, r *spanReader, depth int) []byte {
	n := r.count()
	if depth > maxDepth {
		r.fail()
	}
	b = binary.AppendUvarint(b, n)
	for i := uint64(0); i < n && r.err == nil; i++ {
		b = c.appendWord(b, r.word())
		b = c.transcodeValue(b, r, depth)
	}
	return b
}

func (c *spanCodec) transcodeValue(b []byte, r *spanReader, depth int) []byte {
	t := r.byte()
	b = append(b, t)
	switch pcommon.ValueType(t) {
	case pcommon.ValueTypeEmpty:
	case pcommon.ValueTypeStr:
		b = appendString(b, r.string())
	case pcommon.ValueTypeInt:
		b = binary.AppendVarint(b, r.varint())
	case pcommon.ValueTypeDouble:
		b = append(b, r.bytes(8)...)
	case pcommon.ValueTypeBool:
		b = append(b, r.byte())
	case pcommon.ValueTypeBytes:
		n := r.uvarint()
		b = binary.AppendUvarint(b, n)
		b = append(b, r.bytes(n)...)
	case pcommon.ValueTypeMap:
		b = c.transcodeMap(b, r, depth+1)
	case pcommon.ValueTypeSlice:
		n := r.count()
		if depth > maxDepth {
			r.fail()
		}
		b = binary.AppendUvarint(b, n)
		for i := uint64(0); i < n && r.err == nil; i++ {
			b = c.transcodeValue(b, r, depth+1)
		}
	default:
		r.fail()
	}
	return b
}

// count reads a number of items, each at least a byte: more than the bytes
// left is corrupt (so a bad count cannot make a loop run long).
func (r *spanReader) count() uint64 {
	n := r.uvarint()
	if n > uint64(len(r.b)) {
		r.fail()
		return 0
	}
	return n
}
